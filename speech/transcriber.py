"""Speech → text with faster-whisper's model, offline: whisper base (CTranslate2, int8; speech/models.py).

Loaded once and shared by every session (a lock serialises calls: CTranslate2 already uses all the
threads it is given). Decoding choices are for latency: greedy at temperature 0 only (the fallback
schedule made latency swing up to 1 s), no timestamps, each command on its own.

The one departure from `WhisperModel.transcribe`: the encoder sees a 10 s window instead of 30 s
(15 s, or 30 s, for the rare utterance longer than that). Whisper's encoder time is flat in the
*window* (the input is padded), and the window is what costs: measured here, 30 s → 440 ms p50 per
command, 15 s → 200 ms, at the same word error rate (3–4 % on tests/speech/test_transcriber.py).
With base, 10 s against 15 s (issue 34): encode 93 ms instead of 159, a whole hearing ~100 ms
shorter, and on the spoken tuning set (tools/bench/speech_tuning.py in four noises and three
rotations of its voices: 432 commands) 386 understood against 384, WER heard 18.7 % against
18.4 %, no loop. Shorter still makes whisper loop ("make it blue. make it blue. …"): at 8 s and 6 s
its decodes ran to their token cap. Features, tokenizer and prompt are faster-whisper's own.

For the recogniser (world/recognition.py) `hear` returns more than one reading: whisper's n-best
from a beam (`hypotheses`), plus, for a short utterance, the n-best of a second decode of the same
encoder output with a prompt of short commands (`short_prompt`): alone, "undo" is heard as "under"
or "I do" under the long prompt, and as "Undo." under a prompt of one-word commands. The decoder
is cheap next to the encoder, so the second decode costs ~20-40 ms. With `reask`, a function given
at construction or per call (the recogniser's: world/recognition.py), the same encoder output is
decoded once more when that function reads the first readings and names a prompt (the
nearest-sounding catalog names for a word nothing explains): `Heard.reasked`. So speech asks whisper
again itself, and the readings travel one way, to whoever chooses among them.

Two copies of the model: one with `threads` threads encodes (the encoder's large matrices use
both cores: 68 ms for the 10 s window with 2 threads, 120 ms with 1), and one of two single-thread
workers decodes, so the n-best and the short-command decode run at once, each on a core. A decode
steps through a handful of tokens with small matrices, and a second thread barely helps it: on
the bench's 82 spoken commands, encode + both decodes took p50 325 ms / p95 451 ms one after the
other with two threads each, 237 / 347 ms with the decodes side by side on one thread each; the
readings were identical (82 of 82). The decoding copy costs a second load of the weights
(~290 MB resident and 0.35 s at start-up for base, read from the same bytes). One model with two workers of two threads
(replicas share the weights) was slower in the live bench, with the VAD beside it: whisper p95
432–467 ms against 370–396.

A decode started on a guess (speech/listener.py starts one as soon as the speaker pauses) can be
called off with `cancelled`: `hear` looks at it before each of its steps (encode, each decode) and
raises `Cancelled`, so a pause the speaker talks through costs at most the step under way.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from speech.audio import SAMPLE_RATE
from speech.models import WhisperModelError, load_whisper_and_decoder
from speech.utterance import Hypothesis

log = logging.getLogger(__name__)
# faster-whisper logs every call at INFO ("Processing audio with duration …").
logging.getLogger("faster_whisper").setLevel(logging.WARNING)

# Whisper's stock outputs on noise or breath; never a command to the mirror.
HALLUCINATIONS = {"you", "thank you", "thanks for watching", "thank you for watching", "bye", "okay", "so", "uh",
                  "um", "hmm", "the", "i"}
# Whisper's own threshold is 0.6 (30 s window); its no-speech probability falls with the window. Base,
# 15 s window: noise under the command prompt reads a prompt phrase ("I mean, a sword.") at 0.48-0.56,
# the tests' commands in noise down to 5 dB SNR at most 0.08. 10 s window, measured on 79 clips of
# noise (white, brown, pink, hum, babble at 5 levels and 3 lengths, silence, clipping) and the 432
# spoken tuning commands: 0.25 rejects 72 of the noises (0.45 only 55; the 15 s window at 0.45, 67)
# and loses no command (the judge also needs a low log-probability or a loop). By window, in frames.
NO_SPEECH_PROB = {1000: 0.25, 1500: 0.45, 3000: 0.45}
MIN_AVG_LOGPROB = -1.0
# ~4 characters a token: keeps a prompt inside whisper's 223-token window (and its decode cheap).
MAX_PROMPT_CHARS = 800
# Utterances up to this long (speech plus the segmenter's ~0.3 s of margins) also get the
# short-command decode: one or two words.
SHORT_UTTERANCE_S = 1.3
SHORT_HYPOTHESES = 3
REASK_HYPOTHESES = 3


@dataclass(frozen=True)
class Heard:
    """What whisper heard in one utterance: its readings, best first (none: not speech)."""
    hypotheses: tuple[Hypothesis, ...]
    ms: float  # time taken
    reasked: tuple[Hypothesis, ...] = ()  # the same audio under the prompt `reask` chose (none: not asked)
    # Of `ms`, the encoder's own time; the rest is the decodes (and a millisecond or two of features
    # and waiting for the model): where whisper's time goes, for the benches.
    encode_ms: float = 0.0

    @property
    def text(self) -> str:
        return self.hypotheses[0].text if self.hypotheses else ""


# The one way a Transcriber fails to start: its model is missing or unreadable (the message says what to do).
TranscriberError = WhisperModelError

# Given whisper's first readings of an utterance as (text, log-probability per token), best first:
# the prompt to decode the same audio under once more, or None.
Reask = Callable[[Sequence[tuple[str, float]]], "str | None"]


class Cancelled(Exception):
    """`hear` was called off (its `cancelled` was set) before it finished."""


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Transcriber:
    """Loaded once, shared by every session; `transcribe` may be called from any thread."""

    WINDOWS = (1000, 1500, 3000)  # encoder windows in 10 ms mel frames; the smallest that holds it (see above)

    def __init__(self, model: str | Path | None = None, threads: int = 2, beam_size: int = 1,
                 vocabulary: Sequence[str] = (), *, prompt: str | None = None, hypotheses: int = 1,
                 short_prompt: str | None = None, reask: Reask | None = None) -> None:
        """`model`: "base" (the default), "tiny.en" or a CTranslate2 whisper directory (speech/models.py).
        `vocabulary`: phrases the speaker is likely to say, given to whisper as its prompt.
        Whisper continues the style and words of its prompt, so it hears "wizard hat", not "was it
        that" -- but only when the prompt reads like speech: measured on the 32 test commands,
        example commands ("Give me a sword, a crown. Put me in Game of Thrones.") give 3.8 % WER,
        no prompt 34 %, and a bare list of names 53 % (whisper then repeats the list). Pass
        sentences, not names. `prompt` gives the whole prompt verbatim instead. `hypotheses`: how
        many readings `hear` returns from a beam at least that wide; `short_prompt`: the prompt
        of the second decode of short utterances (none without it); `reask(readings)`: the
        prompt to decode the same audio under once more, or None (see the module docstring); a
        call's own `reask` replaces it."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        # Features, tokenizer and encoder; and the copy that runs two decodes at once.
        self._whisper, self._decoder = load_whisper_and_decoder(model, threads)
        self.hypotheses = max(1, hypotheses)
        self.beam_size = max(beam_size, self.hypotheses)
        multilingual = self._whisper.model.is_multilingual
        self._tokenizer = Tokenizer(self._whisper.hf_tokenizer, multilingual, task="transcribe",
                                    language="en" if multilingual else None)
        self.prompt = prompt if prompt is not None else vocabulary_prompt(vocabulary)
        self._prompt_tokens = self._tokens(self.prompt)
        self.short_prompt = short_prompt
        self._short_tokens = self._tokens(short_prompt) if short_prompt else None
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])
        self._reask = reask
        self._lock = threading.Lock()

    def _tokens(self, prompt: str) -> list[int]:
        previous = self._tokenizer.encode(" " + prompt) if prompt else []
        return self._whisper.get_prompt(self._tokenizer, previous, without_timestamps=True)

    def warm_up(self) -> float:
        """Run once on a second of silence: the first call is 2–3× slower (allocations, caches),
        and the first person to speak should not pay for it. Returns the milliseconds it took."""
        return self.transcribe(np.zeros(16_000, np.float32))[1]

    def transcribe(self, audio16k: np.ndarray) -> tuple[str, float]:
        """Text of one utterance (16 kHz mono float32, best at most 15 s) and the milliseconds it took.
        Returns "" for what whisper itself judges not speech and for its stock noise phrases."""
        heard = self.hear(audio16k)
        return heard.text, heard.ms

    def hear(self, audio16k: np.ndarray, *, reask: Reask | None = None, cancelled: Flag | None = None) -> Heard:
        """Whisper's readings of one utterance, best first; none for what it judges not speech.
        `reask`: this call's instead of the transcriber's. Raises `Cancelled` once `cancelled` is
        set, at the next step."""
        import ctranslate2

        def go_on() -> None:
            if cancelled is not None and cancelled.is_set():
                raise Cancelled

        reask = reask or self._reask
        started = time.perf_counter()
        features = self._whisper.feature_extractor(np.asarray(audio16k, np.float32))  # (80, frames)
        # Longer audio (a cap raised past 15 s) gets whisper's native 30 s window; beyond that it is cut.
        frames = next((w for w in self.WINDOWS if features.shape[1] <= w), self.WINDOWS[-1])
        window = np.zeros((1, features.shape[0], frames), np.float32)  # (1, 80, 1000, 1500 or 3000)
        used = min(frames, features.shape[1])
        window[0, :, :used] = features[:, :used]
        # ~3 tokens per second of speech is typical; the cap stops a rare loop early.
        max_new = 16 + int(6 * used / 100)
        short = self._short_tokens is not None and len(audio16k) <= SHORT_UTTERANCE_S * SAMPLE_RATE
        with self._lock:
            go_on()
            encoding = time.perf_counter()
            encoded = self._whisper.model.encode(ctranslate2.StorageView.from_array(window))
            encode_ms = (time.perf_counter() - encoding) * 1000
            go_on()
            # The short-command decode is started beside the n-best; its readings count only if the
            # n-best's say the audio is speech.
            main = self._start(encoded, self._prompt_tokens, max_new, self.beam_size, self.hypotheses)
            second = self._start(encoded, self._short_tokens, max_new, SHORT_HYPOTHESES, SHORT_HYPOTHESES) \
                if short else None
            hypotheses = self._read(main, max_new, no_speech=NO_SPEECH_PROB[frames])
            if second is not None:
                extra = self._read(second, max_new)
                if hypotheses:
                    hypotheses += extra
        hypotheses = _distinct(hypotheses)
        reasked: list[Hypothesis] = []
        prompt = reask([(h.text, h.score) for h in hypotheses]) if reask and hypotheses else None
        if prompt:
            with self._lock:
                go_on()
                reasked = _distinct(self._read(self._start(encoded, self._tokens(prompt), max_new, REASK_HYPOTHESES,
                                                           REASK_HYPOTHESES), max_new))
        return Heard(tuple(hypotheses), (time.perf_counter() - started) * 1000, tuple(reasked), encode_ms)

    def _start(self, encoded, prompt_tokens: list[int], max_new: int, beam_size: int, hypotheses: int):
        """One decode of `encoded` under `prompt_tokens`, started on a free decoding worker."""
        return self._decoder.generate(
            encoded, [prompt_tokens], asynchronous=True, beam_size=beam_size, num_hypotheses=hypotheses,
            max_length=len(prompt_tokens) + max_new, suppress_blank=True, suppress_tokens=self._suppress,
            return_scores=True, return_no_speech_prob=True,
        )[0]

    def _read(self, started, max_new: int, *, no_speech: float | None = None) -> list[Hypothesis]:
        """The n-best of a decode `_start`ed, cleaned, once it is done. Given `no_speech` (the
        window's NO_SPEECH_PROB), none when whisper judges the audio not speech."""
        judge_speech = no_speech is not None
        result = started.result()
        found = []
        for rank, sequence in enumerate(result.sequences_ids):
            tokens = [t for t in sequence if t < self._tokenizer.eot]
            avg_log_prob = result.scores[rank] if result.scores else 0.0  # CTranslate2 normalises by length
            looped = len(tokens) >= max_new - 1
            if judge_speech and rank == 0 and result.no_speech_prob > no_speech and (
                    avg_log_prob < MIN_AVG_LOGPROB or looped):
                # Whisper's own rule, plus: on noise, the prompt's style makes it loop confidently
                # ("a bow, a bow, a bow, …" at -0.85) rather than guess. Speech scored <= 0.4 here.
                return []
            text = _without_repeats(self._tokenizer.decode(tokens).strip())
            if text and _normalised(text) not in HALLUCINATIONS:
                found.append(Hypothesis(text, float(avg_log_prob)))
            elif judge_speech and rank == 0:
                return []  # whisper's best reading is its stock noise phrase: the rest are no better
        return found


def _distinct(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """One hypothesis per reading (equal texts up to case and punctuation), where it first came,
    with the best score any decode gave it: a reading the short-command prompt makes likely ("Undo."
    at -0.3) keeps that score rather than its main decode's (-0.7), or a colour from the same short
    decode (-0.8) would outrank it."""
    best: dict[str, Hypothesis] = {}
    for h in hypotheses:
        key = _normalised(h.text)
        if key and (key not in best or h.score > best[key].score):
            best[key] = Hypothesis(best[key].text if key in best else h.text, h.score)
    return list(best.values())


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
