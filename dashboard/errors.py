"""Errors a user can act on: each carries a message key and its values, and says in the user's language
what happened and what to do (naming the file, row and column where there is one)."""

from __future__ import annotations

from dashboard.i18n import t


class Explained(Exception):
    """An error with a message for the user: ``message(lang)``; ``str()`` is the English text."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(t(key, "en", **kwargs))
        self.key = key
        self.kwargs = kwargs

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.kwargs)


class ImportRefused(Explained, ValueError):
    """A whole file refused; nothing stored changed."""
