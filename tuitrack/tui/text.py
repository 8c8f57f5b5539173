"""Showing user strings literally.

Run names, params, tags, notes and artifact names come from users and from
training scripts.  They must never be read as Rich markup (``[bold]``) or
reach the terminal as escape codes (``\\x1b[2J``), so every widget turns them
into ``rich.text.Text`` through :func:`safe`, which also makes control
characters visible instead of letting them act.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 64)  # ESC -> ^[, BEL -> ^G
    if code == 0x7F:
        return "^?"
    return f"\\u{code:04x}"


def clean(value: object, *, single_line: bool = True, limit: int | None = None) -> str:
    """The string with control characters (and bidi overrides) made visible; newlines/tabs kept unless single_line."""
    text = value if isinstance(value, str) else str(value)
    if single_line:
        text = text.replace("\r\n", "\n").replace("\n", "⏎").replace("\t", " ")
    else:
        text = text.replace("\r\n", "\n").replace("\t", "    ")
    text = _CONTROL.sub(_visible, text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def safe(value: object, style: str = "", *, single_line: bool = True, limit: int | None = None) -> Text:
    """A ``Text`` holding ``value`` literally: no markup parsing, no live escape codes."""
    return Text(clean(value, single_line=single_line, limit=limit), style=style, no_wrap=single_line)


# -- editing user strings ----------------------------------------------------------------------
# Input and TextArea draw their text as it is: an ESC in a run name or note would reach the
# terminal.  Editors therefore get the text with each control character replaced by a visible
# stand-in (C0 -> its Unicode control picture, e.g. ESC -> "␛"; DEL -> "␡"; C1 and bidi controls
# -> "⟨U+202E⟩"), and ``restore`` maps the stand-ins of the characters the original held back, so
# saving without touching them keeps the value byte for byte.


def _stand_in(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"⟨U+{code:04X}⟩"


def _editable_controls(multiline: bool) -> re.Pattern[str]:
    return re.compile(
        r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
        if multiline
        else r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
    )


def editable(value: str, *, multiline: bool = False) -> str:
    """``value`` for an editor widget: control characters as visible stand-ins.

    Tabs stay; newlines stay when ``multiline`` (a carriage return becomes ``␍``: a TextArea would
    turn it into a newline and the saved note would change).
    """
    return _editable_controls(multiline).sub(lambda m: _stand_in(m.group(0)), value)


def restore(edited: str, original: str, *, multiline: bool = False) -> str:
    """The edited text with the stand-ins of ``original``'s control characters turned back into them."""
    for ch in sorted(set(_editable_controls(multiline).findall(original)), key=lambda c: -len(_stand_in(c))):
        edited = edited.replace(_stand_in(ch), ch)
    return edited
