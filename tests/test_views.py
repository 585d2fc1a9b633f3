"""What the pages show, computed without Streamlit (q is a plain, uncached caller)."""

import datetime as dt

from dashboard import views
from dashboard.views import caller


def test_kpis_compare_with_the_end_of_the_previous_month(db, load):
    # A stays; B leaves on Sep 10; C joins on Oct 5. As of Oct 15 the previous period ends on Sep 30:
    # then only A was active (1 account, ¥100); now A and C (2 accounts, ¥400).
    load("accounts", "id,mrr,contract_start,churn_date,renewal_date\n"
                     "A,100,2024-01-01,,2024-12-01\nB,200,2024-01-01,2024-09-10,\nC,300,2024-10-05,,2025-10-05\n")
    k = views.kpis(caller(db), dt.date(2024, 10, 15))
    assert (k["active"], k["active_delta"]) == (2, 1)
    assert (k["mrr"], k["mrr_delta"]) == (400, 300)
    # September is the last complete month: at start A and B, B churned -> 50%
    assert k["churn_month"] == dt.date(2024, 9, 1) and k["churn_rate"] == 0.5
    # renewals in (Oct 15, Jan 13]: only A (Dec 1)
    assert (k["renewals"], k["renewals_mrr"]) == (1, 100)
    # the Overview passes its period so the cards read the trend's movements: the same figures
    assert views.kpis(caller(db), dt.date(2024, 10, 15), dt.date(2024, 1, 20)) == k
