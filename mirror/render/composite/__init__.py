"""The composite renderer: animated theme backdrops, SVG props on the body, real-time style filters."""
from mirror.render.composite.renderer import CompositeRenderer

__all__ = ["CompositeRenderer"]
