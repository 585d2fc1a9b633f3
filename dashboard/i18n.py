"""User text in Japanese and English, and number formatting for the locale."""

from __future__ import annotations

import math
import os

LANGS = ("ja", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # import refusals and row errors
    "empty_file": {"ja": "{file}: ファイルが空です。", "en": "{file}: the file is empty."},
    "no_rows": {"ja": "{file}: 見出し行の下にデータ行がありません。", "en": "{file}: there are no data rows below the header."},
    "unknown_encoding": {"ja": "{file}: 文字コードを判定できません（UTF-8 / Shift_JIS(CP932) のCSVを保存し直してください）。",
                         "en": "{file}: cannot tell the text encoding (save it as UTF-8 or Shift_JIS/CP932 CSV)."},
    "not_a_table": {"ja": "{file}: 表形式のデータとして読めません（{detail}）。",
                    "en": "{file}: cannot be read as a table ({detail})."},
    "not_a_workbook": {"ja": "{file}: Excelブックとして開けません。ファイルが壊れているか途中で切れています（{detail}）。",
                       "en": "{file}: cannot open this Excel workbook; it is damaged or truncated ({detail})."},
    "no_sheet": {"ja": "{file}: シート「{sheet}」がありません（シート: {sheets}）。",
                 "en": "{file}: there is no sheet \"{sheet}\" (sheets: {sheets})."},
    "no_matching_sheet": {"ja": "{file}: {dataset} の必須列を含むシートが見つかりません（シート: {sheets}）。",
                          "en": "{file}: no sheet has the columns {dataset} needs (sheets: {sheets})."},
    "missing_column": {"ja": "{file} 1行目: 必須列「{column}」に当たる見出しがありません（見出し: {headers}）。",
                       "en": "{file} row 1: no header maps to the required column \"{column}\" (headers: {headers})."},
    "unknown_header": {"ja": "{file} 1行目: 指定された見出し「{header}」がファイルにありません。",
                       "en": "{file} row 1: the header \"{header}\" given for {column} is not in the file."},
    "unknown_column": {"ja": "{dataset} に列「{column}」はありません。", "en": "{dataset} has no column \"{column}\"."},
    "unknown_dataset": {"ja": "データセット「{dataset}」はありません。", "en": "there is no dataset \"{dataset}\"."},
    "required_unreadable": {"ja": "{file} {row}行目「{header}」列: 値「{value}」を{kind}として読めません。この列の多くの行が同様のため取り込みを中止しました（列の対応付けを確認してください）。",
                            "en": "{file} row {row}, column \"{header}\": cannot read \"{value}\" as {kind}; most rows of this column fail the same way, so nothing was imported (check the column mapping)."},
    "all_rows_rejected": {"ja": "{file}: 読み込める行がありません。最初のエラー: {row}行目「{header}」列 {message}",
                          "en": "{file}: no row could be read. First error: row {row}, column \"{header}\": {message}"},
    "not_a_number": {"ja": "数値として読めません: 「{value}」", "en": "not a number: \"{value}\""},
    "not_a_date": {"ja": "日付として読めません: 「{value}」", "en": "not a date: \"{value}\""},
    "number_too_large": {"ja": "数値が大きすぎます（絶対値 100兆 未満まで）: 「{value}」",
                         "en": "number too large (the limit is 10^14 in absolute value): \"{value}\""},
    "too_many_decimals": {"ja": "小数点以下が4桁を超えています（金額は丸めずに保存します）: 「{value}」",
                          "en": "more than 4 decimal places (amounts are stored exactly, never rounded): \"{value}\""},
    "required_blank": {"ja": "必須項目が空です", "en": "required value is blank"},
    "duplicate_key": {"ja": "重複しています（{value}）", "en": "duplicate of an earlier row ({value})"},
    "extra_fields": {"ja": "見出しより列が多い行です", "en": "the row has more fields than the header"},
    "kind_number": {"ja": "数値", "en": "a number"},
    "kind_date": {"ja": "日付", "en": "a date"},
    "mixed_encoding": {"ja": "{file} {row}行目: ファイルの途中で文字コードが変わっています（UTF-8 とそれ以外が混在）。全体を UTF-8 か Shift_JIS(CP932) で保存し直してください。",
                       "en": "{file} row {row}: the text encoding changes within the file (UTF-8 mixed with another). Save the whole file as UTF-8 or Shift_JIS (CP932)."},
    "unclosed_quote": {"ja": "{file} {row}行目「{header}」列: 開いた引用符（\"）が閉じられていないため、続く{n}行が1つのセルとして読まれてしまいます。引用符を閉じて保存し直してください。",
                       "en": "{file} row {row}, column \"{header}\": a quote (\") opened here is never closed, so the next {n} rows would be read as one cell. Close the quote and save again."},
    "too_many_columns": {"ja": "{file}: 列が{n}列あります（上限 {limit}列、{where}）。不要な列を削除するか、設定の上限を変更してください。",
                         "en": "{file}: {n} columns (the limit is {limit}; at {where}). Delete the columns you do not need, or raise the limit in the settings."},
    "workbook_range": {"ja": "{file}: シートのセルが {ref} まであり（{rows}行×{columns}列＝{cells}セル）、上限 {limit}セルを超えています。表から離れた不要なセル（Ctrl+End で最後のセルに移動）を削除して保存し直してください。",
                       "en": "{file}: a sheet's cells reach {ref} ({rows} rows × {columns} columns = {cells} cells), over the limit of {limit}. Delete the stray cells far from the table (Ctrl+End jumps to the last one) and save again."},
    "workbook_claims": {"ja": "{file}: ブックが {n} 個の文字列を持つと宣言しています（上限 {limit}）。壊れているか、意図的に作られたファイルです。",
                        "en": "{file}: the workbook declares {n} shared strings (the limit is {limit}); it is damaged or crafted."},
    "workbook_too_big": {"ja": "{file}: 展開すると {limit} MB を超えるブックです。シートを分けるか CSV で保存してください。",
                         "en": "{file}: the workbook unpacks to more than {limit} MB. Split it, or save the sheet as CSV."},
    "workbook_reader_failed": {"ja": "{file}: Excelブックを読み込めませんでした（{detail}）。CSV で保存し直すか、シートを分けてください。",
                               "en": "{file}: the Excel workbook could not be read ({detail}). Save it as CSV, or split the sheets."},
    "no_measures": {"ja": "{file}: 利用状況の数値列（ログイン数・表示数など）が見つかりません（見出し: {headers}）。",
                    "en": "{file}: no usage measure column (logins, page views, …) was found (headers: {headers})."},
    "duplicate_header": {"ja": "{file} 1行目: 見出し「{header}」が複数の列（{columns}列目）にあります。左の列を「{header}」、他を「{header} (2)」などとして読みました。対応付けを確認してください。",
                         "en": "{file} row 1: the header \"{header}\" appears in several columns ({columns}). The leftmost is read as \"{header}\", the others as \"{header} (2)\" and so on; check the mapping."},
    "replace_guard": {"ja": "{file}: この取り込み（置き換え）で、現在の{dataset}のキー{current}件のうち{removed}件が消えます（ファイルには{incoming}件）。全件のエクスポートでなければ「追加」か「更新（upsert）」を選んでください。置き換えるには確認してください（コマンドラインでは --confirm-replace）。何も変更していません。",
                      "en": "{file}: replacing would remove {removed} of the {current} current keys of {dataset} (the file has {incoming}). If this is not a full export, use append or upsert; to replace anyway, confirm (--confirm-replace on the command line). Nothing was changed."},
    "mode_not_for_dataset": {"ja": "{dataset} では取り込み方法「{mode}」は使えません（使えるもの: {modes}）。",
                             "en": "the import mode \"{mode}\" is not available for {dataset} (available: {modes})."},
    "unmapped_suspicious": {"ja": "{file}: どの列にも対応付けられていない見出しがあります: {headers}。取り込むなら対応付けを変更してください。",
                            "en": "{file}: these headers look like data but are not mapped to any column: {headers}. Change the mapping to import them."},
    "key_conflict": {"ja": "同じキーの行が別の値ですでにあります（{value}）。置き換えるには「更新（upsert）」で取り込んでください",
                     "en": "a row with this key is already stored with other values ({value}); import with upsert to replace it"},
    "too_many_fields": {"ja": "{file} {row}行目: 見出しより {limit} 列以上多いフィールドがあります。区切り文字や引用符を確認してください。",
                        "en": "{file} row {row}: the row has far more fields than the header (over {limit}); check the delimiter and quotes."},
    # faults of the database file: what happened and what to do
    "db_busy": {"ja": "データベース {path} が他の処理（定期取り込みなど）で{seconds}秒以上使用中です。少し待ってからやり直してください。保存済みのデータは失われていません。",
                "en": "The database {path} has been in use by another process (a scheduled import, say) for over {seconds}s. Wait a moment and try again; nothing stored is lost."},
    "db_is_folder": {"ja": "{path} はフォルダです。データベースのファイル名（例: data/dashboard.duckdb）を --db または DASHBOARD_DB に指定してください。",
                     "en": "{path} is a folder. Give a database file name (e.g. data/dashboard.duckdb) with --db or DASHBOARD_DB."},
    "db_not_duckdb": {"ja": "{path} はこのダッシュボードのデータベースではありません（CSV や Excel などの別の形式です）。取り込むファイルは import で指定し、--db にはデータベースのファイル（例: data/dashboard.duckdb）を指定してください。",
                      "en": "{path} is not a dashboard database (it is another kind of file, e.g. a CSV or a workbook). Import files with `import`; give --db a database file such as data/dashboard.duckdb."},
    "db_unreadable": {"ja": "データベース {path} を読めません（{detail}）。ファイルの権限を確認してください。",
                      "en": "Cannot read the database {path} ({detail}). Check the file's permissions."},
    "db_folder_read_only": {"ja": "フォルダ {path} に書き込めないため、データベースを作れません。書き込めるフォルダを --db または DASHBOARD_DB で指定してください。",
                            "en": "Cannot create the database: the folder {path} is not writable. Give a writable place with --db or DASHBOARD_DB."},
    "db_read_only": {"ja": "データベース {path} は読み取り専用のため、取り込み・復元・設定の変更はできません（閲覧とレポートはできます）。書き込むにはファイルとフォルダに書き込み権限を付けてください。",
                     "en": "The database {path} is read-only: imports, restores and settings changes are not possible (viewing and reports work). Make the file and its folder writable to change data."},
    "db_needs_write": {"ja": "データベース {path} は読み取り専用で、このバージョン用の初期化がまだです。一度、書き込める状態で開いてください。",
                       "en": "The database {path} is read-only and has not been set up for this version yet. Open it once where it is writable."},
    "db_disk_full": {"ja": "ディスクの空きがないため保存できませんでした（{path}）。何も変更されていません。空き容量を作ってからやり直してください。",
                     "en": "Could not save: the disk holding {path} is full. Nothing was changed. Free some space and try again."},
    "db_corrupt": {"ja": "データベース {path} が壊れているか途中で切れています（{detail}）。バックアップから戻すか、ファイルを別名に移してからエクスポートを取り込み直してください。",
                   "en": "The database {path} is damaged or truncated ({detail}). Restore it from a backup, or move the file aside and import your exports again."},
}


