"""The state model: utterance + scene → new scene; scene → prompt and layout.

Pure data in, data out: no threads, no network, no I/O beyond reading its own data files
(and the embedding model's files when one is loaded).
"""
from world.catalog import Catalog, CatalogError, PropEntry, StyleEntry, ThemeEntry
from world.layout import Placement, layout
from world.scene import Prop, Scene, SceneState

__all__ = [
    "Catalog", "CatalogError", "Placement", "Prop", "PropEntry", "Scene", "SceneState", "StyleEntry",
    "ThemeEntry", "layout",
]


def __getattr__(name: str):
    # The interpreter (and its optional embedding model) loads only when asked for.
    if name in ("Interpreter", "Interpretation"):
        from world import interpreter

        return getattr(interpreter, name)
    raise AttributeError(name)
