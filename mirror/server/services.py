"""What every session shares, loaded once at start-up: the catalog, the interpreter (with its
embedding model), the speech transcriber, and which render stages run (the registry's one
start-up decision). Start-up fails loudly if the catalog, the embedding model or whisper is
missing; a stage that cannot run is reported once (log, /healthz, a notice on every page) and the
mirror runs the others."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mirror.render.registry import StagePlan

if TYPE_CHECKING:
    from mirror.clips.store import ClipStore
    from mirror.server.settings import Settings
    from speech import Transcriber
    from world import Catalog, Interpreter
    from world.recognition import Recogniser

log = logging.getLogger(__name__)


@dataclass
class Services:
    catalog: "Catalog"
    interpreter: "Interpreter"
    transcriber: "Transcriber | None"
    plan: StagePlan  # which render stages run here, and why the others do not
    clips: "ClipStore"
    recogniser: "Recogniser | None" = None  # spoken utterances: whisper's readings → the one that makes sense

    @classmethod
    def load(cls, settings: "Settings") -> "Services":
        from world import Catalog, Interpreter

        catalog = Catalog.load()
        embedder = None
        if settings.embeddings:
            from world.embedding import Embedder

            embedder = Embedder.load()
        interpreter = Interpreter(catalog, embedder=embedder)
        transcriber = recogniser = None
        if settings.speech:
            from speech import Transcriber
            from world.recognition import HYPOTHESES, Recogniser, short_prompt

            transcriber = Transcriber(
                settings.whisper_model or None,
                threads=settings.whisper_threads,
                beam_size=settings.beam_size,
                prompt=catalog.speech_prompt(),
                hypotheses=HYPOTHESES,
                short_prompt=short_prompt(),
            )
            transcriber.warm_up()
            recogniser = Recogniser(interpreter)
        plan = StagePlan.decide(settings)
        plan.log()
        clips = open_clip_store(settings)
        clips.prune()
        log.info(
            "loaded catalog (%d props, %d themes, %d styles), embeddings %s, speech %s",
            len(catalog.props), len(catalog.themes), len(catalog.styles),
            "on" if embedder else "off", "on" if transcriber else "off",
        )
        return cls(catalog, interpreter, transcriber, plan, clips, recogniser)



def open_clip_store(settings: "Settings") -> "ClipStore":
    from mirror.clips.store import ClipStore

    return ClipStore(settings.clips_dir, retention_s=settings.clip_retention_hours * 3600,
                     quota_bytes=settings.clip_quota_mb * 1024 * 1024)
