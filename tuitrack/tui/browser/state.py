"""Per-store view state (columns, sort, filter) remembered between sessions.

Saved under ``$XDG_STATE_HOME/tuitrack`` (default ``~/.local/state/tuitrack``),
one small JSON file per store named by a hash of the store's resolved path:
never inside the store, because a store may be read-only or belong to
someone else, and a viewer must never write into it.  A damaged or foreign
state file is ignored (the view falls back to defaults) rather than stopping
the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tuitrack.tui.browser.run_columns import DEFAULT_SORT, split_key

STATE_VERSION = 1


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".local" / "state"
    return root / "tuitrack"


@dataclass
class ViewState:
    """What the browser remembers for one store.  ``columns=None`` means "the defaults for what's there"."""

    columns: list[str] | None = None
    sort_key: str = DEFAULT_SORT[0]
    sort_desc: bool = DEFAULT_SORT[1]
    filter: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def state_file(store_path: Path, state_dir: Path | None = None) -> Path:
    digest = hashlib.sha256(str(Path(store_path).resolve()).encode()).hexdigest()[:16]
    return (state_dir or default_state_dir()) / f"view-{digest}.json"


def _valid_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    try:
        split_key(key)
    except ValueError:
        return False
    return True


def load_state(store_path: Path, state_dir: Path | None = None) -> ViewState:
    """The saved state, or defaults when there is none or it cannot be read (never raises)."""
    try:
        raw = json.loads(state_file(store_path, state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ViewState()
    if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
        return ViewState()
    state = ViewState()
    cols = raw.get("columns")
    if isinstance(cols, list) and all(_valid_key(c) for c in cols):
        state.columns = list(dict.fromkeys(cols))
    if _valid_key(raw.get("sort_key")):
        state.sort_key = raw["sort_key"]
        state.sort_desc = bool(raw.get("sort_desc"))
    if isinstance(raw.get("filter"), str):
        state.filter = raw["filter"]
    if isinstance(raw.get("extra"), dict):
        state.extra = raw["extra"]
    return state


def save_state(store_path: Path, state: ViewState, state_dir: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a file; OSError propagates."""
    target = state_file(store_path, state_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": STATE_VERSION, "store": str(Path(store_path).resolve()), **asdict(state)}
    fd, tmp = tempfile.mkstemp(prefix=".view-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
