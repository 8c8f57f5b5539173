"""Curation input that needs no store: tag edits parsed and checked, one-line message text, quick-tag config.

Split from :mod:`tuitrack.curation.core` (which re-exports every name) so the store-writing half
stays short; the TUI's editors and the CLI parse and validate with these before touching a store.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.errors import ValidationError
from tuitrack.formatting import visible

DEFAULT_QUICK_TAGS: dict[str, tuple[str, str]] = {
    "1": ("status", "keep"),
    "2": ("status", "discard"),
    "3": ("status", "review"),
}

_C0 = re.compile(r"[\x00-\x1f]")


def show(value: object, limit: int = 40) -> str:
    """A user string made safe and short for a one-line message.

    Newlines show as ``⏎``, other C0 controls as ``^X``, and C1 controls, bidi overrides and
    zero-width marks as ``\\xNN``/``\\uNNNN`` (the CLI's rule), so a message never reorders or
    colours the line it is printed in.
    """
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\n", "⏎")
    text = visible(_C0.sub(lambda m: f"^{chr(ord(m.group(0)) + 64)}", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_assignment(text: str) -> tuple[str, str]:
    """``"key=value"`` -> (key, value), validated like the logging API's tags."""
    if not isinstance(text, str) or "=" not in text:
        raise ValidationError(f"expected key=value, got {text!r}")
    key, value = text.split("=", 1)
    key = key.strip()
    return validation.validate_key(key, "tag key"), validation.tag_value(key, value)


def validate_tag_edit(
    set_tags: Mapping[str, Any] | None, remove: Iterable[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """Clean a requested tag edit; raises ValidationError naming the bad key or value."""
    clean = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in (set_tags or {}).items()}
    gone: list[str] = []
    for key in remove:
        validation.validate_key(key, "tag key")
        if key in clean:
            raise ValidationError(f"tag {key!r} is both set and removed; pick one")
        if key not in gone:
            gone.append(key)
    if not clean and not gone:
        raise ValidationError("nothing to change: give key=value to set and/or a key to remove")
    return clean, gone


def describe_tag_edit(set_tags: Mapping[str, str], remove: Sequence[str]) -> str:
    """``status=keep, -old`` style summary of a tag edit."""
    parts = [f"{show(k)}={show(v)}" for k, v in set_tags.items()] + [f"-{show(k)}" for k in remove]
    return ", ".join(parts)


# -- quick tags config ---------------------------------------------------------------------------
def quick_tags_path() -> Path:
    """``$XDG_CONFIG_HOME/tuitrack/quick_tags.json`` (``~/.config`` when XDG_CONFIG_HOME is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "tuitrack" / "quick_tags.json"


@dataclass(frozen=True)
class QuickTags:
    """Digit -> (key, value); ``error`` says why a config file was ignored (defaults are used then)."""

    tags: Mapping[str, tuple[str, str]]
    path: Path
    error: str | None = None


def load_quick_tags(path: Path | None = None) -> QuickTags:
    """Read the quick-tag config: a JSON object like ``{"1": "status=keep", "4": "best=yes"}``."""
    path = path if path is not None else quick_tags_path()
    if not path.exists():
        return QuickTags(dict(DEFAULT_QUICK_TAGS), path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return QuickTags(
            dict(DEFAULT_QUICK_TAGS), path, f"{path}: not valid JSON ({exc}); using the default quick tags"
        )
    if not isinstance(data, dict):
        return QuickTags(
            dict(DEFAULT_QUICK_TAGS),
            path,
            f'{path}: expected an object like {{"1": "status=keep"}}; using the default quick tags',
        )
    tags: dict[str, tuple[str, str]] = {}
    for digit, spec in data.items():
        if digit not in {str(n) for n in range(1, 10)}:
            return QuickTags(
                dict(DEFAULT_QUICK_TAGS),
                path,
                f"{path}: key {digit!r} is not a digit 1-9; using the default quick tags",
            )
        try:
            tags[digit] = parse_assignment(spec)
        except ValidationError as exc:
            return QuickTags(dict(DEFAULT_QUICK_TAGS), path, f"{path}: quick tag {digit}: {exc}; using the defaults")
    return QuickTags(dict(sorted(tags.items())), path)
