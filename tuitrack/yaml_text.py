"""The small YAML that MLflow's files need, without PyYAML.

MLflow writes ``MLmodel``, ``conda.yaml``, ``python_env.yaml`` and ``meta.yaml`` as
YAML; ``log_dict`` writes ``.yaml`` artifacts.  The logging module must not need
PyYAML (training environments carry only the standard library), so :func:`dump`
writes block-style YAML that any YAML reader loads back to the same data, and
:func:`load` uses PyYAML when it is installed and otherwise reads the subset such
files use: block mappings and sequences, ``[]``/``{}`` and simple flow lists,
plain, single- and double-quoted scalars (also folded over several lines).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["YamlError", "dump", "load"]


class YamlError(ValueError):
    """Text that is not the YAML this module reads (install PyYAML for full YAML)."""


_PLAIN_RE = re.compile(r"[A-Za-z_/][\w./+=<>@-]*( [\w./+=<>@()-]+)*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_NUMBER_RE = re.compile(
    r"[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+"
)


def _printable(ch: str) -> bool:
    o = ord(ch)
    # YAML's printable set, less the characters YAML also reads as line breaks
    return (
        o in (0x09, 0x0A, 0x0D)
        or 0x20 <= o <= 0x7E
        or (0xA0 <= o <= 0xD7FF and o not in (0x2028, 0x2029))
        or 0xE000 <= o <= 0xFFFD
        or 0x10000 <= o <= 0x10FFFF
    )


def _quote(text: str) -> str:
    body = json.dumps(text, ensure_ascii=False)
    if all(_printable(c) for c in body):
        return body
    return "".join(c if _printable(c) else f"\\u{ord(c):04x}" for c in body)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(float(value))
        if "e" in text and "." not in text:  # YAML 1.1 readers need a dot in a float: 1e-05 -> 1.0e-05
            mantissa, _, exp = text.partition("e")
            text = f"{mantissa}.0e{exp}"
        return text
    text = value if isinstance(value, str) else str(value)
    if (
        _PLAIN_RE.fullmatch(text)
        and text.lower() not in _RESERVED
        and not _NUMBER_RE.fullmatch(text)
        and ": " not in text
        and " #" not in text
    ):
        return text
    return _quote(text)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            k = _scalar(key if isinstance(key, str) else str(key))
            if isinstance(item, dict) and item:
                out.append(f"{pad}{k}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, (list, tuple)) and item:
                out.append(f"{pad}{k}:")
                _emit(list(item), indent, out)
            else:
                out.append(f"{pad}{k}: {_inline(item)}")
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                sub[0] = f"{pad}- " + sub[0][indent + 2 :]
                out.extend(sub)
            elif isinstance(item, (list, tuple)) and item:
                sub = []
                _emit(list(item), indent + 2, sub)
                sub[0] = f"{pad}- " + sub[0][indent + 2 :]
                out.extend(sub)
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(f"{pad}{_inline(value)}")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _scalar(value)


def dump(data: Any) -> str:
    """Block-style YAML text for dicts, lists and scalars (str, int, float, bool, None)."""
    data = _plain(data)
    if not isinstance(data, (dict, list)) or not data:
        return _inline(data) + "\n"
    out: list[str] = []
    _emit(data, 0, out)
    return "\n".join(out) + "\n"


def _plain(value: Any) -> Any:
    """Mappings, sequences and numpy-like scalars as plain Python values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)


# -- reading ------------------------------------------------------------------------------
def load(text: str) -> Any:
    """Parse YAML text with the subset reader above; PyYAML, when installed, reads what lies outside it.

    The subset reader goes first so that reading the files tuitrack and MLflow write (a model's MLmodel on
    load_model) imports nothing outside the standard library, whatever else is installed."""
    try:
        return _Reader(text).document()
    except YamlError:
        try:
            import yaml
        except ImportError:
            raise
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None


