"""Errors a user can act on: each carries a message key and its values, and says in the user's language
what happened and what to do (naming the file, row and column where there is one)."""

from __future__ import annotations

from dashboard.i18n import one_line, shorten, t


class Explained(Exception):
    """An error with a message for the user: ``message(lang)``; ``str()`` is the English text."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(t(key, "en", **kwargs))
        self.key = key
        self.kwargs = kwargs

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.kwargs)


class ImportRefused(Explained, ValueError):
    """A whole file refused; nothing stored changed.

    The message is one line whatever the file holds: text from it (a header cell with a line break in it,
    a sheet name, a value) shows each line break as ⏎, and a very long file name is shortened."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(key, **{name: for_message(name, value) for name, value in kwargs.items()})


def for_message(name: str, value: object) -> object:
    """A value as a message shows it: text on one line (⏎ for each line break), a file name shortened."""
    if not isinstance(value, str):
        return value
    return shorten(one_line(value)) if name == "file" else one_line(value)
