"""The click command line: thin, one function per command."""
