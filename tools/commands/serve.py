"""`mirror serve`: run the mirror web server.

On loopback it serves plain HTTP (browsers treat http://127.0.0.1 as secure); any other host needs
--ssl-certfile/--ssl-keyfile, or it refuses to start. It caps glibc's malloc arenas first
(MIRROR_MALLOC_ARENA_MAX, default 2), before any worker thread exists.

SIGTERM (and Ctrl+C) drains it: nobody new is admitted, the people at it keep their mirror for up
to MIRROR_DRAIN_S, then it exits 0 with every recording saved; a second signal ends the wait
(web/drain.py). Behind a balancer, /ready says whether it takes a newcomer (docs/operations.md).
"""
from __future__ import annotations

import argparse
import logging

from mirror.server.settings import Settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (env MIRROR_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env MIRROR_PORT; default 8000)")
    parser.add_argument("--stages", help="render stages in order, comma-separated, from `mirror stages`, or auto: "
                        "the best this machine can run (env MIRROR_STAGES; default auto)")
    parser.add_argument("--diffusion-model", help="the diffusion stage's weights: a local diffusers-layout directory "
                        "(`mirror weights fetch`) or 'tiny' (env MIRROR_DIFFUSION_MODEL)")
    parser.add_argument("--ice-addresses", help="host candidate addresses to offer, comma-separated "
                        "(env MIRROR_ICE_ADDRESSES; default: the --host address, every interface for 0.0.0.0)")
    parser.add_argument("--ssl-certfile", help="HTTPS certificate (PEM), required off loopback (env MIRROR_SSL_CERTFILE)")
    parser.add_argument("--ssl-keyfile", help="its private key (PEM) (env MIRROR_SSL_KEYFILE)")
    parser.add_argument("--max-sessions", type=int, help="people served at once; more wait in a queue "
                        "(env MIRROR_MAX_SESSIONS; default 4)")
    parser.add_argument("--allowed-origins", help="other page origins that may start sessions, comma-separated "
                        "(env MIRROR_ALLOWED_ORIGINS)")
    parser.add_argument("--no-speech", dest="speech", action="store_const", const=False,
                        help="do not load the speech model (voice commands off)")
    parser.add_argument("--public-url", help="the address phones and browsers reach, e.g. the balancer's "
                        "https://mirror.example: clip links and QR codes use it (env MIRROR_PUBLIC_URL)")
    parser.add_argument("--kiosk", action="store_const", const=True, help="kiosk mode: commands only from the person "
                        "in front, each visitor's scene reset when they leave (env MIRROR_KIOSK; `mirror kiosk`)")


def run(args: argparse.Namespace) -> int:
    from mirror.server.process import limit_arenas

    settings = Settings.load({
        "host": args.host, "port": args.port, "stages": args.stages,
        "ice_addresses": args.ice_addresses, "speech": args.speech, "diffusion_model": args.diffusion_model,
        "ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile, "max_sessions": args.max_sessions,
        "allowed_origins": args.allowed_origins, "kiosk": args.kiosk, "public_url": args.public_url,
    })
    limit_arenas(settings)  # before uvicorn, aiortc and the models start threads

    from web.app import create_app
    from web.binding import tls_problem
    from web.server import MirrorServer, uvicorn_config

    problem = tls_problem(settings)
    if problem:
        log.error(problem)
        return 2
    scheme = "https" if settings.ssl_certfile else "http"
    log.info("Magic Mirror on %s://%s:%d/ (at most %d at once)", scheme, settings.host, settings.port,
             settings.max_sessions)
    app = create_app(settings)
    MirrorServer(uvicorn_config(app, settings), app.state.drain).run()
    return 0
