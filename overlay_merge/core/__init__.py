"""The engine: layout, `.overlay-base`, the upstream reader, plans.

Nothing in this package imports click or textual (an import-linter contract
and a test in a clean interpreter enforce it); the CLI and the TUI are thin
layers over the objects built here.
"""
