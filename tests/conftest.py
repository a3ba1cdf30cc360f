from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
ASTRONAUT = SHARED_MEDIA / "astronaut.png"


@pytest.fixture(scope="session")
def astronaut_rgb() -> np.ndarray:
    """The test photo (a real person, head and shoulders) as RGB uint8."""
    if not ASTRONAUT.exists():
        pytest.fail(f"test photo missing: {ASTRONAUT} (the shared/ folder must sit beside the repo)")
    return cv2.cvtColor(cv2.imread(str(ASTRONAUT)), cv2.COLOR_BGR2RGB)
