"""Reports: what a command found, its counts, its exit code and its renderings.

A report owns the counts and the return code (as black's ``report.py`` does);
the CLI and the TUI only choose a format and exit with ``report.return_code``.
Nothing here imports click or textual.
"""
