"""What an overlay file imports from upstream, read with tree-sitter grammars (docs/design.md §5).

``model`` holds the plain values (an import, a module's exported names, the
configuration of where imports resolve), ``grammars`` loads the tree-sitter
grammars (a grammar that fails to load skips its language, never guesses),
``python`` and ``javascript`` read imports and exported names from a syntax
tree, ``resolve`` turns an import into the upstream paths it may name.  Only
this package imports tree-sitter.
"""
