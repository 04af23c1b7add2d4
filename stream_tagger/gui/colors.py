"""One fixed colour per label, shared by the live window, the ``plot`` command and their tests.

Colours are ``(red, green, blue)`` with 0..255 components, chosen to be told apart on both
a dark (window) and a white (plot) background, and far apart from each other so that a
screenshot's pixels can be classified by nearest colour.
"""

from __future__ import annotations

from ..events import LABELS

LABEL_RGB: dict[str, tuple[int, int, int]] = {
    "speech": (52, 152, 219),  # blue
    "music": (243, 156, 18),  # orange
    "noise": (192, 57, 180),  # magenta
    "silence": (149, 165, 166),  # grey
}
assert tuple(LABEL_RGB) == LABELS

WINDOW_BACKGROUND_RGB = (24, 26, 30)
"""Background of the window's plots (dark)."""

GAP_RGB = (231, 76, 60)
"""The hatching of a gap (a network stream's missing audio) across the label strip: red, far
from every label's colour."""

THRESHOLD_DASH = (3.0, 6.0)
"""On/off lengths of a threshold line's dashes, in line widths, in the window and the ``plot``
picture alike. The ``k``-th label's line starts ``3 * k`` later, so that the dashes of up to three
equal thresholds take turns instead of covering each other."""


def label_hex(label: str) -> str:
    """``#rrggbb`` of a label's colour (for matplotlib and Qt style sheets)."""
    r, g, b = LABEL_RGB[label]
    return f"#{r:02x}{g:02x}{b:02x}"


def label_rgb01(label: str) -> tuple[float, float, float]:
    """A label's colour with 0..1 components (matplotlib)."""
    return tuple(c / 255.0 for c in LABEL_RGB[label])  # type: ignore[return-value]


def nearest_label(rgb, max_distance: float = 40.0) -> str | None:
    """The label whose colour is nearest ``rgb`` (Euclidean, 0..255), or None if none is within
    ``max_distance``. Used by tests to read a screenshot's strip back into labels."""
    best, best_d = None, max_distance
    for label, ref in LABEL_RGB.items():
        d = sum((float(a) - float(b)) ** 2 for a, b in zip(rgb[:3], ref)) ** 0.5
        if d <= best_d:
            best, best_d = label, d
    return best
