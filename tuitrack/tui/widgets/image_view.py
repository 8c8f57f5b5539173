"""Images in the terminal, through textual-image: Kitty graphics or Sixel where the terminal has them,
half-block characters everywhere else (tmux over SSH always shows something).

``TUITRACK_IMAGES`` picks the method: ``auto`` (default: what the terminal says it can draw),
``kitty``, ``sixel``, ``halfcell`` or ``unicode``.  textual-image is imported on first use, not
with the app: it costs numpy and PIL (most of the app's import time, issue 16 item 15).  Asking the
terminal what it can draw only works before Textual takes the terminal over, and textual-image asks
when it is imported; so the command line asks first (:func:`detect`, with textual-image's small
terminal module, no numpy) and the first image imports the library without letting it ask again.
Files are opened and decoded in workers (:func:`load`); the widget gets the decoded image.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from random import randint
from typing import Any

from textual.widget import Widget

#: What :func:`detect` found the terminal draws: "sixel", "tgp", "halfcell" or "unicode" (None: not asked).
_detected: str | None = None
_classes: dict[str, Any] | None = None
#: Why images cannot be drawn (empty: they can; set once textual-image was imported).
UNAVAILABLE = ""


def detect() -> str:
    """Ask the terminal what it can draw, before the app starts (the command line calls this).

    What textual-image's import would ask (Sixel in the device attributes, then a Kitty graphics
    query, 0.1 s at most each) and the cell size in pixels, kept for its renderers.
    """
    global _detected
    out = sys.__stdout__
    if _detected is not None:
        return _detected
    if not (out and out.isatty()):
        _detected = "unicode"
        return _detected
    _detected = "halfcell"
    if method() in ("halfcell", "unicode"):
        return _detected  # nothing to ask
    try:
        from textual_image._terminal import TerminalError, capture_terminal_response

        _remember_cell_size(may_ask=True)
        try:
            with capture_terminal_response(start_marker="\x1b[?", end_marker="c", timeout=0.1) as response:
                out.write("\x1b[c")
                out.flush()
            if "4" in response.sequence[len("\x1b[?") : -1].split(";"):
                _detected = "sixel"
                return _detected
        except (TerminalError, TimeoutError):
            pass
        try:
            with capture_terminal_response(start_marker="\x1b_G", end_marker="\x1b\\", timeout=0.1) as response:
                out.write(f"\x1b_Gi={randint(1, 2**32)},s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\")
                out.flush()
            if response.sequence[len("\x1b_G") : -2].rsplit(";", 1)[-1] == "OK":
                _detected = "tgp"
        except (TerminalError, TimeoutError):
            pass
    except Exception:  # no textual-image, or a terminal that answers nothing usable: half blocks
        pass
    return _detected


def _remember_cell_size(may_ask: bool) -> None:
    """Give textual-image the terminal's cell size in pixels, which it keeps (its widgets read it).

    Asked by textual-image itself only while ``may_ask`` (before Textual reads the keyboard: it may
    send an escape sequence and read the answer); else from the window size alone, or VT340's 10x20.
    """
    from textual_image import _terminal

    if hasattr(_terminal.get_cell_size, "_result"):
        return
    out = sys.__stdout__
    if may_ask or not (out and out.isatty()):
        try:
            _terminal.get_cell_size()
            return
        except Exception:  # a terminal without a size (0 columns)
            pass
    try:
        rows, columns, width, height = _terminal.get_tiocgwinsz()
        size = _terminal.CellSize(width // columns, height // rows) if rows and columns and width and height else None
    except Exception:
        size = None
    _terminal.get_cell_size._result = size or _terminal.CellSize(10, 20)  # type: ignore[attr-defined]


class _NoTerminal:
    """A stream that says it is no terminal (and is otherwise the one it wraps)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _widget_classes() -> dict[str, Any]:
    """textual-image's widget classes by method, imported on the first image."""
    global _classes, UNAVAILABLE
    if _classes is not None:
        return _classes
    saved = sys.__stdout__
    try:
        _remember_cell_size(may_ask=False)
        # Its import asks the terminal unless stdout is no terminal; under Textual the answer would be
        # read as keys.  The cell size it reads at import is already remembered.
        sys.__stdout__ = _NoTerminal(saved)  # type: ignore[assignment,misc]
        from textual_image.widget import HalfcellImage, SixelImage, TGPImage, UnicodeImage
    except Exception as exc:  # the library missing or broken
        _classes = {}
        UNAVAILABLE = f"images cannot be drawn here ({type(exc).__name__}: {exc})"
        return _classes
    finally:
        sys.__stdout__ = saved  # type: ignore[misc]
    found = _detected
    if found is None:  # the app started without the command line (tests, embedding): nothing was asked
        found = "halfcell" if saved is not None and saved.isatty() else "unicode"
    auto = {"sixel": SixelImage, "tgp": TGPImage, "halfcell": HalfcellImage}.get(found, UnicodeImage)
    _classes = {
        "auto": auto,
        "kitty": TGPImage,
        "tgp": TGPImage,
        "sixel": SixelImage,
        "halfcell": HalfcellImage,
        "unicode": UnicodeImage,
    }
    return _classes


#: Decoded images larger than this are scaled down first (a terminal shows far fewer pixels).
MAX_PIXELS = 1024


@dataclass(frozen=True)
class Picture:
    """A decoded image ready for a widget, with what a caption says about the file."""

    image: Any  # PIL.Image.Image
    width: int
    height: int
    size: int  # bytes on disk


METHODS = ("auto", "kitty", "tgp", "sixel", "halfcell", "unicode")


def method() -> str:
    name = os.environ.get("TUITRACK_IMAGES", "auto").strip().lower() or "auto"
    return name if name in METHODS else "auto"


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
    """An image widget of the chosen method showing ``picture`` (None: empty); imports textual-image."""
    cls = _widget_classes().get(method())
    if cls is None:
        from textual.widgets import Static

        return Static(UNAVAILABLE, id=id, classes=classes)
    return cls(picture.image if picture is not None else None, id=id, classes=classes)


def set_picture(widget: Widget, picture: Picture | None) -> None:
    if hasattr(widget, "image"):
        widget.image = picture.image if picture is not None else None
