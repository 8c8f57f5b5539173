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

import codecs
import contextlib
import os
import re
import sys
import time
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


#: Answers :func:`detect` reads: the cell size in pixels (to ``CSI 16 t``), Kitty graphics (to its query, ``OK`` when
#: supported), and the primary device attributes (to ``CSI c``; a ``4`` among them means Sixel).
_CELL_ANSWER = re.compile(r"\x1b\[6;(\d+);(\d+)t")
_KITTY_ANSWER = re.compile(r"\x1b_Gi=(\d+)[^;\x1b]*;([^\x1b]*)\x1b\\")
_DA_ANSWER = re.compile(r"\x1b\[\?([0-9;]*)c")
#: Seconds to wait for the device attributes, which every VT100-style terminal answers (over SSH too).
ASK_TIMEOUT_S = 0.5


def detect() -> str:
    """Ask the terminal what it can draw, before the app starts (the command line calls this).

    One round trip: the cell-size query (only when the window size has no pixels), the Kitty graphics query
    and the device attributes request go out in one write.  Terminals answer in order and all of them answer
    the last one, so its answer ends the wait: a terminal without Kitty graphics costs no timeout, and no
    late answer is left over for Textual to read as keys.  The cell size is handed to textual-image (its
    renderers need it) so that it never asks itself.
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
        from textual_image import _terminal

        cell = _window_cell_size()
        kitty_id = randint(1, 2**31)
        query = "" if cell else "\x1b[16t"
        query += f"\x1b_Gi={kitty_id},s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[c"
        answer = _ask(out, query)
        size = _CELL_ANSWER.search(answer)
        if cell is None and size:
            cell = (int(size.group(2)), int(size.group(1)))
        _terminal.get_cell_size._result = _terminal.CellSize(*(cell or (10, 20)))  # type: ignore[attr-defined]
        da = _DA_ANSWER.search(answer)
        kitty = _KITTY_ANSWER.search(answer)
        if da and "4" in da.group(1).split(";"):
            _detected = "sixel"
        elif kitty and kitty.group(1) == str(kitty_id) and kitty.group(2) == "OK":
            _detected = "tgp"
    except Exception:  # no textual-image, or a terminal that answers nothing usable: half blocks
        with contextlib.suppress(Exception):
            _remember_cell_size()
    return _detected


def _window_cell_size() -> tuple[int, int] | None:
    """(width, height) of a cell in pixels from the window size when the terminal reports pixels, else from
    ``TEXTUAL_CELL_WIDTH``/``TEXTUAL_CELL_HEIGHT`` (textual-serve sets them for web terminals)."""
    from textual_image import _terminal

    try:
        rows, columns, width, height = _terminal.get_tiocgwinsz()
    except Exception:
        rows = columns = width = height = 0
    if rows and columns and width >= columns and height >= rows:
        return width // columns, height // rows
    env_width, env_height = os.environ.get("TEXTUAL_CELL_WIDTH", ""), os.environ.get("TEXTUAL_CELL_HEIGHT", "")
    if env_width.isdigit() and env_height.isdigit() and int(env_width) and int(env_height):
        return int(env_width), int(env_height)
    return None


def _ask(out: Any, query: str) -> str:
    """Write ``query`` and read the terminal's answers up to the device attributes' (see :func:`detect`).

    Bytes are decoded incrementally, so a key typed meanwhile whose UTF-8 bytes arrive in two reads cannot
    break the read (it is read and dropped, as any key typed during the query is)."""
    from textual_image._terminal import capture_mode

    stdin = sys.__stdin__.buffer.fileno()  # type: ignore[union-attr]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    answer = ""
    deadline = time.monotonic() + ASK_TIMEOUT_S
    with capture_mode():
        out.write(query)
        out.flush()
        while not _DA_ANSWER.search(answer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the terminal did not answer the device attributes request")
            answer += decoder.decode(_read(stdin, remaining))
    return answer


def _read(fd: int, timeout: float) -> bytes:
    """Up to 64 bytes from the terminal within ``timeout`` seconds (TimeoutError without any)."""
    if sys.platform == "win32":  # select() takes no console handles there: textual-image's reader
        from textual_image._terminal import read

        return read(fd, 64, timeout).encode()
    import select

    if not select.select([fd], [], [], timeout)[0]:
        raise TimeoutError("no answer from the terminal")
    return os.read(fd, 64)


def _remember_cell_size() -> None:
    """Give textual-image a cell size when :func:`detect` did not (the app started without the command line):
    from the window size, or VT340's 10x20, never by asking (Textual may be reading the keyboard)."""
    from textual_image import _terminal

    if not hasattr(_terminal.get_cell_size, "_result"):
        _terminal.get_cell_size._result = _terminal.CellSize(*(_window_cell_size() or (10, 20)))  # type: ignore[attr-defined]


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
        _remember_cell_size()
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
