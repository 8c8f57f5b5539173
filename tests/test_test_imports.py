"""Test modules import shared helpers from ``tests/helpers.py``, never from a ``conftest``.

pytest imports each ``conftest.py`` of a folder without ``__init__.py`` as the module ``conftest``,
replacing the previous one in ``sys.modules``: with ``tests/sync/conftest.py`` present,
``from conftest import reset_tuitrack`` fails in every test module collected after tests/sync (CI went
red this way), and ``from tests.conftest import ...`` only works when the repository root happens to be on
``sys.path``.  This check names the offending line instead of an ImportError in some later module.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CONFTEST_IMPORT = re.compile(
    r"^\s*(from\s+(tests\.)?(\w+\.)*conftest\s+import|import\s+(tests\.)?(\w+\.)*conftest\b)", re.M
)


def test_no_test_module_imports_a_conftest() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "conftest.py" or "__snapshots__" in path.parts:
            continue
        for m in CONFTEST_IMPORT.finditer(path.read_text(encoding="utf-8")):
            line = path.read_text(encoding="utf-8").count("\n", 0, m.start()) + 1
            offenders.append(f"{path.relative_to(TESTS.parent)}:{line}: {m.group(0).strip()}")
    assert not offenders, "import shared test helpers from tests/helpers.py (from helpers import ...):\n" + "\n".join(
        offenders
    )


TEST_MODULE_IMPORT = re.compile(
    r"^\s*(from\s+(tests\.)?(\w+\.)*test_\w+\s+import|import\s+(tests\.)?(\w+\.)*test_\w+)", re.M
)


def test_no_test_module_imports_another_test_module() -> None:
    """Shared helpers live in tests/helpers.py (standard library) or tests/tui_helpers.py (the app): a test
    module imported by another is collected twice under two names and drags its fixtures along."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if "__snapshots__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for m in TEST_MODULE_IMPORT.finditer(text):
            offenders.append(
                f"{path.relative_to(TESTS.parent)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}"
            )
    assert not offenders, "import shared test helpers from tests/helpers.py or tests/tui_helpers.py:\n" + "\n".join(
        offenders
    )
