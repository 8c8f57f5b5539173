"""The footer every tuitrack screen uses: one line of the keys a newcomer needs, never cut off.

Textual's footer lists every ``show=True`` binding and simply clips what does
not fit ("Scatte...").  Screens therefore show only their few essential keys
(the rest stay in ``?`` help and the ``ctrl+p`` palette), and this footer
tightens its spacing and drops the palette hint when the terminal is narrow,
so the essential keys fit in 80 columns.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

#: Below this width the footer is compact and the ``^p palette`` hint is left out (``?`` lists it).
ROOMY_WIDTH = 100


class KeyFooter(Footer):
    """A ``Footer`` that adapts its spacing to the terminal width ("key Description", one space apart)."""

    DEFAULT_CSS = """
    KeyFooter.-narrow FooterKey .footer-key--key { padding: 0 0 0 1; }
    KeyFooter.-narrow FooterKey .footer-key--description { padding: 0 0 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, show_command_palette=False)

    def on_resize(self, event: events.Resize) -> None:
        roomy = event.size.width >= ROOMY_WIDTH
        if self.has_class("-narrow") == roomy or self.show_command_palette != roomy:
            self.set_class(not roomy, "-narrow")
            self.show_command_palette = roomy
            if self._bindings_ready:
                self.call_after_refresh(self.recompose)
