import datetime as dt
import io
import json

import pandas as pd
import pytest

from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.imports import formats, importer, mapping
from dashboard.imports.readers import ImportRefused
from tests.conftest import xlsx_bytes

ACCOUNTS_JA = (
    "取引先ID,会社名,月額,契約開始日,解約日,担当CSM\r\n"
    "A001,株式会社①髙﨑,\"￥120,000\",2024/4/1,,髙橋\r\n"
    "A002,\"山﨑商事, 東京\",12万円,2024年5月1日,2025-01-01,佐藤\r\n"
    "A003,=HYPERLINK(\"x\"),１２０００,45383,-,鈴木\r\n"
    "\r\n"
)


def current(db, dataset, order="1"):
    return db.query(f"SELECT * FROM cur_{dataset} ORDER BY {order}")  # noqa: S608 (test's own names)


def test_cp932_with_japanese_headers_and_cp932_only_characters(db, load):
    result = load("accounts", ACCOUNTS_JA, encoding="cp932")
    assert result["encoding"] == "cp932"
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (3, 3, 0)
    assert result["mapping"] == {"account_id": "取引先ID", "name": "会社名", "mrr": "月額",
                                 "contract_start": "契約開始日", "churn_date": "解約日", "owner": "担当CSM"}
    rows = current(db, "accounts")
    assert rows["name"].tolist() == ["株式会社①髙﨑", "山﨑商事, 東京", '=HYPERLINK("x")']
    assert rows["mrr"].tolist() == [120_000, 120_000, 12_000]
    assert [d.date() for d in rows["contract_start"]] == [dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 4, 1)]
    assert rows["churn_date"].isna().tolist() == [True, False, True]
    assert rows["owner"].tolist() == ["髙橋", "佐藤", "鈴木"]


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")])
def test_encodings_are_detected(load, encoding, expected):
    result = load("accounts", ACCOUNTS_JA, encoding=encoding)
    assert result["encoding"] == expected
    assert result["rows_loaded"] == 3


def test_english_headers_tab_separated(db, load):
    text = "Account ID\tCompany\tMRR\tStart Date\tChurn Date\nX1\tAcme\t$ 0\t2024-01-01\t\n"
    with pytest.raises(ImportRefused):  # "$ 0" is not yen text: the only row is rejected, so the file is
        load("accounts", text)
    text = "Account ID\tCompany\tMRR\tStart Date\tChurn Date\nX1\tAcme\t1,000\t2024-01-01\t\n"
    result = load("accounts", text)
    assert result["mapping"]["mrr"] == "MRR" and result["rows_loaded"] == 1


def test_rejected_rows_are_counted_named_and_kept(db, load):
    text = "取引先ID,月額,契約開始日\nA1,100,2024/4/1\nA2,abc,2024/4/1\nA3,300,2024/4/1\n,400,2024/4/1\nA1,500,2024/4/1\n"
    result = load("accounts", text)
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (5, 2, 3)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "月額"), (5, "取引先ID"), (6, "取引先ID")]
    assert 'not a number: "abc"' in result["errors"][0]["message"]
    stored = importer.rejected_rows(db, result["snapshot"])
    assert stored["row_number"].tolist() == [3, 5, 6]
    assert json.loads(stored["raw"][0]) == {"row": 3, "取引先ID": "A2", "月額": "abc", "契約開始日": "2024/4/1"}


def test_workbook_with_several_sheets_picks_the_matching_one(db, tmp_path):
    data = xlsx_bytes({
        "説明": [["このブックは月次の利用状況です"], ["集計元: 分析基盤"]],
        "利用状況": [["取引先ID", "対象月", "ログイン数", "表示数", "会社名"],
                    ["A1", dt.datetime(2024, 4, 1), 10, 100, "株式会社①"],
                    ["A1", "2024-05", 12, None, "株式会社①"],
                    ["A2", 45383, 3, 30, "髙﨑"]],
    })
    path = tmp_path / "usage.xlsx"
    path.write_bytes(data)
    result = importer.import_file(db, path, "usage", by=EDITOR)
    assert result["sheet"] == "利用状況"
    assert result["mapping"] == {"account_id": "取引先ID", "date": "対象月", "logins": "ログイン数", "page_views": "表示数"}
    rows = db.query("SELECT account_id, date, measure, value FROM cur_usage ORDER BY 1, 2, 3")
    assert [(a, d.date(), m, v) for a, d, m, v in rows.itertuples(index=False)] == [
        ("A1", dt.date(2024, 4, 1), "logins", 10.0), ("A1", dt.date(2024, 4, 1), "page_views", 100.0),
        ("A1", dt.date(2024, 5, 1), "logins", 12.0),
        ("A2", dt.date(2024, 4, 1), "logins", 3.0), ("A2", dt.date(2024, 4, 1), "page_views", 30.0)]
    with pytest.raises(ImportRefused) as err:
        importer.import_file(db, path, "usage", sheet="Sheet9", by=EDITOR)
    assert "Sheet9" in str(err.value) and "利用状況" in str(err.value)


