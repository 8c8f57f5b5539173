"""The footer every tuitrack screen uses: one line of the keys a newcomer needs, never cut off.

Textual's footer lists every ``show=True`` binding and simply clips what does
not fit ("Scatte...").  Screens therefore show only their few essential keys
(the rest stay in ``?`` help and the ``ctrl+p`` palette), and this footer
tightens its spacing and drops the palette hint when the terminal is narrow,
so the essential keys fit in 80 columns.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen
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
        self._shown: tuple[object, ...] | None = None

    def _signature(self, screen: Screen) -> tuple[object, ...]:
        """Everything ``Footer.compose`` draws from: equal signatures compose equal footers."""
        keys = tuple((b.key, self.app.get_key_display(b), b.description, b.action, enabled, tooltip,
                      b.group.description if b.group else None, b.group.compact if b.group else None)
                     for _, b, enabled, tooltip in screen.active_bindings.values() if b.show)
        palette = self.app.COMMAND_PALETTE_BINDING in screen.active_bindings
        return keys, self.show_command_palette, palette

    def bindings_changed(self, screen: Screen) -> None:
        """Recompose only when the shown keys change.

        Every focus change signals new bindings, and a recompose re-mounts every key widget
        (restyles plus a full-screen relayout, ~20 ms); moving focus between widgets that show
        the same keys then cost that for nothing.
        """
        if self._bindings_ready and screen.app.app_focus and self.is_attached and screen is self.screen:
            signature = self._signature(screen)
            if signature == self._shown:
                return
            self._shown = signature
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        roomy = event.size.width >= ROOMY_WIDTH
        if self.has_class("-narrow") == roomy or self.show_command_palette != roomy:
            self.set_class(not roomy, "-narrow")
            self.show_command_palette = roomy
            if self._bindings_ready:
                self._shown = None
                self.call_after_refresh(self.recompose)
