"""What every session shares, loaded once at start-up, off the event loop: the catalog, the
interpreter (with its embedding model), whisper and the recogniser that chooses among its
readings, which render stages run (the registry's one start-up decision) with what they hold once
per process (the style network, the diffusion engine), and the clip store.

Start-up fails loudly if the catalog, the embedding model, whisper or a chosen stage's models are
missing; a stage that cannot run is reported once (log, /healthz, a notice on every page) and the
mirror runs the others.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from mirror.events import Event, SpeechStarted, UtteranceHeard
from mirror.render.registry import StagePlan

if TYPE_CHECKING:
    from mirror.clips.store import ClipStore
    from mirror.render.stage import SharedStages
    from mirror.server.settings import Settings
    from speech import Listener, Transcriber
    from world import Catalog, Interpreter, Scene
    from world.recognition import Recogniser

log = logging.getLogger(__name__)


@dataclass
class Services:
    catalog: "Catalog"
    interpreter: "Interpreter"
    transcriber: "Transcriber | None"
    recogniser: "Recogniser | None"  # spoken utterances: whisper's readings → the one that makes sense
    plan: StagePlan  # which render stages run here, and why the others do not
    shared_stages: "SharedStages"  # what those stages hold once per process
    clips: "ClipStore"

    @classmethod
    def load(cls, settings: "Settings") -> "Services":
        from world import Catalog, Interpreter

        catalog = Catalog.load()
        embedder = None
        if settings.embeddings:
            from world.embedding import Embedder

            embedder = Embedder.load()
        interpreter = Interpreter(catalog, embedder=embedder)
        transcriber, recogniser = hearing(settings, interpreter) if settings.speech else (None, None)
        plan = StagePlan.decide(settings)
        plan.log()
        shared_stages = plan.open_shared(settings)
        clips = open_clip_store(settings)
        clips.prune()
        log.info(
            "loaded catalog (%d props, %d themes, %d styles), embeddings %s, speech %s",
            len(catalog.props), len(catalog.themes), len(catalog.styles),
            "on" if embedder else "off", "on" if transcriber else "off",
        )
        return cls(catalog, interpreter, transcriber, recogniser, plan, shared_stages, clips)

    def open_listener(self, settings: "Settings", publish: Callable[[Event], None],
                      scene: "Callable[[], Scene] | None" = None) -> "Listener | None":
        """One person's ears (a worker thread and its VAD model: call it off the event loop), or
        None with speech off. What it hears goes out as `UtteranceHeard` and `SpeechStarted`.
        `scene()`: the person's scene now; whisper is then asked again only when no first reading
        makes sense in it (world/recognition.py: `reask_prompt`)."""
        if self.transcriber is None:
            return None
        from speech import Listener

        recogniser = self.recogniser
        reask = (lambda alternatives: recogniser.reask_prompt(alternatives, scene())) \
            if scene is not None and recogniser is not None else None
        return Listener(self.transcriber, lambda utterance: publish(UtteranceHeard(utterance)),
                        on_speech_start=lambda: publish(SpeechStarted()),
                        end_silence_ms=settings.end_silence_ms, max_utterance_s=settings.max_utterance_s,
                        reask=reask)

    def close(self) -> None:
        self.shared_stages.close()


def hearing(settings: "Settings", interpreter: "Interpreter") -> tuple["Transcriber", "Recogniser"]:
    """Whisper as every session hears with it (n-best, the short-command decode, asked again by
    the recogniser's prompt), warmed up, and the recogniser that chooses among its readings."""
    from speech import Transcriber
    from world.recognition import HYPOTHESES, Recogniser, short_prompt

    recogniser = Recogniser(interpreter)
    transcriber = Transcriber(settings.whisper_model or None, threads=settings.whisper_threads,
                              beam_size=settings.beam_size, prompt=interpreter.catalog.speech_prompt(),
                              hypotheses=HYPOTHESES, short_prompt=short_prompt(), reask=recogniser.reask_prompt)
    transcriber.warm_up()
    return transcriber, recogniser


def open_clip_store(settings: "Settings") -> "ClipStore":
    from mirror.clips.store import ClipStore

    return ClipStore(settings.clips_dir, retention_s=settings.clip_retention_hours * 3600,
                     quota_bytes=settings.clip_quota_mb * 1024 * 1024, journal=settings.clip_journal)
