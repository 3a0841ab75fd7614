"""The customer information card and the supervisor's review, on a hand-built company."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import card as cc
from crm_lib._errors import DataError
from crm_lib.data import Dataset

AS_OF = pd.Timestamp("2026-10-31")
D = pd.Timestamp
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def company() -> Dataset:
    """Four customers of two reps, as of 2026-10-31 (window 2025-11-01 .. 2026-10-31).

    C1 company, major, rep R1: buys P1/P2, one return, contacted 2026-10-10, an open invoice not
       yet due, a resolved complaint, two surveys.
    C2 individual, small, rep R1: one purchase, never contacted, an open complaint, card stale.
    C3 individual, no tier, rep R2: a potential customer (no transactions, no contact).
    C4 company, ordinary, rep R2: blacklisted, one invoice overdue since 2025-12-31.
    """
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "name": ["长江贸易有限公司", "张三丰", "Wang Wei", "Delta Ltd"],
        "kind": ["company", "individual", "individual", "company"],
        "region": ["East", "East", "North", "North"],
        "industry": ["retail", None, None, "food"],
        "channel": ["b2b", "consumer", "consumer", "b2b"],
        "acquired_on": pd.to_datetime(["2024-05-01", "2026-10-01", "2026-10-20", "2025-01-10"]),
        "sales_rep": ["R1", "R1", "R2", "R2"],
        "credit_limit": [1000.0, 0.0, 0.0, 500.0],
        "credit_rating": ["A", "B", None, "D"],
        "blacklisted": [False, False, False, True],
        "phone": ["021-5555-1234", "13812345678", None, "13900001111"],
        "email": ["buyer@cj.example.com", "zhang.san@example.com", None, None],
        "card_updated_on": pd.to_datetime(["2026-09-01", "2026-01-01", None, "2026-02-01"]),
        "age": [np.nan, 35.0, 28.0, np.nan],
        "gender": [None, "f", "m", None],
        "income_band": [None, "middle", "low", None],
        "size": ["large", None, None, "small"],
        "decision_maker": ["李四", None, None, "Ann Lee"],
        "parent_company": ["长江集团", None, None, None],
    })
    tx = pd.DataFrame({
        "order_id": ["o0", "o1", "o2", "o3", "o4", "o5", "o6", "o9"],
        "customer_id": ["C1", "C1", "C1", "C1", "C1", "C2", "C4", "C1"],
        "date": pd.to_datetime(["2025-10-15", "2026-07-01", "2026-08-01", "2026-09-01",
                                "2026-09-15", "2026-10-20", "2025-12-01", "2026-11-05"]),
        "product_id": ["P1", "P1", "P2", "P1", "P1", "P3", "P2", "P1"],
        "quantity": [4.0, 10.0, 5.0, 10.0, -1.0, 1.0, 3.0, 9.0],
        "amount": [400.0, 1000.0, 500.0, 1000.0, -100.0, 50.0, 300.0, 999.0],
        "cost": [240.0, 600.0, 200.0, 600.0, -60.0, 40.0, 100.0, 500.0],
    })
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "name": ["Tea", "Cups", "Pots"],
                             "category": ["drinks", "ware", "ware"], "unit_price": [100.0] * 3,
                             "unit_cost": [60.0] * 3, "avg_inventory_cost": [10.0] * 3})
    interactions = pd.DataFrame({
        "customer_id": ["C1", "C1", "C4", "C1"],
        "date": pd.to_datetime(["2026-06-01", "2026-10-10", "2026-10-25", "2026-11-20"]),
        "type": ["call", "visit", "call", "visit"],
        "sales_rep": ["R1", "R1", "R2", "R1"],
        "note": ["asked for price list", "call back on 13812345678", "chased invoice", "future"],
    })
    invoices = pd.DataFrame({
        "invoice_id": ["I1", "I2", "I3", "I4", "I5"],
        "customer_id": ["C1", "C1", "C1", "C4", "C2"],
        "issued_on": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01", "2025-12-01",
                                     "2026-10-20"]),
        "due_on": pd.to_datetime(["2026-07-31", "2026-08-31", "2026-11-15", "2025-12-31",
                                  "2026-10-20"]),
        "amount": [1000.0, 500.0, 900.0, 300.0, 50.0],
        "paid_on": pd.to_datetime(["2026-07-25", "2026-09-20", None, None, "2026-10-20"]),
    })
    complaints = pd.DataFrame({
        "complaint_id": ["K1", "K2"], "customer_id": ["C1", "C2"],
        "opened_at": pd.to_datetime(["2026-08-05 09:00", "2026-10-30 10:00"]),
        "category": ["transport", "quality"], "channel": ["phone", "email"],
        "severity": ["low", "high"],
        "first_response_at": pd.to_datetime(["2026-08-05 10:00", None]),
        "resolved_at": pd.to_datetime(["2026-08-07 09:00", None]),
        "handled_by": ["S1", "S2"], "handoffs": [1, 0], "steps_done": [8, 2],
        "reopened": [False, False], "satisfied_after": pd.array([True, pd.NA], dtype="boolean"),
    })
    surveys = pd.DataFrame({
        "response_id": ["S1", "S2"], "customer_id": ["C1", "C1"],
        "date": pd.to_datetime(["2026-03-01", "2026-09-01"]),
        "nps": [9.0, 7.0], "csat": [5.0, 4.0],
    })
    return Dataset(customers=customers, transactions=tx, products=products,
                   interactions=interactions, invoices=invoices, complaints=complaints,
                   surveys=surveys)


GRADES = pd.DataFrame({"tier": ["major", "small", None, "ordinary"],
                       "abc_class": ["A", "B", None, "C"],
                       "is_key_account": [True, False, False, False],
                       "key_account_type": ["economic", None, None, None],
                       "key_account_criteria": ["profit_leader, loss_impact", "", "", ""]},
                      index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"))


# ---------------------------------------------------------------------------------- the card
def test_card_of_a_company_every_section():
    card = cc.customer_card(company(), "C1", as_of=AS_OF, grades=GRADES)
    assert card["as_of"] == AS_OF and card["window_start"] == D("2025-11-01")

    ident = card["identity"]
    assert ident["customer_id"] == "C1" and ident["name"] == "长江贸易有限公司"
    assert ident["kind"] == "company" and ident["sales_rep"] == "R1"
    assert (ident["size"], ident["decision_maker"], ident["parent_company"]) == (
        "large", "李四", "长江集团")
    assert "age" not in ident and "gender" not in ident and "income_band" not in ident

    assert card["grading"] == {"tier": "major", "abc_class": "A", "is_key_account": True,
                               "key_account_type": "economic",
                               "key_account_criteria": "profit_leader, loss_impact"}

    k = card["kpis"]
    # window lines: 1000 + 500 + 1000 - 100 (the return); o0 is before the window, o9 after as_of
    assert k["sales_window"] == 2400.0
    assert k["gross_profit_window"] == 2400.0 - (600 + 200 + 600 - 60)
    assert k["gross_margin_window"] == pytest.approx(1060 / 2400)
    assert k["orders_window"] == 3
    assert k["sales_to_date"] == 2800.0
    assert k["first_purchase"] == D("2025-10-15") and k["last_purchase"] == D("2026-09-01")
    assert k["purchase_days"] == 4
    assert k["purchase_interval_days"] == pytest.approx((D("2026-09-01") - D("2025-10-15")).days / 3)
    assert k["days_since_last_purchase"] == 60
    assert k["last_contact"] == D("2026-10-10") and k["days_since_last_contact"] == 21
    assert k["contacts_window"] == 2
    assert k["days_since_touch"] == 21 and not k["stale"]
    assert k["open_complaints"] == 0
    assert (k["last_nps"], k["last_csat"]) == (7.0, 4.0)

    h = card["history"]
    assert len(h) == 24 and h["period"].iloc[0] == D("2024-11-01")
    assert h["period"].iloc[-1] == D("2026-10-01")
    by_month = h.set_index("period")["sales"]
    assert by_month[D("2025-10-01")] == 400.0 and by_month[D("2026-09-01")] == 900.0
    assert by_month.sum() == 2800.0 and (by_month == 0).sum() == 20

    p = card["products"]
    assert p["product_id"].tolist() == ["P1", "P2"]
    assert p["name"].tolist() == ["Tea", "Cups"] and p["category"].tolist() == ["drinks", "ware"]
    assert p["sales"].tolist() == [2300.0, 500.0]
    assert p["quantity"].tolist() == [23.0, 5.0]
    assert p["share_of_sales"].tolist() == pytest.approx([2300 / 2800, 500 / 2800])
    assert p["gross_margin"].iloc[0] == pytest.approx((2300 - 1380) / 2300)

    c = card["credit"]
    assert (c["credit_limit"], c["credit_rating"]) == (1000.0, "A")
    assert (c["open_amount"], c["overdue_amount"], c["overdue_invoices"]) == (900.0, 0.0, 0)
    assert c["credit_available"] == 100.0 and c["over_limit"] == False  # noqa: E712
    # I1 and I2 fell due in the window (1500) and were paid in it; I3 issued but not yet due
    assert (c["invoiced_window"], c["due_window"], c["collected_window"]) == (2400.0, 1500.0,
                                                                            1500.0)
    assert c["collection_ratio"] == 1.0 and c["balanced"] == True  # noqa: E712

    inv = card["invoices"]
    assert inv["invoice_id"].tolist() == ["I3"]
    assert inv["days_overdue"].tolist() == [0.0] and inv["overdue"].tolist() == [False]

    comp = card["complaints"]
    assert comp["complaint_id"].tolist() == ["K1"] and comp["state"].tolist() == ["resolved"]
    assert comp["days_open"].tolist() == [2.0]

    assert card["surveys"]["nps"].tolist() == [7.0, 9.0]  # newest first
    contacts = card["contacts"]
    assert contacts["date"].tolist() == [D("2026-10-10"), D("2026-06-01")]  # not the future one
    assert contacts["type"].tolist() == ["visit", "call"]

    # major tier: every 30 days after the last contact (2026-10-10) -> 2026-11-09; the expected
    # reorder (2026-09-01 + 107 - 7 days = 2026-12-10) is later
    assert card["next_contact"] == {"date": D("2026-11-09"), "reason": "tier_interval",
                                    "overdue_days": 0.0, "contact_type": "visit"}
    assert card["notes"] == []


def test_card_of_an_individual_and_open_complaint():
    card = cc.customer_card(company(), "C2", as_of=AS_OF, grades=GRADES)
    ident = card["identity"]
    assert (ident["age"], ident["gender"], ident["income_band"]) == (35.0, "f", "middle")
    assert "decision_maker" not in ident and "size" not in ident
    comp = card["complaints"]
    assert comp["state"].tolist() == ["open"]
    # open from 2026-10-30 10:00 to the end of as_of (2026-11-01 00:00)
    assert comp["days_open"].tolist() == [pytest.approx(38 / 24, abs=0.05)]
    assert card["kpis"]["open_complaints"] == 1
    assert card["kpis"]["stale"] == True  # noqa: E712  (card updated 2026-01-01, no contact)
    assert card["kpis"]["days_since_touch"] == (AS_OF - D("2026-01-01")).days
    assert card["next_contact"]["reason"] == "open_complaint"
    assert card["next_contact"]["date"] == D("2026-11-01")
    assert card["next_contact"]["contact_type"] == "call"
    assert card["credit"]["balanced"] == True  # noqa: E712  (paid the day it fell due)


def test_card_of_a_potential_customer_without_transactions():
    card = cc.customer_card(company(), "C3", as_of=AS_OF, grades=GRADES)
    assert card["kpis"]["sales_window"] == 0.0 and card["kpis"]["sales_to_date"] == 0.0
    assert pd.isna(card["kpis"]["last_purchase"]) and card["kpis"]["purchase_days"] == 0
    assert card["history"]["sales"].eq(0).all() and len(card["history"]) == 24
    assert card["products"].empty and list(card["products"].columns)[:2] == ["product_id", "name"]
    assert card["invoices"].empty and card["complaints"].empty and card["contacts"].empty
    assert card["grading"]["tier"] is None
    assert card["next_contact"]["reason"] == "never_contacted"
    assert card["kpis"]["stale"] == True  # noqa: E712


def test_blacklisted_customer_is_contacted_only_for_the_overdue_invoice():
    card = cc.customer_card(company(), "C4", as_of=AS_OF, grades=GRADES)
    c = card["credit"]
    assert (c["overdue_amount"], c["overdue_invoices"]) == (300.0, 1)
    assert c["oldest_overdue_days"] == (AS_OF - D("2025-12-31")).days
    assert c["collection_ratio"] == 0.0 and c["balanced"] == False  # noqa: E712
    assert card["invoices"]["overdue"].tolist() == [True]
    assert card["next_contact"]["reason"] == "overdue_invoice"
    no_invoice = replace(company(), invoices=company().invoices.query("invoice_id != 'I4'"))
    again = cc.customer_card(no_invoice, "C4", as_of=AS_OF, grades=GRADES)
    assert again["next_contact"]["reason"] is None and again["next_contact"]["date"] is pd.NaT


def test_masking_hides_names_phones_and_emails():
    ds = company()
    c2 = cc.customer_card(ds, "C2", as_of=AS_OF, grades=GRADES, mask_pii=True)["identity"]
    assert (c2["name"], c2["phone"], c2["email"]) == ("张**", "138****5678", "z***@***.com")
    c1 = cc.customer_card(ds, "C1", as_of=AS_OF, grades=GRADES, mask_pii=True)
    assert c1["identity"]["decision_maker"] == "李*"
    assert c1["identity"]["parent_company"] == "长***"
    assert "13812345678" not in " ".join(c1["contacts"]["note"])
    plain = cc.customer_card(ds, "C1", as_of=AS_OF, grades=GRADES)
    assert plain["identity"]["phone"] == "021-5555-1234"
    assert ds.customers.loc[1, "name"] == "张三丰"  # the dataset is left as it was
    masked = cc.customer_card(ds.mask_pii(), "C2", as_of=AS_OF, grades=GRADES, mask_pii=True)
    assert masked["identity"]["phone"] == "138****5678"  # masking twice changes nothing
    assert masked["identity"]["name"] == "张**"


def test_unknown_customer_names_it_and_suggests_close_ids():
    with pytest.raises(DataError, match=r"Customer 'C01' not found in `customers` \(4 customers\)"
                                        r"\. Did you mean 'C1'"):
        cc.customer_card(company(), "C01", as_of=AS_OF, grades=GRADES)
    with pytest.raises(DataError, match=r"Customer 'zzz' not found .* Ids look like 'C1', 'C2'"):
        cc.customer_card(company(), "zzz", as_of=AS_OF, grades=GRADES)


def test_default_customer_and_default_as_of():
    ds = company()
    card = cc.customer_card(ds, "", as_of=AS_OF, grades=GRADES)
    assert card["identity"]["customer_id"] == "C1"  # the top customer by sales in the window
    # latest date in the dataset: the interaction of 2026-11-20
    assert cc.latest_date(ds) == D("2026-11-20")
    later = cc.customer_card(ds, "C1", grades=GRADES)
    assert later["as_of"] == D("2026-11-20")
    assert later["kpis"]["sales_to_date"] == 2800.0 + 999.0


def test_missing_tables_leave_empty_sections_and_notes():
    ds = Dataset(customers=company().customers, transactions=company().transactions)
    card = cc.customer_card(ds, "C1", as_of=AS_OF, grades=GRADES)
    assert card["invoices"].empty and card["complaints"].empty and card["surveys"].empty
    assert card["credit"]["balanced"] is None and card["kpis"]["last_contact"] is pd.NaT
    assert card["products"]["name"].isna().all()
    text = " ".join(card["notes"])
    for table in ("interactions", "invoices", "complaints", "surveys", "products"):
        assert f"`{table}`" in text


def test_card_does_not_change_the_dataset():
    ds = company()
    before = {n: df.copy() for n, df in ds.tables().items()}
    cc.customer_card(ds, "C1", as_of=AS_OF, mask_pii=True, grades=GRADES)
    cc.supervisor_review(ds, as_of=AS_OF, grades=GRADES)
    for n, df in ds.tables().items():
        pd.testing.assert_frame_equal(df, before[n])


def test_grades_computed_with_tiering_when_not_given():
    tiering = pytest.importorskip("crm_lib.tiering")
    t = cc.card_table(company(), as_of=AS_OF).set_index("customer_id")
    bought = ["C1", "C2", "C4"]  # C3 never bought: no tier
    assert t.loc[bought, "tier"].isin(tiering.TIER_NAMES).all()
    assert pd.isna(t.loc["C3", "tier"])
    assert t.loc[bought, "abc_class"].isin(tiering.ABC_CLASSES).all()
    assert t.loc["C1", "abc_class"] == "A"  # 2400 of 2450 in the window
    assert t.loc[bought, "is_key_account"].notna().all() and pd.isna(t.loc["C3", "is_key_account"])


def test_bad_arguments():
    with pytest.raises(DataError, match=r"`as_of` must be a date such as '2026-10-31', got 'soon'"):
        cc.card_table(company(), as_of="soon")
    with pytest.raises(DataError, match="`contact_intervals` must have an 'unranked' entry"):
        cc.card_table(company(), as_of=AS_OF, contact_intervals={"VIP": 7})
    with pytest.raises(DataError, match="`grades` must have at least one of"):
        cc.card_table(company(), as_of=AS_OF, grades=pd.DataFrame({"x": [1]}, index=["C1"]))
    dup = replace(company(), customers=pd.concat([company().customers,
                                                  company().customers.iloc[[0]]]))
    with pytest.raises(DataError, match=r"'customer_id' in `customers` must be unique; 2 rows "
                                        r"are not \(rows 0, 0: 'C1', 'C1'\)"):
        cc.card_table(dup, as_of=AS_OF, grades=GRADES)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_card_table_does_not_depend_on_row_order(seed):
    ds = company()
    rng = np.random.default_rng(seed)
    shuffled = replace(ds, **{n: df.iloc[rng.permutation(len(df))]
                              for n, df in ds.tables().items()})
    a = cc.card_table(ds, as_of=AS_OF, grades=GRADES).set_index("customer_id").sort_index()
    b = cc.card_table(shuffled, as_of=AS_OF, grades=GRADES).set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(a, b, check_like=True)


# ----------------------------------------------------------------------- the supervisor review
def test_supervisor_review_counts_by_hand():
    r = cc.supervisor_review(company(), as_of=AS_OF, grades=GRADES)
    reps = r["reps"].set_index("sales_rep")
    assert reps["customers"].to_dict() == {"R1": 2, "R2": 2}
    assert reps.loc["R1", ["VIP", "major", "ordinary", "small", "unranked"]].tolist() == [0, 1, 0,
                                                                                        1, 0]
    assert reps.loc["R2", ["VIP", "major", "ordinary", "small", "unranked"]].tolist() == [0, 0, 1,
                                                                                        0, 1]
    assert reps["key_accounts"].to_dict() == {"R1": 1, "R2": 0}
    assert reps["stale_cards"].to_dict() == {"R1": 1, "R2": 1}  # C2; C3 (never touched)
    assert reps["sales_window"].to_dict() == {"R1": 2450.0, "R2": 300.0}
    assert reps["due_window"].to_dict() == {"R1": 1550.0, "R2": 300.0}
    assert reps["collected_window"].to_dict() == {"R1": 1550.0, "R2": 0.0}
    assert reps["balanced"].tolist() == [True, False]
    assert reps["overdue_amount"].to_dict() == {"R1": 0.0, "R2": 300.0}
    assert reps["overdue_customers"].to_dict() == {"R1": 0, "R2": 1}
    assert reps["open_complaints"].to_dict() == {"R1": 1, "R2": 0}
    # due by 2026-11-07: C2 (complaint), C4 (overdue), C3 (never contacted); C1 on 2026-11-09
    assert reps["planned_contacts"].to_dict() == {"R1": 1, "R2": 2}
    assert reps["due_not_planned"].to_dict() == {"R1": 0, "R2": 0}

    plan = r["visit_plan"]
    assert plan["customer_id"].tolist() == ["C2", "C4", "C3"]
    assert plan["order"].tolist() == [1, 1, 2]
    assert plan["reason"].tolist() == ["open_complaint", "overdue_invoice", "never_contacted"]
    assert (plan["date"] == D("2026-11-01")).all()

    assert r["stale"]["customer_id"].tolist() == ["C3", "C2"]  # never touched first
    assert r["overdue"]["customer_id"].tolist() == ["C4"]
    tiers = r["tiers"]
    assert tiers["customers"].sum() == 4
    assert set(zip(tiers["sales_rep"], tiers["tier"], strict=True)) == {
        ("R1", "major"), ("R1", "small"), ("R2", "ordinary"), ("R2", "unranked")}


def test_supervisor_review_options():
    ds = company()
    r = cc.supervisor_review(ds, as_of=AS_OF, grades=GRADES, sales_rep="R2", visits_per_week=1)
    assert r["reps"]["sales_rep"].tolist() == ["R2"]
    assert r["visit_plan"]["customer_id"].tolist() == ["C4"]
    assert r["reps"]["due_not_planned"].tolist() == [1]
    week2 = cc.supervisor_review(ds, as_of=AS_OF, grades=GRADES, horizon_days=9)
    assert "C1" in week2["visit_plan"]["customer_id"].tolist()
    fresh = cc.supervisor_review(ds, as_of=AS_OF, grades=GRADES, stale_days=400)
    assert fresh["stale"]["customer_id"].tolist() == ["C3"]
    with pytest.raises(DataError, match=r"Sales rep 'R3' has no customers in `customers`\. "
                                        r"Did you mean 'R2', 'R1'"):
        cc.supervisor_review(ds, as_of=AS_OF, grades=GRADES, sales_rep="R3")
    with pytest.raises(DataError, match="`horizon_days` must be a positive whole number, got 0"):
        cc.supervisor_review(ds, as_of=AS_OF, horizon_days=0)


def test_every_customer_counted_once_per_rep():
    r = cc.supervisor_review(company(), as_of=AS_OF, grades=GRADES)
    reps = r["reps"]
    tier_cols = list(cc.CONTACT_INTERVAL_DAYS)
    assert (reps[tier_cols].sum(axis=1) == reps["customers"]).all()
    assert reps["customers"].sum() == len(company().customers)


@pytest.mark.slow
@pytest.mark.skipif(not (SAMPLE / "customers.csv").exists(), reason="no sample data")
def test_sample_company_against_plain_pandas():
    import crm_lib as crm

    ds = crm.load_dataset(SAMPLE)
    as_of = ds.month_end("")
    t = cc.card_table(ds, as_of=as_of).set_index("customer_id")
    assert len(t) == len(ds.customers)
    inv = ds.invoices
    open_ = (inv["issued_on"] <= as_of) & (inv["paid_on"].isna() | (inv["paid_on"] > as_of))
    late = open_ & (inv["due_on"] < as_of)
    expected = inv[late].groupby("customer_id")["amount"].sum()
    pd.testing.assert_series_equal(t.loc[expected.index, "overdue_amount"], expected,
                                   check_names=False)
    assert t["overdue_amount"].sum() == pytest.approx(expected.sum())
    ia = ds.interactions[ds.interactions["date"] <= as_of]
    last = ia.groupby("customer_id")["date"].max()
    assert (t.loc[last.index, "last_contact"] == last).all()
    tx = ds.transactions[(ds.transactions["date"] <= as_of)]
    window = tx[tx["date"] > as_of - pd.DateOffset(months=12)]
    sales = window.groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(t.loc[sales.index, "sales_window"], sales)
    top = t["sales_window"].idxmax()
    card = cc.customer_card(ds, "", as_of=as_of)
    assert card["identity"]["customer_id"] == top
    assert card["history"]["sales"].iloc[-12:].sum() == pytest.approx(t.loc[top, "sales_window"])
    review = cc.supervisor_review(ds, as_of=as_of)
    assert review["reps"]["customers"].sum() == len(ds.customers)
    assert (review["visit_plan"].groupby("sales_rep").size() <= cc.VISITS_PER_WEEK).all()


def test_card_fields_as_text():
    card = cc.customer_card(company(), "C1", as_of=AS_OF, grades=GRADES)
    kpis = cc.card_fields(card, "kpis", fields=["sales_window", "gross_margin_window",
                                                 "last_contact", "stale", "last_nps"])
    assert kpis["field"].tolist() == ["sales_window", "gross_margin_window", "last_contact",
                                      "stale", "last_nps"]
    assert kpis["value"].tolist() == ["2,400", f"{1060 / 2400:.1%}", "2026-10-10", "no", "7"]
    ident = cc.card_fields(card, "identity").set_index("field")["value"]
    assert ident["phone"] == "021-5555-1234" and ident["blacklisted"] == "no"
    with pytest.raises(DataError, match="`section` must be one of .* got 'history'"):
        cc.card_fields(card, "history")
    with pytest.raises(DataError, match="`fields` must be among .* got 'colour'"):
        cc.card_fields(card, "kpis", fields=["colour"])
