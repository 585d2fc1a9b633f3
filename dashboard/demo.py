"""Deterministic demo data: a Japanese B2B SaaS company and a D2C shop, as the messy exports a CS lead gets.

Files are written the way real exports arrive (CP932 CSV with Japanese headers and yen strings, a
two-sheet .xlsx, a UTF-8-with-BOM CSV) and loaded through the same import path users take.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

from dashboard import auth, workspace
from dashboard.db import Database
from dashboard.periods import add_months

END = dt.date(2026, 10, 31)  # the demo's last day: fixed, so every run gives the same numbers
FIRST_MONTH = dt.date(2023, 11, 1)
PLANS = [("ライト", 30_000), ("スタンダード", 80_000), ("プロ", 200_000), ("エンタープライズ", 500_000)]
INDUSTRIES = ["製造業", "小売", "IT・通信", "医療・福祉", "不動産", "教育", "金融"]
OWNERS = ["佐藤", "鈴木", "髙橋", "田中", "渡辺", "山﨑"]
CHANNELS = ["展示会", "Web広告", "紹介", "インサイドセールス"]
NAME_A = ["東京", "大阪", "名古屋", "北海道", "九州", "横浜", "京都", "神戸", "湘南", "富士"]
NAME_B = ["テック", "ソリューションズ", "商事", "工業", "ホールディングス", "システムズ", "製作所", "物産", "ラボ", "メディカル"]


def _months(start: dt.date, end: dt.date):
    m = start
    while m <= end:
        yield m
        m = add_months(m, 1)


def _yen_text(rng: random.Random, amount: int) -> str:
    style = rng.random()
    if style < 0.4:
        return f"￥{amount:,}"
    if style < 0.7:
        return f"{amount:,}円"
    if style < 0.85 and amount % 10_000 == 0:
        return f"{amount // 10_000}万円"
    return str(amount)


def _date_text(rng: random.Random, day: dt.date) -> str:
    style = rng.random()
    if style < 0.5:
        return f"{day.year}/{day.month}/{day.day}"
    if style < 0.8:
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def _write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((buf.getvalue() + "\r\n").encode(encoding))


def generate_saas(rng: random.Random, n_accounts: int = 320):
    """Accounts with a latent engagement that drives usage, contact, expansion and churn."""
    accounts, mrr_rows, usage_rows, touch_rows, opp_rows = [], [], [], [], []
    months = list(_months(FIRST_MONTH, END.replace(day=1)))
    special = {3: "株式会社①髙﨑製作所", 7: "山﨑商事株式会社", 11: "=HYPERLINK(\"x\")ラボ", 15: "合同会社\"ミライ\", 東京"}
    for i in range(n_accounts):
        account_id = f"C{10001 + i}"
        name = special.get(i) or f"株式会社{rng.choice(NAME_A)}{rng.choice(NAME_B)}{i % 97}"
        start_index = min(int(rng.random() ** 0.8 * len(months)), len(months) - 1)
        start = months[start_index] + dt.timedelta(days=rng.randrange(0, 27))
        plan_idx = rng.choices(range(4), weights=[40, 35, 18, 7])[0]
        engagement = rng.betavariate(2.2, 1.6)
        mrr = PLANS[plan_idx][1] * rng.choice([1, 1, 1, 2]) if plan_idx < 3 else PLANS[plan_idx][1]
        churned_month = None
        history: list[tuple[dt.date, int]] = []
        reactivate_at = None
        active = True
        for m in months[start_index:]:
            if not active:
                if reactivate_at and m >= reactivate_at:
                    active, reactivate_at = True, None
                else:
                    history.append((m, 0))
                    continue
            history.append((m, mrr))
            hazard = 0.004 + 0.05 * (1 - engagement) ** 2.5
            if m > months[start_index] and rng.random() < hazard:
                active = False
                churned_month = add_months(m, 1)
                if rng.random() < 0.12:
                    reactivate_at = add_months(m, rng.randrange(3, 8))
            elif rng.random() < 0.035 * engagement:
                mrr = int(mrr * rng.choice([1.25, 1.5, 2.0]) // 1000 * 1000)
            elif rng.random() < 0.02 * (1 - engagement):
                mrr = max(10_000, int(mrr * 0.7 // 1000 * 1000))
        paid = [(m, v) for m, v in history if v > 0]
        last_paid = paid[-1][0] if paid else None
        is_churned = not active
        churn_date = (last_paid + dt.timedelta(days=rng.randrange(12, 28))) if is_churned and last_paid else None
        plan_name = PLANS[plan_idx][0]
        renewal = dt.date(END.year + (1 if (start.month, start.day) <= (END.month, END.day) else 0), start.month, min(start.day, 28))
        accounts.append({
            "id": account_id, "name": name, "industry": rng.choice(INDUSTRIES), "owner": rng.choice(OWNERS),
            "plan": plan_name, "mrr": paid[-1][1] if paid else mrr, "start": start, "renewal": None if is_churned else renewal,
            "churn": churn_date, "channel": rng.choice(CHANNELS),
            "cac": int(PLANS[plan_idx][1] * rng.uniform(3, 8) // 1000 * 1000), "engagement": engagement,
        })
        for m, v in history:
            if v > 0 or rng.random() < 0.5:  # some billing systems list free months as 0, others omit them
                mrr_rows.append((account_id, m, v, plan_name))
        # usage per month; dropping before a churn (seed 002: churned clients barely used the product)
        seats = {0: 5, 1: 15, 2: 40, 3: 120}[plan_idx]
        for m, v in history:
            if v == 0:
                continue
            fading = 1.0
            if churned_month is not None and m < churned_month:
                gap = (churned_month.year - m.year) * 12 + churned_month.month - m.month
                fading = 0.25 if gap <= 2 else 0.6 if gap <= 4 else 1.0
            level = engagement * fading
            page_views = int(max(0, rng.gauss(level * seats * 25, seats * 3)))
            logins = int(max(0, rng.gauss((0.3 + level) * seats * 6, seats)))
            users = max(0, min(seats, int(round(seats * (0.2 + 0.8 * level) * rng.uniform(0.8, 1.1)))))
            if rng.random() < 0.05 * (1 - engagement):
                continue  # a silent month
            usage_rows.append((account_id, m, logins, page_views, users))
        # touchpoints: engaged accounts meet more often; Tier1-size accounts get quarterly reviews
        for m, v in history:
            if v == 0:
                continue
            if rng.random() < 0.15 + 0.5 * engagement:
                day = m + dt.timedelta(days=rng.randrange(0, 27))
                if day <= END:
                    kind = rng.choice(["定例MTG", "電話", "メール", "メール"])
                    touch_rows.append((account_id, day, kind, rng.choice(OWNERS), "利用状況の確認"))
            if plan_idx >= 2 and m.month in (1, 4, 7, 10):
                day = m + dt.timedelta(days=rng.randrange(5, 20))
                if day <= END:
                    touch_rows.append((account_id, day, "QBR", rng.choice(OWNERS), "四半期レビュー"))
        if paid and rng.random() < 0.2 + 0.5 * engagement:
            created = paid[0][0] + dt.timedelta(days=rng.randrange(60, 400))
            if created <= END:
                stage = rng.choices(["商談中", "受注", "失注"], weights=[3, 4, 3])[0]
                closed = None if stage == "商談中" else min(END, created + dt.timedelta(days=rng.randrange(14, 90)))
                opp_rows.append((account_id, int(mrr * rng.uniform(0.2, 1.0) // 1000 * 1000),
                                 rng.choice(["アップセル", "アップセル", "クロスセル"]), stage, created, closed))
    return accounts, mrr_rows, usage_rows, touch_rows, opp_rows


def generate_orders(rng: random.Random, n_customers: int = 2500):
    """A D2C shop: about 70% buy once, 20% twice, 10% three or four times; AOV near 8,000 yen."""
    rows = []
    order_no = 100000
    for i in range(n_customers):
        customer = f"M{200001 + i}"
        first = dt.date(2024, 4, 1) + dt.timedelta(days=rng.randrange(0, 900))
        if first > END:
            continue
        n = rng.choices([1, 2, 3, 4], weights=[70, 20, 5, 5])[0]
        day = first
        for _ in range(n):
            if day > END:
                break
            order_no += 1
            amount = int(rng.choice([5_800, 6_800, 7_800, 8_000, 8_800, 9_800, 10_800]))
            rows.append((f"O{order_no}", customer, day, amount, rng.choice(["自社EC", "楽天", "Amazon"])))
            day = day + dt.timedelta(days=rng.randrange(20, 150))
    return rows


# Customers billed through a subscription system: their MRR history is derived from its export (issue 27),
# not from 請求履歴.csv. Monthly, yearly and quarterly plans, a trial, a mid-month upgrade, a cancellation at
# period end, seats, and one customer billed in US dollars. (id, name, owner, rows: (contract id, plan,
# price, quantity, interval, currency, start, trial end, current period start / end, cancelled on, at period
# end, ended on, status))
SUBSCRIBERS = [
    ("C20001", "株式会社青葉クラウド", "佐藤", [
        ("S-0001", "スタンダード", 80_000, 1, "月次", "JPY", "2025/03/12", "", "2026/10/12", "2026/11/12", "", "", "", "契約中")]),
    ("C20002", "北斗精機株式会社", "鈴木", [
        ("S-0002", "プロ（年契約）", 2_400_000, 1, "年次", "JPY", "2025/06/01", "", "2026/06/01", "2027/06/01", "", "", "", "契約中")]),
    ("C20003", "有限会社みなと書房", "田中", [
        ("S-0003", "ライト", 90_000, 1, "四半期", "JPY", "2025/09/15", "", "2026/09/15", "2026/12/15", "", "", "", "契約中")]),
    ("C20004", "株式会社さくらメディカル", "髙橋", [
        ("S-0004", "スタンダード", 80_000, 1, "月次", "JPY", "2026/08/20", "2026/09/03", "2026/10/03", "2026/11/03", "", "", "", "契約中")]),
    ("C20005", "東和ロジスティクス株式会社", "渡辺", [
        ("S-0005", "スタンダード", 80_000, 1, "月次", "JPY", "2025/11/05", "", "2026/07/05", "2026/08/05", "", "", "2026/07/18", "プラン変更"),
        ("S-0005", "プロ", 200_000, 1, "月次", "JPY", "2026/07/18", "", "2026/10/18", "2026/11/18", "", "", "", "契約中")]),
    ("C20006", "合同会社いろは食品", "山﨑", [
        ("S-0006", "ライト", 30_000, 1, "月次", "JPY", "2025/04/10", "", "2026/06/10", "2026/07/10", "2026/06/20", "はい", "", "解約")]),
    ("C20007", "北米パシフィック商事株式会社", "佐藤", [
        ("S-0007", "エンタープライズ（米国）", 2_000, 1, "月次", "USD", "2025/10/01", "", "2026/10/01", "2026/11/01", "", "", "", "契約中")]),
    ("C20008", "株式会社ひかりデザイン", "鈴木", [
        ("S-0008", "シート課金", 6_000, 10, "月次", "JPY", "2026/02/01", "", "2026/10/01", "2026/11/01", "", "", "", "契約中")]),
]
# US dollars in yen, per month (the month's average)
USD_RATES = {(2025, 10): "149.52", (2025, 11): "151.20", (2025, 12): "153.81", (2026, 1): "155.10", (2026, 2): "152.64",
             (2026, 3): "149.93", (2026, 4): "147.35", (2026, 5): "144.80", (2026, 6): "146.22", (2026, 7): "148.70",
             (2026, 8): "147.91", (2026, 9): "150.44", (2026, 10): "152.30"}


def _subscriber_accounts(rng: random.Random) -> list[dict]:
    """The subscription customers as the accounts file lists them (their MRR as of the demo's end)."""
    out = []
    for account_id, name, owner, rows in SUBSCRIBERS:
        last = rows[-1]
        start = dt.date.fromisoformat(rows[0][6].replace("/", "-"))
        churn = dt.date.fromisoformat(last[9].replace("/", "-")) if last[11] else None
        mrr = last[2] * last[3] * (float(USD_RATES[(2026, 10)]) if last[5] == "USD" else 1)
        mrr = mrr / {"月次": 1, "年次": 12, "四半期": 3}[last[4]]
        renewal = dt.date.fromisoformat(last[9].replace("/", "-")) if not churn else None
        out.append({"id": account_id, "name": name, "industry": rng.choice(INDUSTRIES), "owner": owner, "plan": last[1],
                    "mrr": int(mrr), "start": start, "renewal": renewal, "churn": churn, "channel": rng.choice(CHANNELS),
                    "cac": int(rng.uniform(150_000, 600_000) // 1000 * 1000)})
    return out


def _subscriber_months(account_id: str) -> list[dt.date]:
    """The months a subscription customer uses the product: from its start to its end (or the demo's)."""
    subs = next(rows for a, _, _, rows in SUBSCRIBERS if a == account_id)
    first = dt.date.fromisoformat(subs[0][6].replace("/", "-")).replace(day=1)
    last = (dt.date.fromisoformat(subs[-1][9].replace("/", "-")) if subs[-1][11] else END).replace(day=1)
    return list(_months(first, min(last, END.replace(day=1))))


def _subscriber_touchpoints(rng: random.Random) -> list[tuple]:
    """A regular meeting most months, as the other engaged customers have."""
    return [(account_id, m + dt.timedelta(days=rng.randrange(0, 27)), rng.choice(["定例MTG", "電話", "メール"]), owner,
             "利用状況の確認") for account_id, _, owner, _ in SUBSCRIBERS for m in _subscriber_months(account_id)
            if rng.random() < 0.7 and m + dt.timedelta(days=27) <= END]


def _subscriber_usage(rng: random.Random) -> list[tuple]:
    rows = []
    for account_id, _, _, subs in SUBSCRIBERS:
        for m in _subscriber_months(account_id):
            seats = 10 * subs[-1][3]
            rows.append((account_id, m, int(seats * rng.uniform(4, 7)), int(seats * rng.uniform(15, 25)),
                         max(1, int(seats * rng.uniform(0.5, 0.9)))))
    return rows


def _account_row(rng: random.Random, a: dict) -> list[object]:
    """One account as the accounts export writes it (amounts and dates in the styles real exports mix)."""
    return [a["id"], a["name"], a["industry"], a["owner"], a["plan"], _yen_text(rng, a["mrr"]),
            _date_text(rng, a["start"]), _date_text(rng, a["renewal"]) if a["renewal"] else "",
            _date_text(rng, a["churn"]) if a["churn"] else "", "解約" if a["churn"] else "契約中",
            a["channel"], _yen_text(rng, a["cac"])]


def write_files(folder: Path, seed: int = 20261031) -> dict[str, Path]:
    """Write the demo exports to ``folder`` and return dataset -> file path."""
    from openpyxl import Workbook  # only the demo writes workbooks

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    accounts, mrr_rows, usage_rows, touch_rows, opp_rows = generate_saas(rng)
    extra = random.Random(seed + 27)  # the subscription customers: their own draws, the other files unchanged
    subscribers = _subscriber_accounts(extra)
    files = {}
    files["accounts"] = folder / "顧客一覧_2026-10.csv"
    _write_csv(files["accounts"],
               ["取引先ID", "会社名", "業種", "担当CSM", "プラン", "月額", "契約開始日", "契約更新日", "解約日",
                "ステータス", "獲得チャネル", "獲得コスト"],
               [_account_row(rng, a) for a in accounts] + [_account_row(extra, a) for a in subscribers], "cp932")
    files["mrr"] = folder / "請求履歴.csv"
    _write_csv(files["mrr"], ["取引先ID", "請求月", "請求金額", "プラン"],
               [[a, f"{m.year}/{m.month:02d}" if rng.random() < 0.7 else f"{m.year}年{m.month}月",
                 _yen_text(rng, v), p] for a, m, v, p in mrr_rows], "cp932")
    files["usage"] = folder / "利用状況.xlsx"
    wb = Workbook()
    notes = wb.active
    notes.title = "説明"
    notes.append(["このブックは製品の利用状況を月次で集計したものです。"])
    notes.append(["集計元: プロダクト分析基盤"])
    sheet = wb.create_sheet("利用状況")
    sheet.append(["取引先ID", "対象月", "ログイン数", "表示数", "アクティブユーザー数"])
    for a, m, logins, pv, users in usage_rows + _subscriber_usage(extra):
        sheet.append([a, m, logins, pv, users])
    wb.save(files["usage"])
    files["touchpoints"] = folder / "接点履歴.csv"
    _write_csv(files["touchpoints"], ["取引先ID", "接触日", "対応種別", "担当者", "メモ"],
               [[a, _date_text(rng, d), k, o, n] for a, d, k, o, n in touch_rows]
               + [[a, _date_text(extra, d), k, o, n] for a, d, k, o, n in _subscriber_touchpoints(extra)], "cp932")
    files["opportunities"] = folder / "商談一覧.csv"
    _write_csv(files["opportunities"], ["取引先ID", "商談金額", "商談種別", "フェーズ", "作成日", "完了日"],
               [[a, f"{amt:,}", k, s, c.isoformat(), cl.isoformat() if cl else ""]
                for a, amt, k, s, c, cl in opp_rows], "utf-8-sig")
    files["orders"] = folder / "EC注文履歴.csv"
    _write_csv(files["orders"], ["注文番号", "会員ID", "注文日", "注文金額", "チャネル"],
               [[o, c, _date_text(rng, d), _yen_text(rng, amt), ch] for o, c, d, amt, ch in generate_orders(rng)],
               "cp932")
    files["fx_rates"] = folder / "為替レート.csv"
    _write_csv(files["fx_rates"], ["対象月", "通貨", "レート"],
               [[f"{y}/{m:02d}", "USD", rate] for (y, m), rate in USD_RATES.items()], "cp932")
    files["subscriptions"] = folder / "契約一覧_請求システム.csv"
    _write_csv(files["subscriptions"], ["契約ID", "取引先ID", "プラン", "単価", "数量", "請求サイクル", "通貨", "契約開始日",
                                        "トライアル終了日", "当期開始日", "当期終了日", "解約日", "期間満了で解約",
                                        "契約終了日", "ステータス"],
               [[row[0], account_id, row[1], f"{row[2]:,}", row[3], *row[4:]] for account_id, _, _, rows in SUBSCRIBERS
                for row in rows], "cp932")
    return files


def load(db: Database, folder: Path | None = None, *, by: auth.User) -> list[dict]:
    """Write the demo exports and import each through the normal import path."""
    folder = folder or db.path.parent / "demo"
    files = write_files(folder)
    auth.require_editor(by)
    demo = auth.User(f"{by.name} (demo)", by.role)
    return [workspace.import_file(db, path, dataset, by=demo) for dataset, path in files.items()]
