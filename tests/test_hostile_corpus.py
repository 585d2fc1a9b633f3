"""The hostile corpus: broken and malicious files generated here, each imported the way the Data page does
(bytes and the uploaded name). Each is loaded correctly or refused with one message naming the file (and
the row and column where there is one); no other exception; on a refusal the database's content is
unchanged. The counts go to docs/reliability.md."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from dashboard import export
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.imports import importer
from dashboard.imports.readers import ImportRefused
from tests.conftest import crafted_xlsx, xlsx_bytes

H = "取引先ID,会社名,月額,契約開始日\r\n"
GOOD = ["A1,株式会社①,120000,2024/4/1", "A2,髙﨑商事,80000,2024/5/1"]


def csv(rows: list[str], encoding: str = "utf-8", header: str = H) -> bytes:
    return (header + "".join(r + "\r\n" for r in rows)).encode(encoding)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


WORKBOOK = xlsx_bytes({"顧客": [["取引先ID", "会社名", "月額", "契約開始日"], ["A1", "株式会社①", 120000, "2024/4/1"]]})

# name -> (bytes, expectation). Expectations: ("refused", words the message must hold besides the file name)
# or ("loaded", rows loaded, rows rejected, {row: words of that row's error}).
CORPUS = {
    "empty.csv": (b"", ("refused", "empty")),
    "whitespace.csv": (b"   \r\n\t \n  ", ("refused", "empty")),
    "binary.csv": (bytes(range(256)) * 40, ("refused", "encoding")),
    "nul_bytes.csv": (csv(["A1,株式\x00会社,120000,2024/4/1"]), ("refused", "binary")),
    "utf16.csv": (csv(GOOD, "utf-16"), ("loaded", 2, 0, {})),
    "utf8_then_cp932.csv": (csv(GOOD[:1]) + (GOOD[1] + "\r\n").encode("cp932"), ("refused", "encoding")),
    "cut_off.csv": (csv(GOOD)[:-20], ("refused", "row 3")),
    "cut_off.xlsx": (WORKBOOK[: len(WORKBOOK) // 2], ("refused", "damaged or truncated")),
    "zip_not_workbook.xlsx": (_zip({"hello.txt": b"not a workbook"}), ("refused", "damaged or truncated")),
    "bomb.xlsx": (_zip({"xl/worksheets/sheet1.xml": b"<" + b"a" * 300_000_000}), ("refused", "")),
    "ten_mb_cell.csv": (csv([f"A1,{'x' * 10_000_000},120000,2024/4/1"]), ("refused", "row 2")),
    "20000_columns.csv": (",".join(f"c{i}" for i in range(20_000)).encode() + b"\r\n" + b"1," * 19_999 + b"1\r\n",
                          ("refused", "20,000 columns")),
    "cr_only.csv": (csv(GOOD).replace(b"\r\n", b"\r"), ("loaded", 2, 0, {})),
    "duplicate_ids.csv": (csv([*GOOD, GOOD[0]]), ("loaded", 2, 1, {4: "duplicate"})),
    "conflicting_ids.csv": (csv([*GOOD, "A1,別会社,99999,2024/4/1"]), ("loaded", 2, 1, {4: "duplicate"})),
    "negative_mrr.csv": (csv([*GOOD, "A3,x,-120000,2024/4/1"]), ("loaded", 2, 1, {4: "negative"})),
    "absurd_mrr.csv": (csv([*GOOD, "A3,x,999999999999999999999,2024/4/1"]), ("loaded", 2, 1, {4: "too large"})),
    "year_0001.csv": (csv([*GOOD, "A3,x,1000,0001/01/01"]), ("loaded", 2, 1, {4: "before 1900"})),
    "year_9999.csv": (csv([*GOOD, "A3,x,1000,9999/12/31"]), ("loaded", 3, 0, {})),
    "feb_30.csv": (csv([*GOOD, "A3,x,1000,2024/2/30"]), ("loaded", 2, 1, {4: "not a date"})),
    "formulas.csv": (csv(['A1,"=HYPERLINK(""http://evil"",""x"")",1000,2024/4/1', "A2,+cmd|' /C calc'!A0,1000,2024/4/1"]),
                     ("loaded", 2, 0, {})),
    "html_script.csv": (csv(["A1,<script>alert(1)</script><b>株式会社</b>,1000,2024/4/1"]), ("loaded", 1, 0, {})),
    "sql_in_header.csv": (csv(["A1,x,1000,2024/4/1"], header='取引先ID,"会社名""; DROP TABLE accounts;--",月額,契約開始日\r\n'),
                          ("loaded", 1, 0, {})),
    "sql_sheet.xlsx": (xlsx_bytes({"'; DROP TABLE accounts;--": [["取引先ID", "月額"], ["A1", 1000]]}), ("loaded", 1, 0, {})),
    "../../../etc/passwd.csv": (csv(GOOD), ("loaded", 2, 0, {})),
    ("長い名前" * 80) + ".csv": (csv(GOOD), ("loaded", 2, 0, {})),
    "stray_cell.xlsx": (crafted_xlsx({"A1": "取引先ID", "B1": "月額", "A2": "A1", "B2": 1, "XFD1048576": 1}),
                        ("refused", "XFD1048576")),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "base.duckdb"
    db = Database(path)
    importer.commit(db, importer.plan_import(csv(["A9,既存商事,50000,2023/4/1"]), "base.csv", "accounts", db=db),
                    by=EDITOR)
    return path


TALLY = {"tried": 0, "loaded": 0, "refused": 0}


@pytest.mark.parametrize("name", list(CORPUS), ids=lambda n: n[:40])
def test_each_hostile_file_is_loaded_right_or_refused_clearly(name, base, tmp_path, reliability):
    data, expected = CORPUS[name]
    path = tmp_path / "db.duckdb"
    shutil.copy(base, path)
    db = Database(path)
    before = db.content_fingerprint()
    TALLY["tried"] += 1
    try:
        plan = importer.plan_import(data, name, "accounts", db=db, mode="upsert")
        result = importer.commit(db, plan, by=EDITOR, lang="en")
    except ImportRefused as exc:
        message = exc.message("en")
        assert expected[0] == "refused", f"{name} refused: {message}"
        assert message.startswith(name.split("/")[-1] if "/" not in name else name) or name in message
        assert expected[1] in message, message
        assert "Traceback" not in message and "\n" not in message.strip()
        assert db.content_fingerprint() == before  # nothing stored changed
        assert exc.message("ja")  # and it has Japanese words too
        TALLY["refused"] += 1
    else:
        assert expected[0] == "loaded", f"{name} was loaded: {result['rows_loaded']} rows"
        _, rows, rejected, errors = expected
        assert (result["rows_loaded"], result["rows_rejected"]) == (rows, rejected)
        for error in result["errors"]:
            assert error["column"] and error["row"] in errors and errors[error["row"]] in error["message"]
        TALLY["loaded"] += 1
    if TALLY["tried"] == len(CORPUS):
        reliability.count("Bad input", "hostile files tried (generated corpus)", TALLY["tried"],
                          f"{TALLY['loaded']} loaded (bad rows named by row and column), "
                          f"{TALLY['refused']} refused with one message; 0 other exceptions, 0 changes on refusal")


def test_names_stay_as_written_and_leave_as_text(base, tmp_path, reliability):
    """Markup and formulas are stored as written (never escaped or rounded on the way in) and every CSV
    the product writes neutralises formula-looking cells, in every column."""
    path = tmp_path / "db.duckdb"
    shutil.copy(base, path)
    db = Database(path)
    for name in ("formulas.csv", "html_script.csv"):
        importer.commit(db, importer.plan_import(CORPUS[name][0], name, "accounts", db=db, mode="upsert"), by=EDITOR)
    stored = db.query("SELECT account_id, name FROM cur_accounts ORDER BY account_id")
    assert "<script>alert(1)</script><b>株式会社</b>" in stored["name"].tolist()
    text = export.to_csv_bytes(stored.assign(other=["=1+1", "@SUM(A1)", "-2+3", "ok"][: len(stored)])).decode("utf-8-sig")
    cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
    risky = [c for c in cells if c.lstrip('"')[:1] in ("=", "+", "@") or c.lstrip('"').startswith("-2")]
    assert not risky, risky
    reliability.count("Output safety", "formula-looking cells written to CSV", len(stored) * 3,
                      "every one prefixed so Excel shows it as text")
