"""Images in the terminal, through textual-image: Kitty graphics or Sixel where the terminal has them,
half-block characters everywhere else (tmux over SSH always shows something).

``TUITRACK_IMAGES`` picks the method: ``auto`` (default: what textual-image detects), ``kitty``,
``sixel``, ``halfcell`` or ``unicode``.  textual-image asks the terminal for its cell size when it is
imported, which only works before Textual takes the terminal over: this module is imported with the
app (``tuitrack.tui.app``), never later.  Files are opened and decoded in workers (:func:`load`); the
widget gets the decoded image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.widget import Widget

try:
    from textual_image.widget import HalfcellImage, SixelImage, TGPImage, UnicodeImage
    from textual_image.widget import Image as AutoImage

    _CLASSES: dict[str, Any] = {
        "auto": AutoImage,
        "kitty": TGPImage,
        "tgp": TGPImage,
        "sixel": SixelImage,
        "halfcell": HalfcellImage,
        "unicode": UnicodeImage,
    }
    UNAVAILABLE = ""
except Exception as exc:  # no terminal to ask (stdout closed), or the library missing
    _CLASSES = {}
    UNAVAILABLE = f"images cannot be drawn here ({type(exc).__name__}: {exc})"

#: Decoded images larger than this are scaled down first (a terminal shows far fewer pixels).
MAX_PIXELS = 1024


@dataclass(frozen=True)
class Picture:
    """A decoded image ready for a widget, with what a caption says about the file."""

    image: Any  # PIL.Image.Image
    width: int
    height: int
    size: int  # bytes on disk


def method() -> str:
    name = os.environ.get("TUITRACK_IMAGES", "auto").strip().lower() or "auto"
    return name if name in _CLASSES else "auto"


def load(path: Path) -> Picture:
    """Open and decode an image file (call in a worker); raises OSError/ValueError on a bad file."""
    from PIL import Image as PILImage

    size = path.stat().st_size
    with PILImage.open(path) as img:
        width, height = img.size
        img.load()
        picture = img.convert("RGBA") if img.mode not in ("RGB", "RGBA", "L") else img.copy()
    if max(width, height) > MAX_PIXELS:
        picture.thumbnail((MAX_PIXELS, MAX_PIXELS))
    return Picture(picture, width, height, size)


def make_widget(picture: Picture | None, *, id: str | None = None, classes: str | None = None) -> Widget:
    """An image widget of the chosen method showing ``picture`` (None: empty)."""
    cls = _CLASSES.get(method())
    if cls is None:
        from textual.widgets import Static

        return Static(UNAVAILABLE, id=id, classes=classes)
    return cls(picture.image if picture is not None else None, id=id, classes=classes)


def set_picture(widget: Widget, picture: Picture | None) -> None:
    if hasattr(widget, "image"):
        widget.image = picture.image if picture is not None else None
