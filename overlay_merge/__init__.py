"""overlay-merge: keep an overlay of patched upstream files in step with its upstream."""

__version__ = "0.1.0"
