"""The commands, one module each: ``cli.main`` imports a module only when its command runs.

Command X is the function ``X_command`` of the module ``overlay_merge.cli.commands.X``.
"""

NAMES = ("abort", "build", "bump", "check", "demo", "diff", "init", "resolve", "review", "status")
