"""Short definitions shown next to each metric in the app (docs/metrics.md has the full text)."""

DEFINITIONS: dict[str, dict[str, tuple[str, str]]] = {
    "active_accounts": {
        "ja": ("有効顧客数", "基準日に契約中の顧客数。契約開始日 ≤ 基準日 かつ（解約日が空 または 基準日 < 解約日）。MRR履歴がある場合は有料月（MRR > 0）が続いている顧客。"),
        "en": ("Active accounts", "Accounts that are customers on the as-of day: contract_start ≤ day and (no churn_date or day < churn_date). With an MRR history, accounts in a run of paid months (MRR > 0)."),
    },
    "mrr": {
        "ja": ("MRR / ARR", "基準日時点の有効顧客の月額売上の合計（MRR履歴があればその月の値、なければ顧客一覧の月額）。ARR = MRR × 12。"),
        "en": ("MRR / ARR", "Sum of monthly recurring revenue of active accounts on the as-of day (from the MRR history when loaded, else the account's mrr). ARR = MRR × 12."),
    },
    "customer_churn": {
        "ja": ("顧客解約率（カスタマーチャーンレート）", "期間 [s, e) の解約数 ÷ 期首顧客数。期首顧客 = s より前に開始し s 時点で解約していない顧客。期間内に開始して解約した顧客は率に含めず別に数えます。有料→無料（MRRが0）も解約です。分母が0の期間は空欄。"),
        "en": ("Customer churn rate", "Customers churned in [s, e) ÷ customers at start (started before s, not churned before s). Accounts that start and churn inside the period are counted apart. Paid → free (MRR to 0) is churn. Empty when the denominator is 0."),
    },
    "revenue_churn": {
        "ja": ("レベニューチャーン（グロス / ネット）", "月次。グロス = (解約 + 縮小) ÷ 期首MRR、ネット = (解約 + 縮小 − 拡大) ÷ 期首MRR（マイナスもあり）。概要の「グロス・レベニューチャーン」と解約分析の同名の線は同じ値です。"),
        "en": ("Revenue churn (gross / net)", "Monthly. Gross = (churn + contraction) ÷ starting MRR; net = (churn + contraction − expansion) ÷ starting MRR (can be negative). The Overview's \"Gross revenue churn\" and the Churn page's line of that name are the same figure."),
    },
    "churned_mrr": {
        "ja": ("解約MRR率", "期間 [s, e) に解約した顧客の最終MRR ÷ 期首顧客のMRR。縮小は含みません（縮小を含むのはグロス・レベニューチャーン）。日・週・四半期・年度でも計算できます。"),
        "en": ("Churned MRR rate", "Last MRR of the accounts that churned in [s, e) ÷ MRR of the accounts at start. Contraction is not included (gross revenue churn includes it). Available for any period: day, week, month, quarter, fiscal year."),
    },
    "nrr": {
        "ja": ("NRR / GRR（12か月）", "NRR = 1年前にMRRがあった顧客の現在MRR合計 ÷ 1年前のMRR合計（新規は除外）。GRR は各顧客のMRRを1年前の値で頭打ちにしたもの（GRR ≤ 1、GRR ≤ NRR）。"),
        "en": ("NRR / GRR (12 months)", "NRR = Σ MRR now ÷ Σ MRR a year ago, over accounts that had MRR a year ago (new accounts excluded). GRR caps each account at its year-ago MRR (GRR ≤ 1, GRR ≤ NRR)."),
    },
    "movements": {
        "ja": ("MRRの増減", "前月0→当月>0: 新規（過去にMRRなし）または復活。前月>0で増加: 拡大、減少(>0): 縮小、0へ: 解約。外貨建ての契約で為替レートの変化だけによる増減は「為替変動」として別に数え、拡大・縮小には含めません。毎月 期首 + 新規 + 復活 + 拡大 − 縮小 − 解約 ± 為替変動 = 期末 が1円単位で成り立ちます。クイックレシオ = (新規+復活+拡大) ÷ (縮小+解約)。"),
        "en": ("MRR movements", "prev 0 → cur > 0: new (never had MRR) or reactivation; prev > 0 and up: expansion, down but > 0: contraction, to 0: churn. For accounts billed in another currency, the change that comes only from the exchange rate is its own movement (FX), never expansion or contraction. Every month start + new + reactivation + expansion − contraction − churn ± FX = end, to the yen. Quick ratio = (new + reactivation + expansion) ÷ (contraction + churn)."),
    },
    "red_share": {
        "ja": ("赤のMRR比率", "ヘルススコアが赤（既定 < 40）の有効顧客のMRR ÷ 全有効顧客のMRR。"),
        "en": ("MRR share in red", "MRR of active accounts whose health is red (default < 40) ÷ MRR of all active accounts."),
    },
    "renewals": {
        "ja": ("90日以内の更新", "契約更新日が基準日の翌日から90日以内の有効顧客（件数とMRR）。更新の3か月前に状態を営業へ渡すための一覧です。"),
        "en": ("Renewals in 90 days", "Active accounts whose renewal date falls within 90 days after the as-of day (count and MRR). Seed 004: hand sales each account's state 3 months before renewal."),
    },
    "tiers": {
        "ja": ("ティア（Tier1〜3）", "既定はMRR帯: Tier1 = MRR ≥ T1、Tier2 = MRR ≥ T2、それ以外は Tier3。T1/T2 の既定値は有効顧客MRRの80/50パーセンタイル付近の切りの良い数（有効数字2桁）。エクスポートのティア列も使えます。"),
        "en": ("Tiers (Tier1–3)", "Default: MRR brackets, Tier1 if MRR ≥ T1, Tier2 if MRR ≥ T2, else Tier3. T1/T2 default to round figures (two significant digits) near the 80th/50th percentile of active MRR. The export's tier column can be used instead."),
    },
    "tier_migration": {
        "ja": ("ティア移動", "2つの日付それぞれの時点のティアを比べ、移動した顧客数とMRRを数えます（「顧客でない」= その時点で顧客でない）。ティアを上がる「階段」の進み具合です。"),
        "en": ("Tier migration", "Each account's tier on two dates compared: counts and MRR moving between tiers ('not a customer' = not a customer on that date). How far accounts climb the tier staircase."),
    },
    "health": {
        "ja": ("ヘルススコア", "測定項目ごとに基準日までの集計期間（既定90日）の値を0〜100で採点（その項目のデータがある有効顧客内のパーセンタイル、または下限〜目標の直線）し、重み付き平均: Σ wᵢ·sᵢ ÷ Σ wᵢ。期間中に「大きいほど良い」利用項目の値が1つもない顧客はそれらの項目が0点（沈黙はリスク）。それ以外で値のない項目（問い合わせ件数など「小さいほど良い」項目は常に）は「データなし」としてその顧客のスコアから外し（重み0）、残りの項目の重みで計算します。データがないことは悪いデータではありません。赤 < 40、黄 40〜69.99、緑 ≥ 70。"),
        "en": ("Health score", "Each measure over the trailing window (default 90 days) scored 0–100 (percentile among the active accounts with data for it, or linear between a floor and a target), then Σ wᵢ·sᵢ ÷ Σ wᵢ. An account with no value of any higher-is-better usage measure in the window scores 0 on each of them (silence is a risk). Otherwise a measure without a value (a lower-is-better one such as support tickets always) is \"no data\": left out of that account's score (weight 0) and the other weights rescaled. No data is not bad data. Red < 40, yellow 40–69.99, green ≥ 70."),
    },
    "health_validation": {
        "ja": ("スコアの検証", "過去の基準日（月初）のスコア区分ごとに、その後90日間に解約した割合。測定項目ごととスコア全体のROC AUC（0.5 = 偶然と同じ、1 = 完全に区別）。どの項目に重みを置くべきかが分かります。提案の重みは同じ検証で現在の重みと比べ、スコアのROC AUCと赤の90日解約率のどちらも下がらず、どちらかが上がる場合だけ提案します。"),
        "en": ("Score validation", "For past as-of dates, the share of each band that churned in the following 90 days; the ROC AUC of each measure and of the score (0.5 = chance, 1 = perfect separation). Shows which measure deserves the weight. Suggested weights are validated the same way beside the weights in force and offered only when neither the score's ROC AUC nor the red band's 90-day churn falls and one of them rises."),
    },
    "cohorts": {
        "ja": ("コホート", "顧客の初回MRRの月がコホート。k か月後に有料の顧客の割合（顧客数）と、コホート月のMRRに対する k か月後のMRRの割合（売上）。"),
        "en": ("Cohorts", "An account's cohort is the month of its first MRR; share of logos paying k months later, and MRR k months later against the cohort month's MRR."),
    },
    "coverage": {
        "ja": ("接触状況（カバレッジ）", "最終接触からの日数 = 基準日 − 基準日以前で最後の接点（接点履歴）の日付。担当者のカバレッジ = 直近90日（基準日−89日〜基準日）に接触した有効顧客 ÷ 担当の有効顧客。接触のない顧客は空欄（一度も接触なし）。"),
        "en": ("Contact coverage", "Days since contact = as-of day − the date of the last touchpoint on or before it. An owner's coverage = their active accounts contacted in the last 90 days (as-of − 89 days to as-of) ÷ their active accounts. Blank when never contacted."),
    },
    "at_risk": {
        "ja": ("要対応リスト", "ヘルス区分（既定は赤）の有効顧客を、赤→黄→緑、MRRの大きい順、スコアの低い順に並べます。理由: 最も低い利用項目が下位25%未満（集計期間の値とパーセンタイル）、最終接触から60日以上（または接触記録なし）、更新まで90日以内、スコアが比較日から10点以上低下。次のアクションは編集できるルールの上から最初に当てはまるもの。"),
        "en": ("At-risk list", "Active accounts in the chosen health bands (red by default), red before yellow before green, largest MRR first, then lowest score. Reasons: the weakest usage measure below the 25th percentile (its value over the window and percentile), 60+ days since the last contact (or none on record), renewal within 90 days, score down 10+ points since the comparison day. The next action is the first matching rule in the editable list."),
    },
    "renewal_rate": {
        "ja": ("更新率", "契約開始日の応当日（1年後、2年後…）が期間内にある顧客のうち、応当日の31日前に顧客だったもの = 更新対象。そのうち応当日にも顧客であるもの = 更新。更新率 = 更新 ÷ 更新対象。応当日前の最後の1か月の解約は「更新しなかった」に数えます。ティアは31日前のティア。"),
        "en": ("Renewal rate", "Accounts whose contract anniversary (1, 2, … years after contract start) falls in the period and that were customers 31 days before it = renewals due; those still customers on the anniversary = renewed. Renewal rate = renewed ÷ due. A churn in the last month before the anniversary counts as not renewed. Tier: 31 days before."),
    },
    "upsell": {
        "ja": ("アップセル / クロスセル", "商談中 = 基準日までに作成され、基準日時点で未完了の商談。アップセル率 = 期間内に完了したアップセル受注のある顧客 ÷ 期首の有効顧客（クロスセルも同様）。ティアは期首前日のティア。"),
        "en": ("Upsell / cross-sell", "Open = created by the as-of day and not closed by then. Upsell rate = accounts with a won upsell deal closed in the period ÷ accounts active at the period's start (cross-sell likewise). Tier: the account's tier on the day before the period starts."),
    },
    "d2c": {
        "ja": ("D2C LTV", "AOV = 売上 ÷ 注文数。初回購入から一定期間の購入回数分布、リピート率 = 2回以上購入した顧客 ÷ 顧客。LTV = AOV × 1人あたり購入回数、粗利LTV = LTV × 粗利率 = 許容CPA（損益分岐）。"),
        "en": ("D2C LTV", "AOV = revenue ÷ orders. Purchase-count distribution over a horizon from the first purchase; repeat rate = customers with ≥ 2 orders ÷ customers. LTV = AOV × purchases per customer; gross-profit LTV = LTV × margin = allowable CPA (break-even)."),
    },
    "saas_ltv": {
        "ja": ("SaaS LTV", "LTV = ARPA × 粗利率 ÷ 月次解約率。LTV/CAC、CAC回収月数 = CAC ÷ (ARPA × 粗利率)。解約率は直近6か月の完了月の平均。"),
        "en": ("SaaS LTV", "LTV = ARPA × gross margin ÷ monthly churn. LTV/CAC; CAC payback months = CAC ÷ (ARPA × margin). Churn is the mean of the last 6 complete months."),
    },
    "cs_roi": {
        "ja": ("CS投資ROI", "月額コスト100万円の担当者が毎月13万円の新規MRRを生み、解約率2%なら、毎月 13万 ÷ 0.02 = 650万円のLTV、コストの6.5倍。"),
        "en": ("CS investment ROI", "A rep costing ¥1,000,000 a month who creates ¥130,000 new MRR a month at 2% churn creates 130,000 ÷ 0.02 = ¥6,500,000 of LTV a month: 6.5× cost."),
    },
    "renewal": {
        "ja": ("年間契約の更新", "更新率 r のとき期待契約年数 = 1 ÷ (1 − r)。10% → 1.11年、30% → 1.43年。LTV = 年額 × 粗利率 ÷ (1 − r)。"),
        "en": ("Annual renewal", "With renewal rate r the expected contract years = 1 ÷ (1 − r): 10% → 1.11, 30% → 1.43. LTV = annual value × margin ÷ (1 − r)."),
    },
}


# Every metric label shown on a page (a message key) and the one definition it stands for. A test checks
# that each exists in both languages: a label without a definition, or two meanings under one name, fails.
METRIC_LABELS: dict[str, str] = {
    "kpi_active": "active_accounts",
    "kpi_mrr": "mrr",
    "kpi_arr": "mrr",
    "kpi_nrr": "nrr",
    "kpi_churn": "customer_churn",
    "kpi_rev_churn": "revenue_churn",
    "gross_revenue_churn": "revenue_churn",
    "net_revenue_churn": "revenue_churn",
    "churned_mrr_rate": "churned_mrr",
    "kpi_red_share": "red_share",
    "kpi_renewals": "renewals",
}
