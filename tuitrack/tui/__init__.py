"""The Textual app.  Imported only by the ``tuitrack`` command, never by ``import tuitrack``."""
