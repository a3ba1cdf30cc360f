"""Drawing a scene as the mirror does before and under a painted style, for the render tests."""
from __future__ import annotations

import itertools

from mirror.render.composite import CompositeRenderer
from mirror.render.neural import NeuralRepaint
from mirror.render.stage import NEURAL_STYLE, PROPS_ALPHA
from mirror.server.settings import Settings


def paint(catalog, still, scene, keep_colours=True):
    """Composite (as it runs before a repaint) then the neural repaint, once the style has faded in.
    Returns the composite's frame, the painted one and the props' alpha (None without props)."""
    image, pose = still
    composite = CompositeRenderer(catalog, provided=frozenset({NEURAL_STYLE}), clock=lambda: 1.5, smoothing=False)
    planes: dict = {}
    drawn = composite.render(image, pose, scene, planes=planes)
    repaint = NeuralRepaint(Settings.load(environ={}).replace(neural_stabilize=False), catalog,
                            clock=itertools.count().__next__)
    repaint.render(drawn, pose, scene, planes=planes if keep_colours else None)
    painted = repaint.render(drawn, pose, scene, planes=planes if keep_colours else None)
    return drawn, painted, planes.get(PROPS_ALPHA)