def test_parquet(db, tmp_path):
    frame = pd.DataFrame({"account_id": ["A1", "A2"], "month": ["2024-04", "2024-05"], "mrr": [1000, 2000]})
    path = tmp_path / "mrr.parquet"
    frame.to_parquet(path)
    result = importer.import_file(db, path, "mrr", by=EDITOR)
    assert result["rows_loaded"] == 2
    assert db.query("SELECT sum(mrr) AS s FROM cur_mrr")["s"][0] == 3000


def test_same_file_twice_changes_nothing(db, load):
    first = load("accounts", ACCOUNTS_JA, encoding="cp932")
    version = db.data_version()
    fingerprint = db.content_fingerprint()
    second = load("accounts", ACCOUNTS_JA, encoding="cp932")
    assert second["unchanged"] is True and second["snapshot"] == first["snapshot"]
    assert db.data_version() == version
    assert db.content_fingerprint() == fingerprint


def test_full_export_replaces_and_restore_brings_back(db, load):
    first = load("accounts", "id,mrr\nA,100\nB,200\n")
    second = load("accounts", "id,mrr\nA,150\n")
    assert current(db, "accounts")["mrr"].tolist() == [150]
    snaps = importer.list_snapshots(db)
    assert snaps["is_current"].tolist() == [True, False]
    importer.restore(db, first["snapshot"], by=EDITOR)
    assert current(db, "accounts")["mrr"].tolist() == [100, 200]
    assert second["snapshot"] != first["snapshot"]


def test_remembered_mapping_per_source(db, load):
    load("accounts", "顧客番号X,金額X\nA,100\n", overrides={"account_id": "顧客番号X", "mrr": "金額X"})
    result = load("accounts", "顧客番号X,金額X\nA,200\nB,300\n", name="next_month.csv")
    assert result["mapping"] == {"account_id": "顧客番号X", "mrr": "金額X"}
    assert current(db, "accounts")["mrr"].tolist() == [200, 300]


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the first bytes of an Excel 97-2003 workbook

REFUSALS = [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"\r\n\r\n", "empty"),
    ("header_only.csv", "取引先ID,月額\r\n".encode("cp932"), "no data rows"),
    ("no_id.csv", "会社名,月額\nAcme,100\n".encode(), 'required column "account_id"'),
    ("binary.csv", b"\x00\x01\x02\xff\xfe" * 20, "binary data (NUL bytes)"),
    ("latin.csv", "id,name\nA,caf\xe9 \x81\n".encode("latin-1"), "encoding"),
    ("truncated.xlsx", None, "damaged or truncated"),
    # formats people export that are not read here: each named, with what to do instead
    ("old.xls", OLE2 + b"\x00" * 504, "old Excel format (.xls)"),
    ("renamed.csv", OLE2 + b"\x00" * 504, "old Excel format (.xls)"),  # the bytes decide, not the name
    ("sheet.ods", b"PK\x03\x04" + b"\x00" * 200, "(.ods / .numbers)"),
    ("locked.xlsx", OLE2 + b"\x00" * 504, "protected by a password or a sensitivity label"),
]


@pytest.mark.parametrize("name, data, says", REFUSALS)
def test_refused_file_names_the_problem_and_changes_nothing(db, load, tmp_path, name, data, says):
    load("accounts", ACCOUNTS_JA, encoding="cp932")
    before, version = db.content_fingerprint(), db.data_version()
    if data is None:
        data = xlsx_bytes({"s": [["取引先ID"], ["A"]]})[:300]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ImportRefused) as err:
        importer.import_file(db, path, "accounts", by=EDITOR)
    assert name in err.value.message("en") and says in err.value.message("en")
    assert db.content_fingerprint() == before and db.data_version() == version


