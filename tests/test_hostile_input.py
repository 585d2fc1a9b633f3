"""Hostile and broken files: each is loaded correctly or refused with one clear message naming the file
(and row and column where there is one); no traceback, no dead server, nothing stored changed.
(Issue: crashes and silent damage found by hostile testing, items 1, 3, 4 and 6.)"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.imports import importer, parsing, workbook
from dashboard.imports.readers import ImportRefused
from tests.conftest import crafted_xlsx
from tests.reliability import LEDGER
from tests.test_pages import open_page

ROOT = Path(__file__).resolve().parent.parent
HEADER = {"A1": "取引先ID", "B1": "月額", "A2": "A1", "B2": 1200, "A3": "A2", "B3": 3400}


def cli_import(tmp_path: Path, name: str, data: bytes, dataset: str = "accounts", *extra: str):
    """Import through the command line in a child process: an abort in a reader would show here as a
    negative exit code instead of taking the test run down."""
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(tmp_path / "h.duckdb"), "import",
                           str(path), "--dataset", dataset, *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "DASHBOARD_LANG": "en", "PYTHONPATH": str(ROOT)})
    return done.returncode, done.stdout, done.stderr


# -- item 1: a small workbook that asks for hundreds of GB ------------------------------------------
@pytest.mark.parametrize("cells, expected", [
    ({**HEADER, "XFD1048576": 1}, "reach XFD1048576 (1,048,576 rows × 16,384 columns"),
    ({**HEADER, "C1048576": 1}, None),  # 1M rows × 3 columns is a real (if long) sheet: within limits
])
def test_stray_far_cell_is_refused_before_reading(tmp_path, cells, expected):
    data = crafted_xlsx(cells)
    assert len(data) < 2000  # the whole attack is a small file
    code, out, err = cli_import(tmp_path, "stray.xlsx", data)
    if expected is None:
        assert code == 0, err
        assert json.loads(out)["rows_loaded"] == 2
    else:
        assert (code, out) == (2, ""), err
        assert "stray.xlsx" in err and expected in err and "Traceback" not in err


def test_huge_shared_string_table_claim_is_refused(tmp_path):
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4294967295" '
           'uniqueCount="4294967295"><si><t>x</t></si></sst>')
    code, out, err = cli_import(tmp_path, "sst.xlsx", crafted_xlsx(HEADER, sst=sst))
    assert (code, out) == (2, ""), err
    assert "declares 4,294,967,295 shared strings" in err


def test_a_lying_dimension_alone_does_no_harm(tmp_path):
    code, out, err = cli_import(tmp_path, "dim.xlsx", crafted_xlsx(HEADER, dimension="A1:XFD1048576"))
    assert code == 0, err
    assert json.loads(out)["rows_loaded"] == 2


def test_a_reader_that_dies_ends_in_a_refusal_not_a_dead_process():
    """Whatever the checks miss, the workbook is read in a child: its death is a refused file."""
    data = crafted_xlsx(HEADER)
    starved = workbook.Limits(reader_memory_mb=16)  # too little for the child even to start
    with pytest.raises(ImportRefused) as info:
        workbook.read_sheets(data, "ok.xlsx", starved)
    assert info.value.key == "workbook_reader_failed"
    assert workbook.read_sheets(data, "ok.xlsx")[0][1] == [["取引先ID", "月額"], ["A1", 1200.0], ["A2", 3400.0]]


def test_decompression_bomb_is_refused(tmp_path):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("xl/worksheets/sheet1.xml", "w") as sheet:
        sheet.write(b"<worksheet>")
        for _ in range(1100):  # 1.1 GB of spaces, written a MB at a time
            sheet.write(b" " * 2**20)
        sheet.write(b"</worksheet>")
    assert len(buf.getvalue()) < 2 * 2**20
    with pytest.raises(ImportRefused) as info:
        importer.plan_import(buf.getvalue(), "bomb.xlsx", "accounts")
    assert info.value.key == "workbook_too_big"


def test_the_data_page_survives_the_stray_cell_upload(app_db):
    at = open_page("data")
    at.file_uploader(key="up_file").upload("stray.xlsx", crafted_xlsx({**HEADER, "XFD1048576": 1}),
                                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert not at.exception
    assert "XFD1048576" in at.error[0].value


# -- item 6: very wide files are refused at once ----------------------------------------------------
def test_twenty_thousand_columns_csv_is_refused(db, tmp_path):
    header = ",".join(["取引先ID", "月額"] + [f"col{i}" for i in range(20_000)])
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + ",".join(["A1", "100"] + ["x"] * 20_000) + "\n")
    before = db.content_fingerprint()
    with pytest.raises(ImportRefused) as info:
        importer.import_file(db, path, "accounts", by=EDITOR)
    assert info.value.key == "too_many_columns"
    assert "wide.csv: 20,002 columns (the limit is 1,000" in info.value.message("en")
    assert db.content_fingerprint() == before


def test_wide_workbook_and_parquet_are_refused():
    with pytest.raises(ImportRefused) as info:
        importer.plan_import(crafted_xlsx({**HEADER, "BZZ3": 1}), "wide.xlsx", "accounts")
    assert info.value.key == "too_many_columns"
    buf = io.BytesIO()
    pq.write_table(pa.table({f"c{i}": [1] for i in range(1_500)}), buf)
    with pytest.raises(ImportRefused) as info:
        importer.plan_import(buf.getvalue(), "wide.parquet", "accounts")
    assert info.value.key == "too_many_columns"


def test_limits_are_a_workspace_setting(db):
    from dashboard import settings

    settings.put(db, "import_limits", {"max_columns": 3}, by=EDITOR)
    with pytest.raises(ImportRefused) as info:
        importer.plan_import("取引先ID,月額,業種,プラン\nA1,1,x,y\n".encode(), "four.csv", "accounts", db=db)
    assert "limit is 3" in info.value.message("en")


# -- item 3: odd values are rejected rows, never tracebacks ------------------------------------------
@pytest.mark.parametrize("value, key", [
    ("1000000000000000000000", "number_too_large"),   # 10^21: beyond 64-bit
    ("1" * 29, "number_too_large"),
    ("9" * 400, "number_too_large"),
    ("1e21", "not_a_number"),
    ("1e30", "not_a_number"),
    ("999兆", "not_a_number"),
    ("99999999999999億", "number_too_large"),
])
def test_absurd_amounts_are_rejected_rows(load, value, key):
    result = load("accounts", f"取引先ID,月額\nA1,100\nA2,{value}\n")
    assert (result["rows_loaded"], result["rows_rejected"]) == (1, 1)
    assert (result["errors"][0]["row"], result["errors"][0]["column"]) == (3, "月額")
    assert result["errors"][0]["message"].startswith("number too large" if key == "number_too_large" else "not a number")


def test_absurd_numbers_from_a_workbook_are_rejected_rows(db, tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(crafted_xlsx({**HEADER, "A4": "A3", "B4": "1e21", "A5": "A4", "B5": 1e30}))
    result = importer.import_file(db, path, "accounts", by=EDITOR)
    assert (result["rows_loaded"], result["rows_rejected"]) == (2, 2)
    assert [(e["row"], e["message"][:15]) for e in result["errors"]] == [(4, "not a number: \""),
                                                                          (5, "number too larg")]


def test_month_zero_is_a_rejected_row(load):
    result = load("mrr", "取引先ID,請求月,請求金額\nA1,2024-04,1000\nA1,0000-01,1000\nA1,2024-13,1000\n"
                         "A1,2024-05,1000\nA1,2024-06,1000\n")
    assert (result["rows_loaded"], result["rows_rejected"]) == (3, 2)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "請求月"), (4, "請求月")]


def test_parquet_timestamps_out_of_range_are_rejected_rows(db, tmp_path):
    far = 200_000 * 365 * 86_400 * 1_000_000  # about the year 202000, in microseconds
    starts = pa.array([1_700_000_000_000_000, far], type=pa.int64()).cast(pa.timestamp("us"))
    table = pa.table({"account_id": ["A1", "A2"], "mrr": [1000, 2000], "contract_start": starts})
    path = tmp_path / "far.parquet"
    pq.write_table(table, path)
    result = importer.import_file(db, path, "accounts", by=EDITOR)
    assert (result["rows_loaded"], result["rows_rejected"]) == (1, 1)
    assert (result["errors"][0]["row"], result["errors"][0]["column"]) == (3, "contract_start")
    assert result["errors"][0]["message"].startswith('not a date: "2018')  # the year 201837


def test_bom_followed_by_cp932_is_refused_with_the_row(db, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "取引先ID,会社名\nA1,Acme\nA2,株式会社①\n".encode("cp932"))
    before = db.content_fingerprint()
    with pytest.raises(ImportRefused) as info:
        importer.import_file(db, path, "accounts", by=EDITOR)
    assert info.value.key == "mixed_encoding" and info.value.kwargs["row"] == 1
    assert db.content_fingerprint() == before


def test_utf8_file_with_one_cp932_row_is_refused_with_that_row(db, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("取引先ID,会社名\nA1,株式会社あいう\nA2,髙橋商店\n".encode() + "A3,山﨑商事\n".encode("cp932"))
    with pytest.raises(ImportRefused) as info:
        importer.import_file(db, path, "accounts", by=EDITOR)
    assert info.value.key == "mixed_encoding" and info.value.kwargs["row"] == 4


def test_map_without_equals_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--db", str(tmp_path / "m.duckdb"), "import", "x.csv", "--dataset", "accounts", "--map", "mrr"])
    assert info.value.code == 2
    assert "canonical=Header" in capsys.readouterr().err


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(min_value=-(10**40), max_value=10**40),
                 st.floats(allow_nan=True, allow_infinity=True),
                 st.from_regex(r"[+\-(▲]?[0-9０-９]{1,40}([.,][0-9]{0,30})?(万|億|千|円)?\)?", fullmatch=True),
                 st.from_regex(r"[0-9]{1,5}[-/年.][0-9]{1,3}([-/月.][0-9]{1,3}日?)?", fullmatch=True)))
def test_every_parser_answers_a_value_or_a_parse_error(value):
    """parsing.py alone, on text and on Python numbers (it reads command-line arguments and guesses which columns
    are numeric); imports type cells with the SQL rules, fuzzed against these in test_values_sql.py."""
    for parser in parsing.PARSERS.values():
        try:
            parser(value)
        except parsing.ParseError:
            pass
    LEDGER.count("Bad input", "fuzzed values (text, integers, floats) through every Python value rule of "
                 "parsing.py (hypothesis; not the import path)", len(parsing.PARSERS),
                 "each a value or a ParseError naming the value; nothing else raised")


# -- item 4: accepted but wrong ---------------------------------------------------------------------
def test_euc_jp_is_read_as_euc_jp(load, db):
    text = "取引先ID,会社名,担当CSM\nA1,株式会社さくら,たなか\nA2,ひまわり商事,すずき\n"
    result = load("accounts", text, encoding="euc_jp")
    assert result["encoding"] == "euc_jp"
    assert db.query("SELECT name FROM cur_accounts ORDER BY 1")["name"].tolist() == ["ひまわり商事", "株式会社さくら"]


def test_cp932_with_half_width_katakana_stays_cp932(load, db):
    result = load("accounts", "取引先ID,会社名\nA1,ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗ\nA2,株式会社①\n", encoding="cp932")
    assert result["encoding"] == "cp932"
    assert set(db.query("SELECT name FROM cur_accounts")["name"]) == {"ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗ", "株式会社①"}


def test_unterminated_quote_is_refused_naming_row_and_column(db, load):
    before = db.content_fingerprint()
    with pytest.raises(ImportRefused) as info:
        load("accounts", '取引先ID,会社名,月額\nA1,Acme,100\nA2,"山田商事,200\nA3,佐藤,300\nA4,鈴木,400\n')
    assert info.value.key == "unclosed_quote"
    assert info.value.kwargs == {"file": "accounts.csv", "row": 3, "header": "会社名", "n": 2}
    assert db.content_fingerprint() == before


def test_a_note_with_line_breaks_is_still_fine(load, db):
    result = load("touchpoints", '取引先ID,接触日,メモ\nA1,2024/4/1,"議題: 更新\n次回: 5月, 担当 田中"\n')
    assert result["rows_loaded"] == 1
    assert db.query("SELECT note FROM cur_touchpoints")["note"][0] == "議題: 更新\n次回: 5月, 担当 田中"


def test_usage_without_a_measure_is_refused_and_changes_nothing(db, load):
    load("usage", "取引先ID,日付,ログイン数\nA1,2024/4/1,3\n")
    before = db.content_fingerprint()
    with pytest.raises(ImportRefused) as info:
        load("usage", "取引先ID,日付,メモ\nA1,2024/4/2,よい\n", name="usage2.csv")
    assert info.value.key == "no_measures"
    assert db.content_fingerprint() == before


def test_two_columns_with_one_header_keep_both_and_warn(load, db):
    result = load("accounts", "取引先ID,月額,月額\nA1,1000,9999\n")
    assert result["mapping"]["mrr"] == "月額"
    assert db.query("SELECT mrr FROM cur_accounts")["mrr"].tolist() == [1000]  # the leftmost, not the last
    assert result["warnings"] == ['accounts.csv row 1: the header "月額" appears in several columns (2, 3). '
                                  'The leftmost is read as "月額", the others as "月額 (2)" and so on; check the mapping.']


def test_cli_prints_warnings_to_stderr_and_json(tmp_path):
    code, out, err = cli_import(tmp_path, "dup.csv", "取引先ID,月額,月額\nA1,1000,9999\n".encode())
    assert code == 0 and "appears in several columns" in err
    assert json.loads(out)["warnings"] == [err.strip()]


# -- reliability run: five import defects ----------------------------------------------------------
# (1) mixed line endings. rows: the header, then three rows with the breaks inside quoted notes kept as
# they are (a cell's own line break is its text, whatever ends the rows around it).
LINE_MIXES = {
    "crlf-header-lf-rows": ("\r\n", "\n", "\n", "\n"),
    "lf-header-crlf-rows": ("\n", "\r\n", "\r\n", "\r\n"),
    "cr-header-lf-rows": ("\r", "\n", "\n", "\n"),
    "lf-with-one-cr-row": ("\n", "\n", "\r", "\n"),
    "every-kind": ("\r\n", "\r", "\n", "\r"),
}
MIXED_ROWS = ["取引先ID,接触日,種別,メモ", 'A1,2024/4/1,訪問,"議題: 更新\r\n次回: 5月"', "A2,2024/4/2,電話,髙橋①",
              'A3,2024/4/3,"メール, 定例","x\ny"']


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("endings", LINE_MIXES.values(), ids=LINE_MIXES)
def test_mixed_line_endings_are_read_row_for_row(load, db, encoding, endings):
    text = "".join(row + end for row, end in zip(MIXED_ROWS, endings, strict=True))
    result = load("touchpoints", text, encoding=encoding)
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (3, 3, 0), result["errors"]
    rows = db.query("SELECT account_id, date, kind, note FROM cur_touchpoints ORDER BY 1")
    assert rows["account_id"].tolist() == ["A1", "A2", "A3"]
    assert [d.day for d in rows["date"]] == [1, 2, 3]
    assert rows["kind"].tolist() == ["訪問", "電話", "メール, 定例"]
    assert rows["note"].tolist() == ["議題: 更新\r\n次回: 5月", "髙橋①", "x\ny"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("rows_end, header_break", [("\r\n", "\n"), ("\n", "\r\n"), ("\r", "\n")])
def test_a_line_break_in_a_header_cell_of_another_kind(load, db, encoding, rows_end, header_break):
    """Excel writes CRLF rows and an Alt+Enter in a cell as LF: the header cell's break is not the rows'."""
    text = rows_end.join([f'取引先ID,"会社{header_break}名","月額{header_break}(税抜)"', "A1,Acme,1200",
                          'A2,"山﨑商事, 東京",3400', ""])
    result = load("accounts", text, encoding=encoding)
    assert (result["rows_read"], result["rows_loaded"]) == (2, 2), result
    rows = db.query("SELECT account_id, name, mrr FROM cur_accounts ORDER BY 1")
    assert rows.values.tolist() == [["A1", "Acme", 1200], ["A2", "山﨑商事, 東京", 3400]]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_line_endings_are_evened_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    from dashboard.imports import staging

    monkeypatch.setattr(staging, "_CHUNK", chunk)  # every \r\n and quote split between two reads
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(b'a,"b\r\nc"\r\n1,"x\r\ny"\r2,""""\n3,"\r"\r\n')
    assert staging._even_line_breaks(source, target)  # the rows ended in three ways
    # every row ends in LF; a cell's own breaks stay, but the header's (DuckDB takes the first it meets)
    assert target.read_bytes() == b'a,"b\nc"\n1,"x\r\ny"\n2,""""\n3,"\r"\n'


