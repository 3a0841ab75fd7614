"""Tests of crm_lib.complaints: volumes, KPIs, the eight steps, taboos, iceberg, churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import complaints as cp
from crm_lib._errors import DataError, DataWarning

T = pd.Timestamp


def _complaints() -> pd.DataFrame:
    """Five cases; hours to first response 2, 30, 5, 1, none; to resolution 20, 100, 48, open, open."""
    opened = [T("2026-01-01 08:00"), T("2026-01-05 09:00"), T("2026-02-01 10:00"),
              T("2026-02-10 12:00"), T("2026-02-27 12:00")]
    return pd.DataFrame({
        "complaint_id": ["k1", "k2", "k3", "k4", "k5"],
        "customer_id": ["a", "a", "b", "c", "d"],
        "opened_at": opened,
        "category": ["quality", "quality", "transport", "service", "quality"],
        "channel": ["phone", "email", "phone", "phone", "web"],
        "severity": ["high", "low", "low", "medium", "low"],
        "first_response_at": [opened[0] + pd.Timedelta(hours=2), opened[1] + pd.Timedelta(hours=30),
                              opened[2] + pd.Timedelta(hours=5), opened[3] + pd.Timedelta(hours=1),
                              pd.NaT],
        "resolved_at": [opened[0] + pd.Timedelta(hours=20), opened[1] + pd.Timedelta(hours=100),
                        opened[2] + pd.Timedelta(hours=48), pd.NaT, pd.NaT],
        "handled_by": ["u1", "u2", "u1", "u2", "u1"],
        "handoffs": [0, 3, 1, 4, 0],
        "steps_done": [8, 6, 7, 3, 0],
        "reopened": [False, True, False, False, False],
        "satisfied_after": pd.array([True, None, False, None, None], dtype="boolean"),
        "product_id": ["P1", "P1", "P2", None, "P1"],
    })


AS_OF = "2026-02-28"  # the end of this day: k5 is 36 hours old, k4 18.5 days


# --- validation ----------------------------------------------------------------------------------

def test_resolved_before_opened_is_refused():
    c = _complaints()
    c.loc[2, "resolved_at"] = T("2026-01-31")
    with pytest.raises(DataError, match=r"Column 'resolved_at' in `complaints` must be on or after opened_at; 1 row is not \(row 2: 2026-01-31\)"):
        cp.handling_kpis(c)


def test_unknown_category_and_steps_out_of_range():
    c = _complaints()
    c.loc[[1, 3], "category"] = ["price", "rude"]
    with pytest.raises(DataError, match=r"Column 'category' in `complaints` must be one of \['quality', 'contract', 'transport', 'service', 'other'\]; 2 rows are not \(rows 1, 3: 'price', 'rude'\)"):
        cp.complaint_volume(c)
    c = _complaints()
    c.loc[0, "steps_done"] = 9
    with pytest.raises(DataError, match=r"Column 'steps_done' in `complaints` must be a whole number from 0 to 8; 1 row is not \(row 0: 9\)"):
        cp.handling_funnel(c)


# --- volumes -------------------------------------------------------------------------------------

def test_volume_by_category_month_and_top():
    v = cp.complaint_volume(_complaints()).set_index("category")
    assert v.loc["quality", "complaints"] == 3 and v.loc["contract", "complaints"] == 0
    assert v["share"].sum() == pytest.approx(1.0)
    m = cp.complaint_volume(_complaints(), by=("month", "channel"))
    assert m["complaints"].sum() == 5
    assert m.loc[(m["month"] == T("2026-02-01")) & (m["channel"] == "phone"), "complaints"].item() == 2
    rep = cp.top_complained(_complaints(), min_complaints=2)
    assert list(rep["customer_id"]) == ["a"] and rep.loc[0, "complaints"] == 2
    prod = cp.top_complained(_complaints(), by="product_id", top=1)
    assert prod.attrs["excluded"] == 1  # k4 names no product
    assert prod.loc[0, "share"] == pytest.approx(3 / 5)
    early = cp.top_complained(_complaints(), as_of="2026-01-31")
    assert early.loc[0, "share"] == pytest.approx(1.0)  # a: both January complaints
    assert prod.loc[0, "product_id"] == "P1" and prod.loc[0, "complaints"] == 3


# --- KPIs ----------------------------------------------------------------------------------------

def test_handling_kpis_by_hand():
    k = cp.handling_kpis(_complaints(), sla_first_response_hours=24, sla_resolution_hours=72).iloc[0]
    fr = np.array([2, 30, 5, 1])
    rs = np.array([20, 100, 48])
    assert k["complaints"] == 5
    assert k["first_response_median_h"] == pytest.approx(np.median(fr))  # 3.5
    assert k["first_response_p90_h"] == pytest.approx(np.percentile(fr, 90))
    assert k["first_response_within_sla"] == pytest.approx(3 / 5)
    assert k["resolved"] == 3 and k["share_resolved"] == pytest.approx(3 / 5)
    assert k["resolution_median_h"] == pytest.approx(np.median(rs))
    assert k["resolution_p90_h"] == pytest.approx(np.percentile(rs, 90))
    assert k["resolution_within_sla"] == pytest.approx(2 / 5)
    assert k["share_reopened"] == pytest.approx(1 / 3)
    assert k["share_checked"] == pytest.approx(2 / 3)   # k1, k3 asked
    assert k["share_satisfied"] == pytest.approx(1 / 2)


def test_handling_kpis_by_group_as_of_and_empty():
    k = cp.handling_kpis(_complaints(), by="handled_by").set_index("handled_by")
    assert k.loc["u1", "complaints"] == 3 and k.loc["u2", "resolved"] == 1
    early = cp.handling_kpis(_complaints(), as_of="2026-01-05").iloc[0]
    assert early["complaints"] == 2 and early["resolved"] == 1  # k2 not yet resolved then
    empty = cp.handling_kpis(_complaints().iloc[0:0]).iloc[0]
    assert empty["complaints"] == 0 and np.isnan(empty["first_response_median_h"])


def test_handling_kpis_leaves_input_unchanged_and_row_order():
    c = _complaints()
    before = c.copy()
    a = cp.handling_kpis(c, by="category")
    pd.testing.assert_frame_equal(c, before)
    b = cp.handling_kpis(c.iloc[::-1], by="category")
    pd.testing.assert_frame_equal(a, b)


# --- funnel and taboos ---------------------------------------------------------------------------

def test_handling_funnel_by_hand():
    f = cp.handling_funnel(_complaints())  # steps done 8, 6, 7, 3, 0
    assert list(f["step"]) == list(cp.HANDLING_STEPS)
    assert list(f["reached"]) == [4, 4, 4, 3, 3, 3, 2, 1]
    assert list(f["stalled"]) == [1, 0, 0, 1, 0, 0, 1, 1]
    assert f["stalled"].sum() + 1 == 5  # plus the one case with all eight steps
    g = cp.handling_funnel(_complaints(), by="handled_by")
    assert len(g) == 16 and g.groupby("handled_by")["stalled"].sum().tolist() == [2, 2]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=1, max_size=50))
def test_funnel_properties(steps):
    c = pd.DataFrame({"opened_at": T("2026-01-01"), "steps_done": steps})
    f = cp.handling_funnel(c)
    assert f["stalled"].sum() + steps.count(8) == len(steps)
    assert (np.diff(f["reached"]) <= 0).all()


def test_taboos_by_hand():
    flags = cp.handling_flags(_complaints(), as_of=AS_OF).set_index("complaint_id")
    assert flags["kicking_the_ball"].tolist() == [False, True, False, True, False]
    # k2 responded after 30 h; k4 open for 18 days; k5 no response after 36 h (> 24)
    assert flags["past_sla"].tolist() == [False, True, False, True, True]
    assert flags["closed_unchecked"].tolist() == [False, True, False, False, False]
    t = cp.taboos(_complaints(), as_of=AS_OF).set_index("taboo")
    assert t["cases"].tolist() == [2, 3, 1]
    assert t.loc["past_sla", "share"] == pytest.approx(3 / 5)
    by = cp.taboos(_complaints(), by="handled_by", as_of=AS_OF)
    assert by["cases"].sum() == 6


# --- iceberg and churn ---------------------------------------------------------------------------

def test_iceberg_by_hand():
    tx = pd.DataFrame({"order_id": [str(i) for i in range(4)], "customer_id": ["a", "b", "x", "y"],
                       "date": pd.to_datetime(["2026-01-10"] * 4),
                       "amount": [100.0, 200.0, 300.0, 400.0], "cost": [50.0] * 4})
    r = cp.iceberg(_complaints(), transactions=tx, customers=1000, as_of=AS_OF, window_days=365)
    row = r.iloc[0]
    assert row["complainants"] == 4 and row["silent_unhappy"] == 4 * 26
    assert row["unhappy_total"] == 4 * 27
    annual = 1 / (365 / 365.25)
    assert row["mean_annual_sales"] == pytest.approx(250 * annual)
    assert row["sales_at_risk"] == pytest.approx(104 * 250 * annual)
    assert row["gross_profit_at_risk"] == pytest.approx(104 * 200 * annual)
    assert cp.iceberg(_complaints(), ratio=10).loc[0, "silent_unhappy"] == 40


def test_iceberg_capped_by_the_customer_base():
    r = cp.iceberg(_complaints(), customers=10)  # 10 customers, 4 complained: 6 can be silent
    assert r.loc[0, "silent_unhappy"] == 6 and bool(r.loc[0, "capped"])
    with pytest.raises(DataError, match=r"`ratio` must be a number of 0 or more, got -1"):
        cp.iceberg(_complaints(), ratio=-1)


def test_churn_by_resolution_by_hand():
    status = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e", "f"],
                           "churned": [True, False, True, False, True, False]})
    r = cp.churn_by_resolution(_complaints(), status).set_index("resolution")
    # a: latest k2 resolved in 100 h; b: 48 h; c, d: open; e, f: never complained
    assert r.loc["72-168 h", "customers"] == 1 and r.loc["72-168 h", "churned"] == 1
    assert r.loc["24-72 h", "churn_rate"] == 0.0
    assert r.loc["unresolved", "customers"] == 2 and r.loc["unresolved", "churn_rate"] == 0.5
    assert r.loc["no complaint", "customers"] == 2
    assert r["customers"].sum() == 6
    lost = pd.DataFrame({"customer_id": ["a"], "lost_on": pd.to_datetime(["2026-03-01"])})
    r2 = cp.churn_by_resolution(_complaints(), lost, as_of="2026-06-30")
    assert "no complaint" not in set(r2["resolution"]) and r2["churned"].sum() == 1
    no_id = _complaints()
    no_id.loc[4, "customer_id"] = None
    with pytest.warns(DataWarning, match="1 complaint without customer_id left out of the churn comparison"):
        r3 = cp.churn_by_resolution(no_id, status)
    assert r3["customers"].sum() == 6  # d becomes a customer without complaint
    with pytest.raises(DataError, match=r"`speed_hours` must be increasing positive hours"):
        cp.churn_by_resolution(_complaints(), status, speed_hours=(72, 24))


def test_empty_complaints_do_not_crash():
    e = _complaints().iloc[0:0]
    assert cp.complaint_volume(e)["complaints"].sum() == 0
    assert cp.top_complained(e).empty
    f = cp.handling_funnel(e)
    assert len(f) == 8 and f["reached"].sum() == 0 and f["share_reached"].isna().all()
    t = cp.taboos(e)
    assert list(t["cases"]) == [0, 0, 0]
    assert cp.iceberg(e).loc[0, "silent_unhappy"] == 0
    status = pd.DataFrame({"customer_id": ["a"], "churned": [True]})
    r = cp.churn_by_resolution(e, status).set_index("resolution")
    assert r.loc["no complaint", "customers"] == 1 and r["customers"].sum() == 1


def test_charts_draw_the_results():
    from crm_lib import plots

    f = plots.steps_funnel(cp.handling_funnel(_complaints()), lang="zh")
    assert list(f.data[0].x) == [4, 4, 4, 3, 3, 3, 2, 1] and f.data[0].y[6] == "7 检查顾客满意度"
    k = plots.sla_chart(cp.handling_kpis(_complaints(), by="severity"), by="severity")
    assert len(k.data) == 4 and list(k.data[0].x) == ["High", "Low", "Medium"]
    ice = plots.iceberg_chart(cp.iceberg(_complaints()))
    assert [list(t.y) for t in ice.data] == [[4.0], [-104.0]]
