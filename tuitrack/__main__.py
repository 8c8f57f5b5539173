"""``python -m tuitrack``: the same as the ``tuitrack`` command."""

from tuitrack.cli.launch import main

main()