def test_a_file_that_stays_unreadable_is_refused_in_words(db, tmp_path):
    from dashboard.imports import staging

    error = staging.duckdb.InvalidInputException("Invalid Input Error: The CSV Parser state machine reached "
                                                 "an invalid state.\nThis can happen when …")
    refusal = staging._csv_refusal(error, "odd.csv", ["a", "b"], ",")
    assert refusal.key == "csv_unreadable"
    for lang in ("ja", "en"):
        message = refusal.message(lang)
        assert message.startswith("odd.csv") and "\n" not in message and "state machine" not in message


# (2) headers with line breaks are named on one line, the break shown as ⏎
BROKEN_HEADER_FILES = {  # name -> (dataset, CSV text, message key)
    "missing-column": ("accounts", '会社名,"月額\n(税抜)"\nAcme,100\n', "missing_column"),
    "unclosed-quote": ("accounts", '取引先ID,"会社\r\n名",月額\nA1,"Acme,100\nA2,Beta,200\nA3,Gamma,300"\n',
                       "unclosed_quote"),
    "cut-off": ("accounts", '取引先ID,"月額\n(税抜)","担当\nCSM"\nA1,100,田中\nA2,200', "cut_off"),
    "required-unreadable": ("mrr", '取引先ID,"請求\n月",請求金額\nA1,x,1\nA2,y,2\nA3,2024-04,3\n',
                            "required_unreadable"),
    "all-rows-rejected": ("accounts", '"取引先\nID",月額\n,100\n,200\n', "all_rows_rejected"),
    "no-measures": ("usage", '取引先ID,日付,"メ\nモ"\nA1,2024/4/1,よい\n', "no_measures"),
}