def _parse_scalar(text: str) -> Any:
    text = text.strip()
    if text in ("", "null", "~", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if text[0] == "'" and text[-1] == "'" and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text[0] == '"' and text[-1] == '"' and len(text) >= 2:
        try:
            return json.loads(text)
        except ValueError:
            raise YamlError(f"cannot read the quoted string {text[:40]!r} without PyYAML") from None
    if text[0] == "[" and text[-1] == "]":
        inner = text[1:-1].strip()
        return [_parse_scalar(p) for p in _split_flow(inner)] if inner else []
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return float(text)
    if text in (".nan", ".NaN", ".NAN"):
        return math.nan
    if text in (".inf", "+.inf", ".Inf", "+.Inf"):
        return math.inf
    if text in ("-.inf", "-.Inf"):
        return -math.inf
    if text[0] in "{&*!|>%@`":
        raise YamlError(f"cannot read {text[:40]!r} without PyYAML (pip install pyyaml)")
    return text


def _split_flow(inner: str) -> list[str]:
    parts, depth, quote, cur = [], 0, "", []
    for ch in inner:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch in "[{":
            depth += 1
            cur.append(ch)
        elif ch in "]}":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line


def _unclosed(text: str) -> bool:
    """True when a scalar starts with a quote that the text does not close."""
    text = text.strip()
    if not text or text[0] not in "'\"":
        return False
    q = text[0]
    i = 1
    while i < len(text):
        if q == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == q:
            if q == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return False
        i += 1
    return True


_KEY_RE = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"\s#][^:#]*?)\s*:(?:\s+|$)""")


class _Reader:
    def __init__(self, text: str):
        self.lines: list[tuple[int, str]] = []
        raw = text.replace("\r\n", "\n").split("\n")
        i = 0
        while i < len(raw):
            line = raw[i].rstrip()
            i += 1
            if not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "..."):
                continue
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlError("tabs in indentation")
            indent = len(line) - len(line.lstrip(" "))
            content = _strip_comment(line.strip())
            # a quoted scalar folded over several lines: join them with single spaces
            value_part = content
            m = _KEY_RE.match(content)
            if m and not content.startswith("- "):
                value_part = content[m.end() :]
            elif content.startswith("- "):
                value_part = content[2:]
                m2 = _KEY_RE.match(value_part)
                if m2:
                    value_part = value_part[m2.end() :]
            while _unclosed(value_part) and i < len(raw):
                nxt = raw[i].strip()
                i += 1
                content += " " + nxt if nxt else "\n"
                value_part += " " + nxt if nxt else "\n"
            self.lines.append((indent, content))
        self.pos = 0

    def document(self) -> Any:
        if not self.lines:
            return None
        value = self._node(self.lines[0][0])
        if self.pos != len(self.lines):
            raise YamlError(f"unexpected text {self.lines[self.pos][1][:40]!r}")
        return value

    def _node(self, indent: int) -> Any:
        ind, content = self.lines[self.pos]
        if content == "-" or content.startswith("- "):
            return self._seq(ind)
        if _KEY_RE.match(content):
            return self._map(ind)
        self.pos += 1
        return self._fold(content, ind - 1)

    def _fold(self, text: str, indent: int) -> Any:
        """A plain scalar may continue on more-indented lines."""
        parts = [text]
        while (
            self.pos < len(self.lines)
            and self.lines[self.pos][0] > indent
            and not (_KEY_RE.match(self.lines[self.pos][1]) or self.lines[self.pos][1].startswith("- "))
        ):
            parts.append(self.lines[self.pos][1])
            self.pos += 1
        return _parse_scalar(" ".join(parts))

    def _value_after(self, rest: str, indent: int) -> Any:
        if rest.strip():
            if rest.strip()[0] in "'\"":
                return _parse_scalar(rest)
            return self._fold(rest, indent)
        if self.pos < len(self.lines):
            ind, content = self.lines[self.pos]
            if ind > indent or (ind == indent and (content == "-" or content.startswith("- "))):
                return self._node(ind)
        return None

    def _map(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.pos < len(self.lines):
            ind, content = self.lines[self.pos]
            if ind < indent:
                break
            if ind > indent:
                raise YamlError(f"unexpected indentation at {content[:40]!r}")
            m = _KEY_RE.match(content)
            if not m or content.startswith("- "):
                break
            key = _parse_scalar(m.group(1))
            self.pos += 1
            out[str(key) if not isinstance(key, str) else key] = self._value_after(content[m.end() :], indent)
        return out

    def _seq(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while self.pos < len(self.lines):
            ind, content = self.lines[self.pos]
            if ind != indent or not (content == "-" or content.startswith("- ")):
                break
            rest = content[2:] if content.startswith("- ") else ""
            if not rest.strip():
                self.pos += 1
                out.append(self._value_after("", indent))
                continue
            sub = indent + 2 + (len(rest) - len(rest.lstrip(" ")))
            self.lines[self.pos] = (sub, rest.strip())
            out.append(self._node(sub))
        return out
