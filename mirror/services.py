"""What every session shares, loaded once at start-up: the catalog, the interpreter (with its
embedding model), the speech transcriber, and which render stages can run. Start-up fails loudly
if the catalog, the embedding model or whisper is missing; a neural model that cannot load is
reported once (log, /healthz, a notice on every page) and the mirror runs the composite alone."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirror.settings import Settings
    from speech import Transcriber
    from world import Catalog, Interpreter

log = logging.getLogger(__name__)


@dataclass
class Services:
    catalog: "Catalog"
    interpreter: "Interpreter"
    transcriber: "Transcriber | None"
    stages: tuple[str, ...]  # the requested render stages that can run here
    notices: list[str]  # why a requested stage does not run, for the page

    @classmethod
    def load(cls, settings: "Settings") -> "Services":
        from world import Catalog, Interpreter

        catalog = Catalog.load()
        embedder = None
        if settings.embeddings:
            from world.embedding import Embedder

            embedder = Embedder.load()
        interpreter = Interpreter(catalog, embedder=embedder)
        transcriber = None
        if settings.speech:
            from speech import Transcriber

            transcriber = Transcriber(
                settings.whisper_model or None,
                threads=settings.whisper_threads,
                beam_size=settings.beam_size,
                prompt=catalog.speech_prompt(),
            )
            transcriber.warm_up()
        stages, notices = _available_stages(settings, catalog)
        log.info(
            "loaded catalog (%d props, %d themes, %d styles), embeddings %s, speech %s",
            len(catalog.props), len(catalog.themes), len(catalog.styles),
            "on" if embedder else "off", "on" if transcriber else "off",
        )
        return cls(catalog, interpreter, transcriber, stages, notices)


def _available_stages(settings: "Settings", catalog: "Catalog") -> tuple[tuple[str, ...], list[str]]:
    """Try the neural model once at start-up, so a broken install is one clear error, not one per session."""
    if "neural" not in settings.stages:
        return settings.stages, []
    from mirror.render.neural import NeuralRepaint
    from mirror.render.registry import neural_off_notice

    stage, error = NeuralRepaint.try_create(settings, catalog)
    if stage is not None:
        stage.close()
        return settings.stages, []
    log.error("neural repaint unavailable, running %s only: %s",
              "+".join(s for s in settings.stages if s != "neural") or "nothing", error)
    return (tuple(s for s in settings.stages if s != "neural"),
            [neural_off_notice(error)])