@pytest.mark.parametrize("case", BROKEN_HEADER_FILES.values(), ids=BROKEN_HEADER_FILES)
def test_headers_with_line_breaks_are_named_on_one_line(load, case):
    dataset, text, key = case
    with pytest.raises(ImportRefused) as info:
        load(dataset, text)
    assert info.value.key == key
    for lang in ("ja", "en"):
        message = info.value.message(lang)
        assert "\n" not in message and "\r" not in message and "⏎" in message, message


def test_header_named_by_map_and_warnings_are_one_line_too(load, db):
    with pytest.raises(ImportRefused) as info:
        load("accounts", "取引先ID,月額\nA1,100\n", overrides={"mrr": "月額\n(税抜)"})
    assert info.value.key == "unknown_header"
    assert info.value.message("en") == ('accounts.csv row 1: the header "月額⏎(税抜)" given for mrr is not in '
                                        'the file.')
    result = load("accounts", '取引先ID,"月額\n(税抜)","月額\n(税抜)","契約\r\n金額"\nA1,100,200,300\n',
                  lang="en")
    assert result["mapping"]["mrr"] == "月額\n(税抜)"  # the header itself is unchanged, only its display
    assert [w.count("\n") for w in result["warnings"]] == [0, 0]
    assert '"月額⏎(税抜)"' in result["warnings"][0] and "契約⏎金額" in result["warnings"][1]


