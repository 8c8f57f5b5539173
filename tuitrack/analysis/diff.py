"""What changed between two runs: params, metrics, tags, environment, artifacts, and a text artifact.

Shared by ``tuitrack diff`` and the app's artifact diff (``D`` in compare).  Pure except
:func:`run_diff` and :func:`artifact_diff_of`, which read through a store's public methods.

- Mappings (params, tags, packages ...) diff key by key: ``removed`` (only in A), ``added``
  (only in B), ``changed``, ``same``.
- A JSON or YAML artifact diffs structurally: both sides are flattened to key paths
  (``model.layers[1].units``) and those diff like a mapping, so reordered keys and
  reformatting are not changes.  A file that does not parse diffs as text.
- Text diffs as a unified diff (``difflib``) or as side-by-side rows.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tuitrack.analysis.export import plain_number

REMOVED, ADDED, CHANGED, SAME = "removed", "added", "changed", "same"
#: Text artifacts larger than this are cut (the diff says so).
TEXT_LIMIT = 1_000_000
_STRUCTURED = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # removed (only in A), added (only in B), changed, same
    a: str | None
    b: str | None


@dataclass(frozen=True)
class Section:
    title: str
    changes: list[Change]

    @property
    def differences(self) -> list[Change]:
        return [c for c in self.changes if c.kind != SAME]


@dataclass(frozen=True)
class SideRow:
    """One row of a side-by-side diff: line numbers (1-based) and text of each side, None where absent."""

    tag: str  # equal, replace, delete, insert
    a_no: int | None
    a: str | None
    b_no: int | None
    b: str | None


@dataclass
class ArtifactDiff:
    path: str
    mode: str  # "structured" (key paths), "text", "binary" or "missing"
    changes: list[Change] = field(default_factory=list)  # structured
    unified: list[str] = field(default_factory=list)  # text
    rows: list[SideRow] = field(default_factory=list)  # text, side by side
    note: str = ""  # why the mode is what it is (parse error, cut, only in one run ...)

    @property
    def identical(self) -> bool:
        if self.mode == "structured":
            return all(c.kind == SAME for c in self.changes)
        if self.mode == "text":
            return all(r.tag == "equal" for r in self.rows)
        return False


def diff_mappings(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    """Key-by-key changes over the union of keys, sorted by key; values shown with ``str``."""
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            out.append(Change(key, REMOVED, _show(a[key]), None))
        elif key not in a:
            out.append(Change(key, ADDED, None, _show(b[key])))
        else:
            va, vb = _show(a[key]), _show(b[key])
            out.append(Change(key, SAME if va == vb else CHANGED, va, vb))
    return out


def _show(value: Any) -> str:
    """Full precision for numbers (0.83 and 0.8300001 must not look equal), ``nan``/``inf`` spelled out, as
    the csv/markdown export writes them."""
    return "None" if value is None else plain_number(value)


def flatten(obj: Any, prefix: str = "") -> dict[str, str]:
    """Key paths of a parsed JSON/YAML document -> JSON text of each leaf (``a.b[0].c``: ``"x"``).

    Empty dicts and lists are leaves (``{}``, ``[]``) so removing every key still shows.  A key
    holding dots or brackets is quoted (``a["b.c"]``) so paths stay unambiguous.
    """
    out: dict[str, str] = {}
    if isinstance(obj, Mapping) and obj:
        for k, v in obj.items():
            name = str(k)
            plain = name and all(c.isalnum() or c in "_-" for c in name)
            path = (f"{prefix}.{name}" if prefix else name) if plain else f"{prefix}[{json.dumps(name)}]"
            out.update(flatten(v, path))
    elif isinstance(obj, list) and obj:
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix or "(document)"] = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    return out


def parse_structured(text: str, path: str) -> tuple[Any, str]:
    """(document, "") for a JSON/YAML artifact, or (None, why not) when it is neither or does not parse."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    kind = _STRUCTURED.get(suffix)
    if kind == "json":
        try:
            return json.loads(text), ""
        except ValueError as exc:
            return None, f"not valid JSON ({exc}); compared as text"
    if kind == "yaml":
        try:
            import yaml
        except ImportError:
            return None, "PyYAML is not installed (pip install pyyaml); compared as text"
        try:
            return yaml.safe_load(text), ""
        except yaml.YAMLError as exc:
            return None, f"not valid YAML ({str(exc).splitlines()[0]}); compared as text"
    return None, ""


