"""Errors every runtime shares."""

from __future__ import annotations


class UsageError(Exception):
    """A bad argument or input: the CLI prints it as one clear line and exits with code 2."""