def test_cli_prints_a_header_with_line_breaks_on_one_line(tmp_path):
    code, out, err = cli_import(tmp_path, "broken.csv", '会社名,"月額\r\n(税抜)"\nAcme,100\n'.encode())
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and "月額⏎(税抜)" in err


# (3) a file name longer than the system allows
LONG = "a" * 300


def test_a_too_long_file_name_is_one_line_exit_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(tmp_path / "h.duckdb"), "import",
                           f"{LONG}.csv", "--dataset", "accounts"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "DASHBOARD_LANG": "en", "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "…" in done.stderr and len(done.stderr) < 300 and "name is longer than this system allows" in done.stderr


def test_import_file_refuses_a_too_long_name(db, tmp_path):
    with pytest.raises(ImportRefused) as info:
        importer.import_file(db, tmp_path / f"{LONG}.csv", "accounts", by=EDITOR)
    assert info.value.key == "file_name_too_long"
    assert len(info.value.message("ja")) < 300 and "\n" not in info.value.message("ja")


@pytest.mark.parametrize("args", [
    ["--db", "{tmp}/x.duckdb", "export", "accounts", "--out", "{tmp}/" + LONG + ".csv"],
    ["--db", "{tmp}/" + LONG + ".duckdb", "snapshots"],
    ["--db", "{tmp}/" + LONG + "/x.duckdb", "snapshots"],
    ["--db", "{tmp}/" + LONG + ".duckdb", "backup", "restore"],
], ids=["export-out", "db", "db-folder", "backup-restore"])
def test_other_commands_refuse_a_too_long_path_in_one_line(tmp_path, capsys, args):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "…" in err and len(err) < 300, err


