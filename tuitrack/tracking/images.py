"""Images as artifacts: encoding what ``log_image`` is given, and finding image series again.

``log_image(image, key=..., step=...)`` stores ``images/<key>/step_<step>.png``, so a run's
image series are read back from its artifact list alone (:func:`image_series`); no table
of its own.  Standard library only at import: numpy arrays are converted through their own
methods, Pillow is imported only when present and needed (JPEG, PIL images, arrays when it
is installed) and matplotlib figures save themselves.  Without Pillow a numpy array still
becomes a PNG, written by the small encoder below.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterable
from typing import Any

from tuitrack.errors import ValidationError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
IMAGES_DIR = "images"
_STEP_RE = re.compile(r"step_(-?[0-9]+)\.png\Z")


def is_image(path: str) -> bool:
    return path.lower().endswith(IMAGE_SUFFIXES)


def image_path(key: str, step: int) -> str:
    """Where image ``key`` at ``step`` is stored: ``images/<key>/step_<step, 9 digits>.png``."""
    return f"{IMAGES_DIR}/{key}/step_{step:09d}.png" if step >= 0 else f"{IMAGES_DIR}/{key}/step_{step}.png"


def parse_image_path(path: str) -> tuple[str, int] | None:
    """``images/val/pred/step_000000003.png`` -> ``("val/pred", 3)``; None for any other path."""
    if not path.startswith(IMAGES_DIR + "/"):
        return None
    key, _, name = path[len(IMAGES_DIR) + 1 :].rpartition("/")
    m = _STEP_RE.match(name)
    if not key or m is None:
        return None
    return key, int(m.group(1))


def image_series(paths: Iterable[str]) -> dict[str, dict[int, str]]:
    """key -> {step: artifact path} of the image series among a run's artifact paths."""
    out: dict[str, dict[int, str]] = {}
    for path in paths:
        parsed = parse_image_path(path)
        if parsed is not None:
            out.setdefault(parsed[0], {})[parsed[1]] = path
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a PNG, GIF, BMP or JPEG file; None if unknown."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return struct.unpack("<HH", head[6:10])
    if head[:2] == b"BM" and len(head) >= 26:
        w, h = struct.unpack("<ii", head[18:26])
        return w, abs(h)
    if head[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(head):
            if head[i] != 0xFF:
                i += 1
                continue
            marker = head[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", head[i + 5 : i + 9])
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + struct.unpack(">H", head[i + 2 : i + 4])[0]
    return None


# -- encoding ---------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(raw: bytes, width: int, height: int, channels: int) -> bytes:
    """A PNG of 8-bit pixels, rows top to bottom (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA channels)."""
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    stride = width * channels
    rows = b"".join(b"\x00" + raw[y * stride : (y + 1) * stride] for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(rows, 6))
        + _png_chunk(b"IEND", b"")
    )


def _array_to_uint8(array: Any) -> tuple[Any, int, int, int]:
    """(uint8 array, width, height, channels) of a numpy image, with MLflow's value rules.

    Floats must lie in [0, 1] (scaled to 0-255) or [0, 255]; integers in [0, 255]; bools are 0/255.
    """
    shape = tuple(array.shape)
    if len(shape) == 3 and shape[2] == 1:
        array = array[:, :, 0]
        shape = shape[:2]
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (3, 4)) or 0 in shape:
        raise ValidationError(f"log_image: an array image must be HxW, HxWx1, HxWx3 or HxWx4, got shape {shape}")
    kind = array.dtype.kind
    lo: float
    hi: float
    if kind == "b":
        array = array.astype("uint8") * 255
    elif kind in "iu":
        lo, hi = int(array.min()), int(array.max())
        if lo < 0 or hi > 255:
            raise ValidationError(f"log_image: integer pixel values must lie in [0, 255], got [{lo}, {hi}]")
        array = array.astype("uint8")
    elif kind == "f":
        lo, hi = float(array.min()), float(array.max())
        if not (lo == lo and hi == hi):
            raise ValidationError("log_image: the image holds NaN")
        if lo >= 0 and hi <= 1:
            array = (array * 255).round().astype("uint8")
        elif lo >= 0 and hi <= 255:
            array = array.round().astype("uint8")
        else:
            raise ValidationError(f"log_image: float pixel values must lie in [0, 1] or [0, 255], got [{lo}, {hi}]")
    else:
        raise ValidationError(f"log_image: unsupported pixel type {array.dtype}")
    channels = 1 if len(shape) == 2 else shape[2]
    return array, shape[1], shape[0], channels


def to_image_bytes(image: Any, suffix: str = ".png") -> bytes:
    """Encode a numpy array, PIL image or matplotlib figure as ``suffix`` (.png; .jpg/.jpeg need Pillow
    for arrays and PIL images)."""
    fmt = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}.get(suffix.lower())
    if fmt is None:
        raise ValidationError(f"log_image writes .png, .jpg or .jpeg files, got {suffix!r}")
    if hasattr(image, "savefig"):  # a matplotlib figure
        buf = io.BytesIO()
        image.savefig(buf, format=fmt)
        return buf.getvalue()
    if hasattr(image, "shape") and hasattr(image, "dtype"):  # a numpy array (or alike)
        array, width, height, channels = _array_to_uint8(image)
        try:
            from PIL import Image as PILImage
        except ImportError:
            if fmt != "png":
                raise ValidationError("log_image to a .jpg needs Pillow (pip install pillow); .png does not") from None
            return encode_png(array.tobytes(), width, height, channels)
        image = PILImage.fromarray(array)
    if hasattr(image, "save") and hasattr(image, "mode"):  # a PIL image
        buf = io.BytesIO()
        if fmt == "jpeg" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buf, format=fmt.upper())
        return buf.getvalue()
    raise ValidationError(
        f"log_image takes a numpy array, a PIL image or a matplotlib figure, got {type(image).__name__}"
    )
