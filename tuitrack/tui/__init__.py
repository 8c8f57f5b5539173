"""The Textual app.  Imported only by the ``tuitrack`` command, never by ``import tuitrack``.

Importing it has no side effects: the frame-rate and gc tuning start when an app is created
(:class:`tuitrack.tui.app.TuitrackApp`).
"""
