"""The refusal of a whole file, with a message in the user's language naming the file, row and column."""

from __future__ import annotations

from dashboard.i18n import t


class ImportRefused(ValueError):
    """A whole file refused; ``message(lang)`` names the file, row and column."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(t(key, "en", **kwargs))
        self.key = key
        self.kwargs = kwargs

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.kwargs)