def unified(a: str, b: str, name_a: str = "a", name_b: str = "b", context: int = 3) -> list[str]:
    """A unified diff's lines (no trailing newlines)."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), name_a, name_b, n=context, lineterm="")
    ]


def side_by_side(a: str, b: str) -> list[SideRow]:
    """Every line of both texts paired up: equal lines side by side, changes as replace/delete/insert rows."""
    la, lb = a.splitlines(), b.splitlines()
    rows: list[SideRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [SideRow("equal", i + 1, la[i], j + 1, lb[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left = (i + 1, la[i]) if i < i2 else (None, None)
            right = (j + 1, lb[j]) if j < j2 else (None, None)
            kind = (
                "replace"
                if left[1] is not None and right[1] is not None
                else ("delete" if left[1] is not None else "insert")
            )
            rows.append(SideRow(kind, left[0], left[1], right[0], right[1]))
    return rows


def text_or_binary(raw: bytes) -> str | None:
    """UTF-8 text of ``raw``, or None when it looks binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def compare_texts(path: str, a: str, b: str, *, structured: bool = True) -> ArtifactDiff:
    """Diff two versions of one artifact: by key path when both parse as JSON/YAML, else as text."""
    if structured:
        doc_a, why_a = parse_structured(a, path)
        doc_b, why_b = parse_structured(b, path)
        if not why_a and not why_b and (doc_a is not None or doc_b is not None):
            return ArtifactDiff(path, "structured", changes=diff_mappings(flatten(doc_a), flatten(doc_b)))
        note = why_a or why_b
    else:
        note = ""
    return ArtifactDiff(
        path, "text", unified=unified(a, b, f"a/{path}", f"b/{path}"), rows=side_by_side(a, b), note=note
    )


def artifact_diff_of(store: Any, ref_a: str, ref_b: str, path: str, *, structured: bool = True) -> ArtifactDiff:
    """Read artifact ``path`` of both runs (up to :data:`TEXT_LIMIT` bytes each) and diff it."""
    raws: list[bytes | None] = []
    cut = False
    for ref in (ref_a, ref_b):
        try:
            file = store.artifact_file(ref, path)
        except FileNotFoundError:
            raws.append(None)
            continue
        if file.is_dir():
            return ArtifactDiff(path, "missing", note=f"{path} is a folder; give a file inside it")
        with open(file, "rb") as fh:
            raw = fh.read(TEXT_LIMIT + 1)
        cut = cut or len(raw) > TEXT_LIMIT
        raws.append(raw[:TEXT_LIMIT])
    if raws[0] is None or raws[1] is None:
        which = "either run" if raws[0] is None and raws[1] is None else ("run A" if raws[0] is None else "run B")
        return ArtifactDiff(path, "missing", note=f"{which} has no artifact {path}")
    texts = [text_or_binary(r) for r in raws if r is not None]
    if texts[0] is None or texts[1] is None:
        same = raws[0] == raws[1]
        return ArtifactDiff(
            path,
            "binary",
            note=f"binary file ({len(raws[0])} and {len(raws[1])} bytes): " + ("identical" if same else "they differ"),
        )
    out = compare_texts(path, texts[0], texts[1], structured=structured)
    if cut:
        out.note = (out.note + "; " if out.note else "") + f"compared the first {TEXT_LIMIT:,} bytes"
    return out


def common_text_artifacts(store: Any, ref_a: str, ref_b: str) -> list[str]:
    """Artifact paths both runs have (sorted), the candidates for an artifact diff."""
    a = {x.path for x in store.list_artifacts(ref_a)}
    return sorted(a & {x.path for x in store.list_artifacts(ref_b)})


def _split_tags(tags: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    user = {k: v for k, v in tags.items() if not k.startswith("tuitrack.")}
    system = {k[len("tuitrack.") :]: v for k, v in tags.items() if k.startswith("tuitrack.")}
    return user, system


def run_diff(store: Any, ref_a: str, ref_b: str) -> tuple[Any, Any, list[Section]]:
    """(run A, run B, sections): params, metrics (latest), tags, environment, packages, inputs, artifacts."""
    ra, rb = store.get_run(ref_a), store.get_run(ref_b)
    ua, sa = _split_tags(ra.data.tags)
    ub, sb = _split_tags(rb.data.tags)
    for sys_tags, run in ((sa, ra), (sb, rb)):
        if run.info.source:
            sys_tags.setdefault("command", run.info.source)
    inputs = []
    for ref in (ra.id, rb.id):
        inputs.append(
            {
                i.name: f"{i.digest or '-'}" + (f" ({i.rows} rows)" if i.rows is not None else "")
                for i in store.list_inputs(ref)
            }
        )
    arts = [{x.path: f"{x.size} bytes" for x in store.list_artifacts(ref)} for ref in (ra.id, rb.id)]
    sections = [
        Section("params", diff_mappings(ra.data.params, rb.data.params)),
        Section("metrics", diff_mappings(ra.data.metrics, rb.data.metrics)),
        Section("tags", diff_mappings(ua, ub)),
        Section("environment", diff_mappings(sa, sb)),
        Section("packages", diff_mappings(store.get_packages(ra.id), store.get_packages(rb.id))),
        Section("inputs", diff_mappings(inputs[0], inputs[1])),
        Section("artifacts", diff_mappings(arts[0], arts[1])),
    ]
    return ra, rb, sections


def change_lines(changes: Iterable[Change], *, show_same: bool = False) -> list[tuple[str, str]]:
    """(marker, text) lines for changes: ``-`` only in A, ``+`` only in B, ``~`` changed, `` `` same.

    The markers carry the meaning, so the output reads the same without colour (NO_COLOR, pipes).
    """
    out = []
    for c in changes:
        if c.kind == REMOVED:
            out.append(("-", f"{c.path}: {c.a}"))
        elif c.kind == ADDED:
            out.append(("+", f"{c.path}: {c.b}"))
        elif c.kind == CHANGED:
            out.append(("~", f"{c.path}: {c.a} -> {c.b}"))
        elif show_same:
            out.append((" ", f"{c.path}: {c.a}"))
    return out
