"""Text bound for the terminal: what a file or an error says is shown, never acted on."""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with line breaks and control characters (terminal escape sequences) shown escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
