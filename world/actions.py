"""Utterances that ask the mirror to do something (start or stop a recording) rather than edit the
scene: text in, an action name out. The phrases are data (catalog/actions.toml).

    action_for("Start recording!")  → "record_start"
    action_for("stop")              → "record_stop"
    action_for("give me a sword")   → None
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from world.catalog import CATALOG_DIR

RECORD_START = "record_start"
RECORD_STOP = "record_stop"


@dataclass(frozen=True)
class _Action:
    name: str
    phrases: tuple[str, ...]  # anywhere in the utterance, on word boundaries
    alone: tuple[str, ...]  # only as the whole utterance


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


@lru_cache(maxsize=1)
def _actions() -> tuple[_Action, ...]:
    with open(CATALOG_DIR / "actions.toml", "rb") as f:
        data = tomllib.load(f)
    return tuple(_Action(name, tuple(map(_words, entry.get("phrases", ()))), tuple(map(_words, entry.get("alone", ()))))
                 for name, entry in data.items())


def action_for(text: str) -> str | None:
    said = _words(text)
    padded = f" {said} "
    for action in _actions():
        if said in action.alone or any(f" {phrase} " in padded for phrase in action.phrases):
            return action.name
    return None
