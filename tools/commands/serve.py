"""`mirror serve`: run the mirror web server."""
from __future__ import annotations

import argparse
import logging

from mirror.settings import Settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (env MIRROR_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env MIRROR_PORT; default 8000)")
    parser.add_argument("--stages", help="render stages in order, comma-separated, from `mirror stages`, or auto: "
                        "the best this machine can run (env MIRROR_STAGES; default auto)")
    parser.add_argument("--diffusion-model", help="the diffusion stage's weights: a local diffusers-layout directory "
                        "(`mirror weights fetch`) or 'tiny' (env MIRROR_DIFFUSION_MODEL)")
    parser.add_argument("--ice-addresses", help="host candidate addresses to offer, comma-separated "
                        "(env MIRROR_ICE_ADDRESSES; default all interfaces; 127.0.0.1 keeps media on loopback)")
    parser.add_argument("--no-speech", dest="speech", action="store_const", const=False,
                        help="do not load the speech model (voice commands off)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = Settings.load({
        "host": args.host, "port": args.port, "stages": args.stages,
        "ice_addresses": args.ice_addresses, "speech": args.speech, "diffusion_model": args.diffusion_model,
    })
    log.info("Magic Mirror on http://%s:%d/", settings.host, settings.port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    return 0