@pytest.mark.parametrize("name, head, expected", [
    ("a.csv", b"id,mrr\n", "csv"), ("a.txt", b"id\tmrr\n", "csv"), ("a", b"id,mrr\n", "csv"),
    ("a.parquet", b"PAR1\x15\x04", "parquet"), ("a.xlsx", b"PK\x03\x04\x14", "xlsx"),
    ("a.XLSM", b"PK\x03\x04", "xlsx"), ("a.csv", b"PK\x03\x04", "xlsx"),  # a workbook named .csv
    ("a.zip", b"PK\x03\x04", "xlsx"), ("a.ods", b"PK\x03\x04", "other_spreadsheet"),
    ("a.numbers", b"PK\x03\x04", "other_spreadsheet"), ("a.xls", OLE2, "xls"), ("a.csv", OLE2, "xls"),
    ("a.xlsx", b"\x00\x00", "xlsx"),  # no format's bytes: the name (then "damaged or truncated")
    ("a.xlsx", OLE2, "protected_workbook"), ("a.xlsm", OLE2, "protected_workbook"),  # encrypted
    # text named like a refused format is read as text (an "Excel export" that is a TSV); binary is not
    ("a.xls", b"id\tmrr\n", "csv"), ("a.xls", "取引先ID\t月額\n".encode("cp932"), "csv"),
    ("a.xls", b"\xff\xfei\x00d\x00", "csv"), ("a.ods", b"id,mrr\n", "csv"), ("a.xls", b"\x09\x08\x00\x00", "xls"),
])
def test_a_file_format_is_known_by_its_bytes_then_its_name(name, head, expected):
    assert formats.detect(head, name).name == expected