def default_lang() -> str:
    env = os.environ.get("DASHBOARD_LANG") or os.environ.get("LANG", "")
    return "ja" if env.lower().startswith("ja") else "en"


def t(key: str, lang: str | None = None, **kwargs: object) -> str:
    lang = lang if lang in LANGS else default_lang()
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry[lang].format(**kwargs)


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def integer(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(value):,}"


# -- interface text: key -> (日本語, English) ---------------------------------------------------------------
UI: dict[str, tuple[str, str]] = {
    "app_title": ("カスタマーサクセス ダッシュボード", "Customer Success Dashboard"),
    "page_overview": ("概要", "Overview"),
    "page_tiers": ("ティア分析", "Tiers"),
    "page_health": ("ヘルススコア", "Health"),
    "page_churn": ("解約・継続", "Churn"),
    "page_simulator": ("LTV/CPA シミュレーター", "LTV/CPA simulator"),
    "page_data": ("データ", "Data"),
    "language": ("言語 / Language", "言語 / Language"),
    "filters": ("表示条件", "Filters"),
    "as_of": ("基準日", "As of"),
    "from": ("期間の開始", "From"),
    "tier_filter": ("ティア", "Tier"),
    "owner_filter": ("担当CSM", "Owner (CSM)"),
    "all": ("すべて", "All"),
    "signed_in_as": ("ログイン中: {name}（{role}）", "Signed in as {name} ({role})"),
    "role_editor": ("編集者", "editor"),
    "role_viewer": ("閲覧者", "viewer"),
    "logout": ("ログアウト", "Log out"),
    "login": ("ログイン", "Log in"),
    "username": ("ユーザー名", "User name"),
    "password": ("パスワード", "Password"),
    "login_failed": ("ユーザー名またはパスワードが違います。", "Wrong user name or password."),
    "login_title": ("ログインしてください", "Please log in"),
    "empty_db": ("まだデータがありません。デモデータを読み込むか、「データ」ページからCSV/Excelをアップロードしてください。",
                 "There is no data yet. Load the demo data, or upload a CSV/Excel export on the Data page."),
    "load_demo": ("デモデータを読み込む", "Load demo data"),
    "go_data": ("データページへ", "Go to the Data page"),
    "viewer_empty": ("データがまだありません。編集者にデータの取り込みを依頼してください。",
                     "There is no data yet. Ask an editor to load some."),
    "definitions": ("指標の定義", "Metric definitions"),
    "download_csv": ("CSVをダウンロード", "Download CSV"),
    "chart_data": ("グラフのデータ", "Chart data"),
    "no_data_period": ("この期間のデータはありません。", "No data for this period."),
    # overview
    "kpi_active": ("有効顧客数", "Active accounts"),
    "kpi_mrr": ("MRR", "MRR"),
    "kpi_arr": ("ARR", "ARR"),
    "kpi_churn": ("顧客解約率（{month}）", "Customer churn ({month})"),
    "kpi_rev_churn": ("MRR解約率（{month}）", "Revenue churn ({month})"),
    "kpi_nrr": ("NRR（12か月）", "NRR (12 months)"),
    "kpi_red_share": ("要注意（赤）のMRR比率", "MRR share in red health"),
    "kpi_renewals": ("90日以内の更新", "Renewals in 90 days"),
    "waterfall_note": ("期末MRRは請求月のMRRで、月中に解約した顧客のその月の請求を含みます（上のMRRカードは基準日に有効な顧客のMRR）。",
                       "The end is the month's billed MRR, which still includes accounts that left during the month (the MRR card counts accounts active on the as-of day)."),
    "vs_prev_month": ("前月比", "vs previous month"),
    "mrr_trend": ("MRR推移（{start}〜{end}）", "MRR trend ({start} – {end})"),
    "waterfall": ("MRRの増減内訳（{month}）", "MRR movements ({month})"),
    "tier_mix": ("ティア別MRR構成（{date}時点）", "MRR by tier (as of {date})"),
    "at_risk_title": ("連絡すべき顧客（ヘルス赤・MRR順）", "Accounts to call (red health, by MRR)"),
    # movements
    "start": ("期首MRR", "Start"), "new": ("新規", "New"), "reactivation": ("復活", "Reactivation"),
    "expansion": ("拡大", "Expansion"), "contraction": ("縮小", "Contraction"), "churn": ("解約", "Churn"),
    "end": ("期末MRR", "End"),
    # tiers
    "tier_rule": ("適用中のルール", "Rule in force"),
    "tier_rule_mrr": ("MRR帯: Tier1 ≥ {t1}、Tier2 ≥ {t2}、それ未満は Tier3{auto}",
                      "MRR brackets: Tier1 ≥ {t1}, Tier2 ≥ {t2}, below is Tier3{auto}"),
    "tier_rule_auto": ("（既定値: 有効顧客MRRの80/50パーセンタイル付近の切りの良い数）",
                       " (default: round figures near the 80th/50th percentile of active MRR)"),
    "tier_rule_manual": ("エクスポートのティア列（空欄はMRR帯で補完）", "The export's tier column (blanks fall back to MRR brackets)"),
    "edit_thresholds": ("しきい値を変更（編集者のみ）", "Change thresholds (editors only)"),
    "save": ("保存", "Save"),
    "saved": ("保存しました。", "Saved."),
    "reset_default": ("既定値に戻す", "Reset to default"),
    "tier_accounts_mrr": ("ティア別 顧客数とMRR（{date}時点）", "Accounts and MRR by tier (as of {date})"),
    "tier_health_mix": ("ティア別 ヘルス構成", "Health mix by tier"),
    "tier_churn": ("ティア別 顧客解約率（月次、期首時点のティア）", "Customer churn by tier (monthly, tier at period start)"),
    "tier_playbook": ("ティア別のカバレッジとKPI", "Coverage model and KPIs per tier"),
    "tier_migration": ("ティア移動（{d1} → {d2}）", "Tier migration ({d1} → {d2})"),
    "tier_accounts": ("{tier} の顧客一覧", "{tier} accounts"),
    "migration_from": ("比較元の日付", "Compare from"),
    "coverage_high_touch": ("ハイタッチ（カスタマーセールス）", "High-touch (customer sales)"),
    "coverage_mixed": ("ハイタッチ（見込み高）＋ロータッチ", "High-touch for the likeliest, low-touch for the rest"),
    "coverage_tech_touch": ("ロータッチ／テックタッチ（カスタマーマーケティング）", "Low/tech-touch (customer marketing)"),
    "upsell_won": ("アップセル・クロスセル受注額", "Upsell / cross-sell won"),
    "pipeline": ("パイプライン（商談中）", "Open pipeline"),
    "pipeline_count": ("商談中の件数", "Open deals"),
    "onboarding": ("オンボーディング完了率", "Onboarding completion"),
    # health
    "health_dist": ("ヘルススコア分布（{date}時点、ティア別）", "Health score distribution (as of {date}, by tier)"),
    "health_config": ("スコアの測定項目と重み", "Measures and weights"),
    "band_trend": ("ヘルス区分の推移（月末時点）", "Health bands over time (month ends)"),
    "lowest": ("スコアの低い顧客と要因", "Lowest-scoring accounts and why"),
    "explain": ("顧客ごとの内訳", "One account's explanation"),
    "choose_account": ("顧客を選択", "Choose an account"),
    "validation": ("スコアの検証（過去時点のスコア → その後90日の解約）", "Validation (past scores → churn in the next 90 days)"),
    "window_days": ("集計期間（日）", "Window (days)"),
    "weight": ("重み", "Weight"), "method": ("採点方法", "Scoring"), "measure": ("測定項目", "Measure"),
    "raw": ("実績値", "Raw value"), "score": ("スコア", "Score"), "contribution": ("寄与", "Contribution"),
    "band": ("区分", "Band"), "change": ("前回比", "Change"),
    "red": ("赤（要注意）", "red"), "yellow": ("黄", "yellow"), "green": ("緑（良好）", "green"),
    "no_measures": ("ヘルススコアに使える利用状況・接点データがありません。「データ」ページで取り込んでください。",
                    "No usage or touchpoint data to score health with. Import some on the Data page."),
    # churn
    "grain": ("集計単位", "Period"),
    "grain_day": ("日", "Day"), "grain_week": ("週", "Week"), "grain_month": ("月", "Month"),
    "grain_quarter": ("四半期", "Quarter"), "grain_fiscal_year": ("年度", "Fiscal year"),
    "churn_rates": ("顧客解約率とレベニューチャーン（{grain}）", "Customer and revenue churn ({grain})"),
    "churn_counts": ("期首顧客数と解約数", "Customers at start and churned"),
    "nrr_grr": ("NRR と GRR（12か月）", "NRR and GRR (12 months)"),
    "cohort_logo": ("コホート別 継続率（顧客数）", "Cohort retention (logos)"),
    "cohort_revenue": ("コホート別 売上継続率（MRR）", "Cohort retention (revenue)"),
    "segment_by": ("内訳の軸", "Break down by"),
    "by_segment": ("{column}別 顧客解約率", "Customer churn by {column}"),
    "movements_table": ("MRR増減（月次）", "MRR movements (monthly)"),
    # data
    "upload": ("ファイルを取り込む", "Import a file"),
    "dataset": ("データの種類", "Dataset"),
    "file": ("ファイル（CSV / Excel / Parquet）", "File (CSV / Excel / Parquet)"),
    "detected": ("判定結果: 形式 {fmt}、文字コード {enc}、シート {sheet}", "Detected: format {fmt}, encoding {enc}, sheet {sheet}"),
    "mapping": ("列の対応付け（自動判定・確信度つき）", "Column mapping (detected, with confidence)"),
    "not_mapped": ("（使わない）", "(not used)"),
    "col_account_id": ("顧客ID", "Account ID"), "col_name": ("会社名", "Name"), "col_mrr": ("MRR（月額）", "MRR"),
    "col_contract_start": ("契約開始日", "Contract start"), "col_renewal_date": ("契約更新日", "Renewal date"),
    "col_churn_date": ("解約日", "Churn date"), "col_status": ("ステータス", "Status"), "col_owner": ("担当CSM", "Owner"),
    "col_plan": ("プラン", "Plan"), "col_industry": ("業種", "Industry"), "col_segment": ("セグメント", "Segment"),
    "col_tier": ("ティア", "Tier"), "col_acquisition_channel": ("獲得チャネル", "Acquisition channel"),
    "col_acquisition_cost": ("獲得コスト", "Acquisition cost"), "col_date": ("日付", "Date"),
    "col_month": ("対象月", "Month"), "col_customer_id": ("顧客ID（会員ID）", "Customer ID"),
    "col_order_date": ("注文日", "Order date"), "col_amount": ("金額", "Amount"), "col_order_id": ("注文番号", "Order ID"),
    "col_channel": ("チャネル", "Channel"), "col_kind": ("種別", "Kind"), "col_note": ("メモ", "Note"),
    "col_stage": ("フェーズ", "Stage"), "col_created": ("作成日", "Created"), "col_closed": ("完了日", "Closed"),
    "preview": ("取り込まれる内容（先頭20行）", "What will be stored (first 20 rows)"),
    "rejected_preview": ("取り込めない行: {n}行", "Rows that cannot be read: {n}"),
    "commit": ("この内容で取り込む", "Import"),
    "import_mode": ("取り込み方法", "Import mode"),
    "link_dates_adjusted": ("リンクの日付をデータの範囲（{first} 以降）に合わせました。",
                            "The link's dates were moved into the data's range (from {first})."),
    "link_values_adjusted": ("リンクの値のうち範囲外・読めないものを調整しました: {keys}",
                             "Some of the link's values were out of range or unreadable and were adjusted: {keys}"),
    "sheet": ("シート", "Sheet"),
    "measures": ("指標の列", "Measures"),
    "mode_replace": ("置き換え（全件のエクスポート）", "Replace (a full export)"),
    "mode_append": ("追加（新しい行だけ）", "Append (new rows)"),
    "mode_upsert": ("更新（キーが同じ行を置き換え、新しいキーは追加）", "Upsert (replace rows by key, add new keys)"),
    "unmapped_headers": ("取り込まれない見出し: {headers}", "Headers not imported: {headers}"),
    "confirm_replace": ("{removed}件（現在{current}件中）が消えることを確認して置き換える",
                        "Replace anyway: {removed} of the {current} current keys will be removed"),
    "import_reading": ("ファイルを読み込んでいます…", "Reading the file…"),
    "import_checking": ("値を確認しています…", "Checking the values…"),
    "import_checked": ("確認しました", "Checked"),
    "import_storing": ("保存しています…", "Storing…"),
    "import_done": ("完了", "Done"),
    "rows_summary": ("行数: {read} → 取り込み {loaded}（除外 {rejected}）", "Rows: {read} → {loaded} stored ({rejected} rejected)"),
    "imported_duplicates": ("すでにある {n}行は重複として飛ばしました。", "{n} rows already stored were skipped as duplicates."),
    "imported": ("{file} を取り込みました: {loaded}行（除外 {rejected}行）。", "Imported {file}: {loaded} rows ({rejected} rejected)."),
    "unchanged": ("同じファイルが既に取り込まれています。変更はありません。", "This file is already the current snapshot; nothing changed."),
    "history": ("取り込み履歴（スナップショット）", "Import history (snapshots)"),
    "restore": ("このスナップショットに戻す", "Restore this snapshot"),
    "restore_button": ("戻す", "Restore"),
    "restored": ("スナップショット {id} を現在のデータにしました。", "Snapshot {id} is now current."),
    "settings": ("設定", "Settings"),
    "fy_start": ("年度の開始月", "Fiscal year starts in"),
    "currency": ("通貨", "Currency"),
    "time_zone": ("タイムゾーン", "Time zone"),
    "viewer_cannot_edit": ("閲覧者はデータの取り込み・復元・設定変更はできません。", "Viewers cannot import, restore or change settings."),
    "rejected_download": ("除外された行をダウンロード", "Download rejected rows"),
    "month_label": ("{y}/{m:02d}", "{y}/{m:02d}"),
    # simulator
    "sim_d2c": ("D2C（リピート購入）", "D2C (repeat purchase)"),
    "sim_saas": ("SaaS（月額）", "SaaS (monthly)"),
    "sim_cs": ("CS投資のROI", "CS investment ROI"),
    "sim_renewal": ("年間契約の更新", "Annual renewal"),
    "calibrate": ("自分のデータから設定", "Calibrate from my data"),
    "calibrated_from": ("データから設定した値と出典", "Values taken from the data, and where from"),
    "sensitivity": ("感度分析: 許容CPAを最も動かす前提（各前提 ±20%）", "Sensitivity: what moves the allowable CPA most (each driver ±20%)"),
    "sensitivity_saas": ("感度分析: LTVを最も動かす前提（各前提 ±20%）", "Sensitivity: what moves LTV most (each driver ±20%)"),
    "heatmap": ("許容CPA: AOV × 粗利率（他の前提は現在値）", "Allowable CPA: AOV × gross margin (other drivers as set)"),
    "scenarios": ("シナリオ", "Scenarios"),
    "scenario_name": ("シナリオ名", "Scenario name"),
    "save_scenario": ("シナリオを保存", "Save scenario"),
    "compare": ("比較", "Compare"),
    "share_url": ("この状態を共有するURL", "A URL that reopens this state"),
    "formulas": ("計算式", "Formulas"),
}


def tr(key: str, lang: str = "ja", **kwargs: object) -> str:
    pair = UI.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "ja" else pair[1]
    return text.format(**kwargs) if kwargs else text


def month_label(day, lang: str = "ja") -> str:
    return tr("month_label", lang, y=day.year, m=day.month)
