"""Lists users download: safe to open in Excel and correct in Japanese Excel."""

from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8-sig", "cp932")


def neutralize(value: object) -> object:
    """A cell Excel would run as a formula gets a leading apostrophe (OWASP CSV-injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralize)
    out.columns = [neutralize(str(c)) for c in out.columns]
    return out


def for_people(frame: pd.DataFrame, labels: dict[str, str], values: dict[str, dict[str, str]] | None = None
               ) -> pd.DataFrame:
    """A list as a person reads it (a download from the app): each column under its label in the user's
    language, coded values (a band's 'red') in words. Columns without a label keep their name."""
    out = frame.copy()
    for column, words in (values or {}).items():
        if column in out:
            out[column] = out[column].map(lambda v, w=words: w.get(v, v) if isinstance(v, (str, bool, np.bool_)) else v)
    out.columns = [labels.get(str(c), str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes: UTF-8 with BOM (default) or CP932; characters CP932 lacks become '?'."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}")
    text = safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
    if encoding == "cp932":
        return text.encode("cp932", errors="replace")
    return text.encode("utf-8-sig")
