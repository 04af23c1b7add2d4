"""Reading screenshots back as pixels (tests and the picture script check what a person sees)."""

from __future__ import annotations

import numpy as np


def qimage_rgb(image) -> np.ndarray:
    """A QImage (or QPixmap) as a ``(height, width, 3)`` uint8 RGB array."""
    from PyQt5 import QtGui

    if isinstance(image, QtGui.QPixmap):
        image = image.toImage()
    image = image.convertToFormat(QtGui.QImage.Format_RGB888)
    w, h, bpl = image.width(), image.height(), image.bytesPerLine()
    ptr = image.constBits()
    ptr.setsize(h * bpl)
    buf = np.frombuffer(ptr, np.uint8).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def png_rgb(path: str) -> np.ndarray:
    """A PNG file as a ``(height, width, 3)`` uint8 RGB array (matplotlib's reader, no Qt)."""
    import matplotlib.image

    img = matplotlib.image.imread(path)
    if img.dtype != np.uint8:
        img = np.round(img * 255).astype(np.uint8)
    return img[:, :, :3]
