"""The textual TUI (bump screen, review): a thin layer over the core's plan objects."""
