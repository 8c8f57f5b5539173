"""The Textual app.  Imported only by the ``tuitrack`` command, never by ``import tuitrack``.

Textual paints on a fixed 60 Hz grid: a change made just after a tick waits up to 16.7 ms
(8 on average) to reach the screen, a third of the 50 ms a key may take.  At 120 Hz that
wait halves; frames still happen only when something changed, so an idle app costs the
same.  Set before Textual is imported (it reads it once); ``TEXTUAL_FPS`` in the
environment still wins.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
