"""Render stages: the one stage interface (stage.py), the registry of stages by name (registry.py),
and the stages themselves, one module or sub-package each."""
