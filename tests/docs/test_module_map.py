"""The README's module map (under "## Development") cannot drift from the package.

Every top-level module and subpackage of ``tuitrack`` and every subpackage of ``tuitrack.tui`` has a
line; every path on the map exists; every ``name.py`` a package's line names is in that package.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "tuitrack"


def _map_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Development", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def _entries() -> dict[str, str]:
    """Map path -> its description (continuation lines joined)."""
    out: dict[str, str] = {}
    last = None
    for line in _map_lines():
        if line.startswith("tuitrack/"):
            path, _, text = line.partition(" ")
            out[path] = text.strip()
            last = path
        elif last is not None:
            out[last] += " " + line.strip()
    return out


def _expected() -> set[str]:
    def name(p: Path) -> str:
        return str(p.relative_to(ROOT)) + ("/" if p.is_dir() else "")

    top = {
        name(p)
        for p in PKG.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__pycache__"
    }
    tui = {name(p) for p in (PKG / "tui").iterdir() if (p / "__init__.py").exists()}
    return (top - {"tuitrack/tui/"}) | tui


def test_every_module_and_package_is_on_the_map() -> None:
    listed = set(_entries())
    missing = sorted(_expected() - listed)
    assert not missing, f"add a line for each of these to the module map in README.md: {missing}"


def test_every_path_on_the_map_exists() -> None:
    gone = [path for path in _entries() if not (ROOT / path).exists()]
    assert not gone, f"the README's module map lists paths that do not exist: {gone}"


def test_modules_named_in_a_package_line_exist() -> None:
    wrong = []
    for path, text in _entries().items():
        if path.endswith("/"):
            for module in re.findall(r"(?<![/\w])([a-z_]+\.py)\b", text):  # a/b.py is a path, not a module here
                if not (ROOT / path / module).exists():
                    wrong.append(f"{path}{module}")
    assert not wrong, f"the README's module map names modules that do not exist: {wrong}"
