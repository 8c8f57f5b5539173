"""click's CliRunner with click 8.2's result streams on every click the constraints pin.

Python 3.9 gets click 8.1.8 (8.2 needs 3.10), whose CliRunner mixes stderr into stdout unless
``mix_stderr=False`` and then leaves stderr out of ``output``.  Tests read ``stdout`` (data), ``stderr``
(remarks) and ``output`` (both, as a user sees them) as click 8.2+ defines them; this runner gives
those three on 8.1 too (``output`` is stdout then stderr there, not interleaved).
"""

from __future__ import annotations

import inspect
from typing import Any

from click.testing import CliRunner as _ClickRunner
from click.testing import Result

_CLICK_81 = "mix_stderr" in inspect.signature(_ClickRunner.__init__).parameters


class _Result81(Result):
    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CliRunner(_ClickRunner):
    def __init__(self, **kwargs: Any) -> None:
        if _CLICK_81:
            kwargs.setdefault("mix_stderr", False)
        super().__init__(**kwargs)

    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        result = super().invoke(*args, **kwargs)
        if _CLICK_81:
            result.__class__ = _Result81
        return result
