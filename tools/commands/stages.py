"""`mirror stages`: every registered render stage, what it needs, and whether it can run here.

The same start-up decision the server logs and shows on /healthz (mirror/render/registry.py).
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stages", help="what to decide for (env MIRROR_STAGES; default auto)")
    parser.add_argument("--diffusion-model", help="a diffusers-layout directory or 'tiny' (env MIRROR_DIFFUSION_MODEL)")


def run(args: argparse.Namespace) -> int:
    from mirror.render.registry import STAGES, StagePlan, check, stage_class
    from mirror.server.settings import Settings

    settings = Settings.load({"stages": args.stages, "diffusion_model": args.diffusion_model})
    rows = []
    for name in STAGES:
        availability = check(name, settings)
        try:
            needs = stage_class(name).needs.describe()
        except ImportError:
            needs = "?"
        rows.append((name, needs, "yes" if availability.ok else "no", availability.reason))
    width = max(len(r[0]) for r in rows)
    print(f"{'stage':<{width}}  {'needs':<20}  runs here  why not")
    for name, needs, ok, reason in rows:
        print(f"{name:<{width}}  {needs:<20}  {ok:<9}  {reason}")
    plan = StagePlan.decide(settings)
    print(f"\n{','.join(plan.requested)} → {' → '.join(plan.stages) or 'nothing'}")
    return 0
