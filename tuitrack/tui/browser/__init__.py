"""The main screen (``screen``) and what only it uses: its loader, state, runs table, tree and run detail."""