def test_export_to_a_folder_that_is_not_there_is_one_line(tmp_path, capsys):
    code = main(["--db", str(tmp_path / "x.duckdb"), "export", "accounts", "--out", str(tmp_path / "no" / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "x.csv" in err, err


def test_the_data_page_takes_an_upload_with_a_very_long_name(app_db):
    at = open_page("data")
    at.file_uploader(key="up_file").upload(f"{LONG}.csv", "会社名\nAcme\n".encode(), "text/csv").run()
    assert not at.exception
    assert "…" in at.error[0].value and "\n" not in at.error[0].value and len(at.error[0].value) < 400


# (4) the dashboard's own database is never a source: opening it would drop DuckDB's lock on it
def _never_opened(monkeypatch, paths):
    """Fail the test if this process opens any of ``paths`` with a plain open()."""
    import builtins
    import io as io_module
    import os

    watched = {os.path.realpath(p) for p in paths}
    real_open = io_module.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(file) in watched:
            raise AssertionError(f"opened {file}")
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr(io_module, "open", guarded)
    monkeypatch.setattr(builtins, "open", guarded)


@pytest.mark.parametrize("which", ["database", "hard-link", "symlink", "wal", "backup"])
def test_the_dashboards_own_database_is_refused_as_a_source(db, load, tmp_path, monkeypatch, which):
    import os

    from dashboard.db import backup_path

    load("accounts", "取引先ID,月額\nA1,100\n")
    before = db.content_fingerprint()
    wal = db.path.with_name(db.path.name + ".wal")
    if which == "wal":
        wal.write_bytes(b"not really a WAL")  # whatever is there under that name
    source = {"database": db.path, "wal": wal, "backup": backup_path(db.path)}.get(which, tmp_path / "export.csv")
    if which == "hard-link":
        os.link(db.path, source)
    elif which == "symlink":
        source.symlink_to(db.path)
    assert source.is_file()
    _never_opened(monkeypatch, [db.path, wal, backup_path(db.path)])
    with pytest.raises(ImportRefused) as info:
        importer.import_file(db, source, "accounts", by=EDITOR)
    monkeypatch.undo()
    assert info.value.key == "own_database"
    assert info.value.message("en").startswith(source.name) and "\n" not in info.value.message("en")
    if which == "wal":
        wal.unlink()
    assert db.content_fingerprint() == before


# (5) a workbook whose cells repeat one huge shared string
def _shared_string_bomb(cells: int, size: int = 2**20, part: str = "worksheets/sheet1.xml") -> bytes:
    """One string of ``size`` bytes in the shared-string table, and ``cells`` cells that all hold it; the
    sheet stored as xl/``part`` (the reader finds it through the workbook's relationships)."""
    import zipfile

    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}" uniqueCount="2">'
           '<si><t>取引先ID</t></si><si><t>{}</t></si></sst>').format(cells, "x" * size)
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>1</v></c></row>' for r in range(2, cells + 2))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>')
    plain = crafted_xlsx(HEADER)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": sst}.get(item.filename)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = src.read(item).decode().replace('Target="worksheets/sheet1.xml"', f'Target="{part}"')
            name = f"xl/{part}" if item.filename == "xl/worksheets/sheet1.xml" else item.filename
            z.writestr(name, data if data is not None else src.read(item))
    return buf.getvalue()