def test_a_workbook_named_csv_is_read_as_the_workbook_it_is(db, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(xlsx_bytes({"s": [["取引先ID", "月額"], ["A1", 1200]]}))
    result = importer.import_file(db, path, "accounts", by=EDITOR)
    assert result["rows_loaded"] == 1
    assert db.query("SELECT account_id, mrr FROM accounts").values.tolist() == [["A1", 1200]]


def test_the_uploader_offers_every_format_of_the_table():
    """The refused ones too: choosing an .xls shows why it cannot be read, not the browser's refusal."""
    assert formats.uploader_types() == ["parquet", "xlsx", "xlsm", "xls", "ods", "numbers", "csv", "tsv", "txt"]


def test_a_tab_separated_export_named_xls_is_imported(db, tmp_path):
    path = tmp_path / "取引先一覧.xls"
    path.write_bytes("取引先ID\t月額\r\nA1\t1200\r\n".encode("cp932"))
    assert importer.import_file(db, path, "accounts", by=EDITOR)["rows_loaded"] == 1
    assert db.query("SELECT account_id, mrr FROM accounts").values.tolist() == [["A1", 1200]]


def test_unparsable_dates_in_a_required_column_refuse_the_file(db, load):
    before = db.content_fingerprint()
    with pytest.raises(ImportRefused) as err:
        load("mrr", "取引先ID,請求月,請求金額\nA,来月,100\nB,先月,200\nC,2024-04,300\n", name="bill.csv")
    message = err.value.message("en")
    assert "bill.csv row 2" in message and '"請求月"' in message and "来月" in message
    assert "bill.csv 2行目「請求月」列" in err.value.message("ja")
    assert db.content_fingerprint() == before


def test_hostile_header_never_reaches_sql(db, load):
    hostile = 'x"); DROP TABLE accounts; --'
    text = f'取引先ID,"{hostile.replace(chr(34), chr(34) * 2)}",月額\nA,1,100\n'
    result = load("accounts", text)
    assert result["rows_loaded"] == 1
    result = load("accounts", text.replace("A,1", "B,1"), overrides={"name": hostile}, confirm_replace=True)
    assert result["mapping"]["name"] == hostile
    assert current(db, "accounts")["name"].tolist() == ["1"]
    assert db.query("SELECT count(*) AS n FROM accounts")["n"][0] == 2


def test_explicit_mapping_to_unknown_header_is_refused(db, load):
    with pytest.raises(ImportRefused) as err:
        load("accounts", "id,mrr\nA,1\n", overrides={"mrr": "月額料金"})
    assert "月額料金" in str(err.value)


def test_plan_import_previews_without_writing(db):
    before = db.content_fingerprint()
    plan = importer.plan_import(ACCOUNTS_JA.encode("cp932"), "a.csv", "accounts", db=db)
    assert plan.rows_loaded == 3 and plan.confidence["account_id"] == 1.0
    assert list(plan.frame["account_id"]) == ["A001", "A002", "A003"]
    assert db.content_fingerprint() == before


def test_usage_rows_of_one_day_add_up(db, load):
    load("usage", "account_id,date,logins\nA,2024-04-01,2\nA,2024/4/1,3\n")
    assert db.query("SELECT value FROM cur_usage")["value"].tolist() == [5.0]


def test_stdin_like_bytes_io_is_not_needed(db):
    # plan_import takes bytes (the Data page's upload) as well as files
    plan = importer.plan_import(io.BytesIO(b"id,mrr\nA,1\n").getvalue(), "u.csv", "accounts")
    assert plan.rows_loaded == 1


# -- a yearly amount is never the monthly MRR by itself (issue 27, "guard the trap") ----------------------

def test_a_yearly_amount_is_not_taken_as_the_monthly_mrr():
    # 年額 alone would not match MRR either; 年額 beside the monthly 契約金額 of a term contract: the file's
    # 契約金額 is not taken (a term column is there), 年額 is named in the warning
    text = "取引先コード,会社名,契約金額,年額,契約期間,年間売上高\nA1,甲商事,1200000,1200000,12か月,50億\n"
    plan = importer.plan_import(text.encode("cp932"), "顧客一覧.csv", "accounts")
    assert "mrr" not in plan.mapping and plan.mapping["account_id"] == "取引先コード"
    warnings = plan.warnings("ja")
    named = [w for w in warnings if "月額（MRR）には割り当てていません" in w]
    # the contract's amounts are named; the customer's own annual sales are not an amount it is billed
    assert len(named) == 2 and any("「年額」" in w for w in named) and any("「契約金額」" in w for w in named), warnings
    plan.discard()
    # chosen knowingly: taken, with a warning that a year's amount makes every figure twelve times too high
    plan = importer.plan_import(text.encode("cp932"), "顧客一覧.csv", "accounts", overrides={"mrr": "年額"})
    assert plan.mapping["mrr"] == "年額"
    assert any("12倍" in w for w in plan.warnings("ja")) and any("twelve times" in w for w in plan.warnings("en"))
    plan.discard()


@pytest.mark.parametrize("headers,mapped", [
    (["id", "契約金額"], True),  # alone it is the monthly fee, as before
    (["id", "契約金額", "支払方法"], True),  # a payment method is no billing interval
    (["id", "契約金額", "請求サイクル"], False),  # beside a billing interval it may be a year's
    (["id", "契約金額", "契約期間"], False),  # or the whole term's
    (["id", "契約金額（月額）", "請求サイクル"], True),  # unless it says monthly
    (["id", "月額（年間契約）"], True), (["id", "MRR (annual plan)"], True),
])
def test_which_amount_headers_are_taken_as_monthly(headers, mapped):
    assert ("mrr" in mapping.suggest("accounts", headers)) is mapped


@pytest.mark.parametrize("header,yearly", [
    ("年額", True), ("年額（税抜）", True), ("年度契約額", True), ("Annual fee", True), ("YearlyFee", True),
    ("ARR (JPY)", True), ("ACV", True), ("年月", False), ("Year Month", False), ("Arrival date", False),
    ("月額（年額÷12）", False), ("月額料金(年払い)", False),
])
def test_which_headers_say_yearly(header, yearly):
    assert mapping.says_yearly(header, ["id", header]) is yearly


def test_an_mrr_history_billed_every_few_months_is_named_with_an_example(db, tmp_path):
    # three accounts invoiced quarterly (April, July, October), one monthly: 3 of 4 have gaps
    rows = ["取引先コード,請求月,請求金額"]
    rows += [f"Q{i},2026-{m:02d}-01,300000" for i in (1, 2, 3) for m in (4, 7, 10)]
    rows += [f"M1,2026-{m:02d}-01,100000" for m in range(4, 11)]
    path = tmp_path / "請求書一覧.csv"
    path.write_bytes("\n".join(rows).encode("cp932"))
    result = importer.import_file(db, path, "mrr", by=EDITOR, lang="ja")
    gap = [w for w in result["warnings"] if "抜け" in w]
    assert gap == ["請求書一覧.csv: 4社中3社の履歴で、請求のある月の間に抜けがあります（例 Q1: 2026/04 → 2026/07）。"
                   "四半期・年ごとの請求額は月のMRRではありません。抜けた月は解約、次の請求は復活として数えられます。"
                   "月ごとに1行（請求額÷対象の月数）にしてから取り込んでください。"]
    # a monthly history with one account's single gap (a churn and a return) says nothing
    monthly = ["account_id,month,mrr"] + [f"A{i},2026-{m:02d}-01,1000" for i in range(1, 6) for m in range(1, 11)
                                          if not (i == 1 and m == 5)]
    path.write_text("\n".join(monthly), encoding="utf-8")
    result = importer.import_file(db, path, "mrr", by=EDITOR, lang="ja", confirm_replace=True)
    assert result["rows_loaded"] == 49 and not [w for w in result["warnings"] if "抜け" in w]


def test_an_mrr_history_of_yearly_invoices_is_named(db, tmp_path):
    # one invoice a year per account, in a file of twelve months: most accounts have one billed month
    rows = ["取引先コード,請求月,請求金額"] + [f"Y{i},2026-{i % 12 + 1:02d}-01,1200000" for i in range(1, 25)]
    path = tmp_path / "年次請求.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    result = importer.import_file(db, path, "mrr", by=EDITOR, lang="ja")
    assert [w for w in result["warnings"] if "1か月分だけ" in w] == [
        "年次請求.csv: 12か月分のファイルで、24社中24社は請求が1か月分だけです（例 Y1: 2026/02）。"
        "年ごと・四半期ごとの請求額は月のMRRではありません。翌月から解約として数えられます。"
        "月ごとに1行（請求額÷対象の月数）にしてから取り込んでください。"]


_STAGE_OWNER = ("import os, signal, sys\nfrom dashboard.imports.readers import Limits\n"
                "from dashboard.imports.staging import Stage\n"
                "stage = Stage(Limits())\nprint(stage.dir, flush=True)\n"
                "if sys.argv[1] == 'die':\n    os.kill(os.getpid(), signal.SIGKILL)  # an import killed mid-way\n"
                "sys.stdin.readline()\nstage.remove()\n")


def test_a_stage_whose_process_died_is_removed_when_the_next_import_starts(tmp_path, monkeypatch):
    """A killed import cannot remove its stage (a whole export's copy): the next stage made removes it, and
    leaves alone the stages of live imports (here or in another container sharing /tmp) and a folder with no
    owner file yet (unless a day old)."""
    import fcntl
    import os
    import subprocess
    import sys
    import tempfile
    import time

    from dashboard.imports import staging
    from dashboard.imports.readers import Limits

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    live_proc = subprocess.Popen([sys.executable, "-c", _STAGE_OWNER, "live"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env)
    live = tmp_path / live_proc.stdout.readline().strip()
    died = subprocess.run([sys.executable, "-c", _STAGE_OWNER, "die"], capture_output=True, text=True, env=env)
    assert died.returncode == -9
    dead = tmp_path / died.stdout.strip()
    new_unowned, old_unowned = tmp_path / "dashboard-import-new", tmp_path / "dashboard-import-old"
    new_unowned.mkdir()
    old_unowned.mkdir()
    os.utime(old_unowned, (time.time() - 2 * 24 * 3600,) * 2)
    # a stage of another container sharing the temp folder: its pid means nothing here, its lock is held
    elsewhere = tmp_path / "dashboard-import-elsewhere"
    elsewhere.mkdir()
    (elsewhere / staging.OWNER_FILE).write_text("999999999")
    held = os.open(elsewhere / staging.OWNER_FILE, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    assert dead.parent == tmp_path and dead.is_dir() and live.is_dir()

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stage = staging.Stage(Limits())
    try:
        assert stage.dir.parent == tmp_path
        left = {p.name for p in tmp_path.glob("dashboard-import-*")}
        # the dead import's and the day-old are gone
        assert left == {live.name, new_unowned.name, elsewhere.name, stage.dir.name}
    finally:
        stage.remove()
        os.close(held)
        live_proc.communicate("done\n", timeout=60)