@pytest.mark.parametrize("part", ["worksheets/sheet1.xml", "data.xml"])
def test_a_shared_string_bomb_is_refused_before_reading(part):
    import time

    data = _shared_string_bomb(6_000, part=part)  # 6,000 cells × 1 MB: 6 GB of text from a small file
    assert len(data) < 300_000
    started = time.monotonic()
    with pytest.raises(ImportRefused) as info:  # a small reader cap: without the check the child dies at it
        workbook.read_sheets(data, "bomb.xlsx", workbook.Limits(reader_memory_mb=1_024))
    assert time.monotonic() - started < 10
    assert info.value.key == "workbook_text_too_big"
    assert info.value.message("en").startswith("bomb.xlsx: ") and "1,024 MB" in info.value.message("en")


def test_shared_strings_repeated_within_the_limit_are_read():
    data = _shared_string_bomb(50, size=100_000)  # 5 MB of text: a long note pasted in 50 cells is fine
    rows = workbook.read_sheets(data, "notes.xlsx")[0][1]
    assert len(rows) == 51 and rows[0] == ["取引先ID"] and rows[1] == ["x" * 100_000]


def _cli_under_address_limit(tmp_path: Path, name: str, data: bytes, limit: int):
    import resource

    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([sys.executable, "-m", "dashboard", "--db", str(tmp_path / "u.duckdb"), "import",
                           str(path), "--dataset", "accounts"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "DASHBOARD_LANG": "en", "PYTHONPATH": str(ROOT)},
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))


def test_a_workbook_imports_under_a_tighter_ulimit_than_the_readers_cap(tmp_path):
    limit = 3 * 2**30  # below the reader's own cap (6 GiB by default), ample for Python and DuckDB
    assert limit < workbook.Limits().reader_memory_mb * 2**20
    done = _cli_under_address_limit(tmp_path, "ok.xlsx", crafted_xlsx(HEADER), limit)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_loaded"] == 2


def test_the_bomb_is_refused_in_words_under_a_ulimit_with_the_default_limits(tmp_path):
    done = _cli_under_address_limit(tmp_path, "bomb.xlsx", _shared_string_bomb(6_000), 3 * 2**30)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("bomb.xlsx: ") and done.stderr.count("\n") == 1 and "1,024 MB" in done.stderr
