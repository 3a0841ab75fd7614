"""The customer information card and the supervisor's weekly review.

The card puts one customer on one page, so that a successor can take over when a sales rep
leaves: identity, grading (tier, ABC class, key account), sales and profit history, products
bought, credit and receivables, complaints, survey scores, contact history and the suggested next
contact. :func:`customer_card` returns it as data (a dict of dicts and DataFrames), so it is
tested without a notebook.

Everything per customer comes from one vectorised table, :func:`card_table` (one row per
customer); the card picks one row of it and adds the detail tables, and
:func:`supervisor_review` groups it by sales rep. The rules are parameters with public read-only
defaults (:data:`CONTACT_INTERVAL_DAYS`, :data:`STALE_DAYS`, …); ``docs/card.md`` explains them.

The suggested next contact
--------------------------
For each customer, candidate dates with a reason, the earliest wins (ties in this order):

1. ``open_complaint``: a complaint is open → the next working contact, ``as_of`` + 1 day;
2. ``overdue_invoice``: an invoice is past due → ``as_of`` + 1 day;
3. ``expected_reorder``: last purchase + the customer's usual purchase interval
   - :data:`REORDER_LEAD_DAYS` (needs at least two purchase days);
4. ``tier_interval``: last contact + the contact interval of the customer's tier
   (:data:`CONTACT_INTERVAL_DAYS`; customers without a tier use the ``unranked`` entry);
5. ``never_contacted``: no contact on record → ``as_of`` + 1 day.

Reasons 3-5 are routine and do not apply to blacklisted or lost customers (only complaints and
overdue invoices bring them up). A date before ``as_of`` + 1 day is moved to ``as_of`` + 1 day and
``contact_overdue_days`` says by how much it was late. The contact is a ``visit`` for the tiers
in :data:`VISIT_TIERS` and for key accounts, otherwise a ``call``.
"""

from __future__ import annotations

import difflib
import warnings
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib import summary
from crm_lib._errors import DataError, DataWarning, fail_rows, require_columns
from crm_lib._frames import to_day
from crm_lib.products import window_start

__all__ = [
    "BALANCE_TOLERANCE",
    "CONTACT_INTERVAL_DAYS",
    "HISTORY_MONTHS",
    "NEXT_CONTACT_REASONS",
    "REORDER_LEAD_DAYS",
    "STALE_DAYS",
    "VISITS_PER_WEEK",
    "VISIT_TIERS",
    "WINDOW_MONTHS",
    "card_fields",
    "card_table",
    "customer_card",
    "latest_date",
    "supervisor_review",
]

#: Days between routine contacts, per pyramid tier; ``unranked`` for customers without a tier.
CONTACT_INTERVAL_DAYS = MappingProxyType(
    {"VIP": 14, "major": 30, "ordinary": 60, "small": 90, "unranked": 90}
)
#: Tiers whose routine contact is a visit (key accounts are visited too); the others get a call.
VISIT_TIERS: tuple[str, ...] = ("VIP", "major")
#: Contact a customer this many days before their usual reorder date.
REORDER_LEAD_DAYS = 7
#: A card is stale when neither a contact nor a card update happened for longer than this (days).
STALE_DAYS = 90
#: The recent window (months ending ``as_of``) for sales, collections and contact counts.
WINDOW_MONTHS = 12
#: Months of sales and profit history on the card.
HISTORY_MONTHS = 24
#: Sales and collections balance when what was paid in the window covers at least
#: ``1 - BALANCE_TOLERANCE`` of what fell due in it.
BALANCE_TOLERANCE = 0.10
#: At most this many contacts per sales rep in the week's visit plan (most urgent first).
VISITS_PER_WEEK = 20
#: The reasons for the next contact, most urgent first (ties between equal dates go this way).
NEXT_CONTACT_REASONS: tuple[str, ...] = (
    "open_complaint",
    "overdue_invoice",
    "expected_reorder",
    "tier_interval",
    "never_contacted",
)

_DAY = pd.Timedelta(days=1)
_INDIVIDUAL_FIELDS = ("age", "gender", "income_band")
_COMPANY_FIELDS = ("size", "decision_maker", "parent_company")
_IDENTITY_FIELDS = ("customer_id", "name", "kind", "region", "industry", "channel", "sales_rep",
                    "acquired_on", "phone", "email", "card_updated_on", "blacklisted")
_NO_REP = "unassigned"


# ------------------------------------------------------------------------------------ helpers
def _table(dataset: object, name: str) -> pd.DataFrame | None:
    df = getattr(dataset, name, None)
    if df is not None and not isinstance(df, pd.DataFrame):
        raise DataError(f"`{name}` of the dataset must be a pandas DataFrame, got "
                        f"{type(df).__name__}.")
    return df


def _dates(s: pd.Series) -> pd.Series:
    """Datetime64[ns] without time zone (loaded tables already are; hand-made ones may not be)."""
    out = pd.to_datetime(s, errors="coerce")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def _ids(s: pd.Series) -> pd.Series:
    return s.astype("str").where(s.notna())


def _customers(dataset: object) -> pd.DataFrame:
    cust = _table(dataset, "customers")
    if cust is None:
        raise DataError("The customer card needs the `customers` table, which is missing.")
    require_columns(cust, ["customer_id"], table="customers")
    out = cust.copy()
    out["customer_id"] = _ids(out["customer_id"])
    for col in ("acquired_on", "card_updated_on"):
        if col in out.columns:
            out[col] = _dates(out[col])
    return out


def latest_date(dataset: object) -> pd.Timestamp:
    """The dataset's latest date: the card's default ``as_of``.

    The latest of ``transactions.date``, ``interactions.date``, ``invoices.issued_on`` and
    ``paid_on``, ``complaints.opened_at`` and ``surveys.date`` (the day, at midnight).

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (or any object with those tables as attributes).

    Returns
    -------
    Timestamp
        Midnight of the latest day found.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(transactions=pd.DataFrame({"date": pd.to_datetime(["2026-10-30"])}),
    ...                      interactions=pd.DataFrame({"date": pd.to_datetime(["2026-10-31"])}))
    >>> latest_date(ds)
    Timestamp('2026-10-31 00:00:00')
    """
    spots = {"transactions": ("date",), "interactions": ("date",),
             "invoices": ("issued_on", "paid_on"), "complaints": ("opened_at",),
             "surveys": ("date",)}
    found = []
    for table, cols in spots.items():
        df = _table(dataset, table)
        for col in cols:
            if df is not None and col in df.columns and len(df):
                found.append(_dates(df[col]).max())
    found = [d for d in found if pd.notna(d)]
    if not found:
        raise DataError("The dataset holds no dated rows; give `as_of` explicitly.")
    return max(found).normalize()


def _grades(dataset: object, as_of: pd.Timestamp, ids: pd.Index,
            grades: pd.DataFrame | None, notes: list[str]) -> pd.DataFrame:
    """tier, abc_class, is_key_account, key_account_type, key_account_criteria per customer."""
    out = pd.DataFrame(index=ids)
    out["tier"] = pd.Series(pd.NA, index=ids, dtype="str")
    out["abc_class"] = pd.Series(pd.NA, index=ids, dtype="str")
    out["is_key_account"] = pd.Series(pd.NA, index=ids, dtype="boolean")
    out["key_account_type"] = pd.Series(pd.NA, index=ids, dtype="str")
    out["key_account_criteria"] = pd.Series(pd.NA, index=ids, dtype="str")
    if grades is not None:
        g = grades
        if "customer_id" in g.columns:
            g = g.set_index("customer_id")
        g = g.copy()
        g.index = g.index.astype("str")
        known = [c for c in out.columns if c in g.columns]
        if not known:
            raise DataError(f"`grades` must have at least one of {list(out.columns)}; it has "
                            f"{list(map(str, g.columns))}.")
        for col in known:
            out[col] = g[col].reindex(ids).astype(out[col].dtype)
        return out
    try:
        from crm_lib import tiering
    except ImportError as err:  # the grading module is optional for the card
        notes.append(f"Tier, ABC class and key accounts not available ({err}).")
        return out
    tx = dataset.transactions
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        ind = tiering.pyramid_indicators(tx, _table(dataset, "customers"), as_of=as_of)
        if len(ind):
            tiers = tiering.pyramid_tiers(ind)
            out["tier"] = tiers["tier"].reindex(ids).astype("str")
            abc = tiering.abc_classes(ind["sales"])
            out["abc_class"] = abc.reindex(ids).astype("str")
            ka = tiering.key_accounts(ind, customers=_table(dataset, "customers"),
                                      interactions=_table(dataset, "interactions"), as_of=as_of)
            out["is_key_account"] = ka["is_key_account"].reindex(ids).astype("boolean")
            out["key_account_type"] = ka["key_account_type"].reindex(ids).astype("str")
            out["key_account_criteria"] = ka["criteria"].reindex(ids).astype("str")
    notes.extend(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    return out


# --------------------------------------------------------------------------------- card_table
def card_table(dataset: object, *, as_of: object, window_months: int = WINDOW_MONTHS,
               stale_days: int = STALE_DAYS,
               contact_intervals: MappingProxyType = CONTACT_INTERVAL_DAYS,
               visit_tiers: tuple[str, ...] = VISIT_TIERS,
               reorder_lead_days: int = REORDER_LEAD_DAYS,
               balance_tolerance: float = BALANCE_TOLERANCE,
               grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """The card's key figures for every customer, one row each (vectorised).

    Parameters
    ----------
    dataset : Dataset
        ``customers`` and ``transactions`` are required; ``interactions``, ``invoices``,
        ``complaints``, ``surveys``, ``lost_customers`` are used when present (their columns are
        then empty).
    as_of : date
        The day the card is read on; later events are ignored.
    window_months : int, default WINDOW_MONTHS (12)
        The recent window for sales, collections and contact counts.
    stale_days : int, default STALE_DAYS (90)
        A card is stale when neither a contact nor a card update happened for longer than this.
    contact_intervals : mapping, default CONTACT_INTERVAL_DAYS
        Days between routine contacts per tier (must have ``unranked``).
    visit_tiers : tuple of str, default VISIT_TIERS
        Tiers contacted by a visit rather than a call.
    reorder_lead_days : int, default REORDER_LEAD_DAYS (7)
        Days before the expected reorder date to get in touch.
    balance_tolerance : float, default BALANCE_TOLERANCE (0.1)
        Collections may fall this share short of what fell due and still balance.
    grades : DataFrame, optional
        ``tier``, ``abc_class``, ``is_key_account``, ``key_account_type``,
        ``key_account_criteria`` per customer id (index or column). Default: computed with
        :mod:`crm_lib.tiering` (pyramid tiers, ABC classes on the window's sales, key accounts).

    Returns
    -------
    DataFrame
        One row per customer of ``customers``, in its order:
        ``customer_id``, ``name``, ``kind``, ``sales_rep`` (``"unassigned"`` when empty),
        ``region``, ``blacklisted``, ``lost`` (in ``lost_customers`` on or before ``as_of``),
        ``tier``, ``abc_class``, ``is_key_account``, ``key_account_type``,
        ``key_account_criteria``;
        sales: ``sales_window``, ``gross_profit_window``, ``gross_margin_window``,
        ``orders_window``, ``sales_to_date``, ``first_purchase``, ``last_purchase``,
        ``purchase_days``, ``purchase_interval_days`` (usual days between purchase days),
        ``days_since_last_purchase``;
        contact: ``last_contact``, ``days_since_last_contact``, ``contacts_window``,
        ``card_updated_on``, ``days_since_touch`` (since the later of last contact and card
        update), ``stale``;
        credit: ``credit_limit``, ``credit_rating``, ``open_amount``, ``overdue_amount``,
        ``overdue_invoices``, ``oldest_overdue_days``, ``credit_available``, ``over_limit``,
        ``invoiced_window``, ``due_window``, ``collected_window``, ``collection_ratio``,
        ``balanced``;
        service: ``open_complaints``, ``complaints_window``, ``last_nps``, ``last_csat``,
        ``last_survey``;
        next contact: ``next_contact``, ``next_contact_reason``, ``contact_overdue_days``,
        ``contact_type``, ``priority`` (1 = most urgent across the table).
        ``.attrs``: ``as_of``, ``window_start``, ``notes`` (list of str: missing tables, data
        warnings).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(
    ...     customers=pd.DataFrame({"customer_id": ["c1", "c2"], "sales_rep": ["r1", "r1"]}),
    ...     transactions=pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
    ...         "date": pd.to_datetime(["2026-09-01", "2026-10-01"]), "product_id": ["p", "p"],
    ...         "quantity": [1.0, 1.0], "amount": [100.0, 50.0], "cost": [60.0, 20.0]}))
    >>> t = card_table(ds, as_of="2026-10-31", grades=pd.DataFrame({"tier": ["VIP"]}, index=["c1"]))
    >>> t[["customer_id", "sales_window", "purchase_interval_days", "next_contact_reason"]]
      customer_id  sales_window  purchase_interval_days next_contact_reason
    0          c1         150.0                    30.0    expected_reorder
    1          c2           0.0                     NaN     never_contacted
    """
    as_of = to_day(as_of)
    if "unranked" not in contact_intervals:
        raise DataError("`contact_intervals` must have an 'unranked' entry (customers without a "
                        f"tier); it has {list(contact_intervals)}.")
    if not 0 <= balance_tolerance < 1:
        raise DataError(f"`balance_tolerance` must be within [0, 1), got {balance_tolerance!r}.")
    notes: list[str] = []
    cust = _customers(dataset)
    fail_rows("customers", "customer_id", cust["customer_id"],
              cust["customer_id"].duplicated(keep=False), "unique")
    ids = pd.Index(cust["customer_id"], name="customer_id")
    start = window_start(as_of, months=window_months)
    end = as_of + _DAY  # exclusive end for datetimes (events during as_of count)

    out = pd.DataFrame(index=ids)
    for col in ("name", "kind", "region"):
        out[col] = cust[col].to_numpy() if col in cust else pd.Series(pd.NA, index=ids, dtype="str")
    rep = cust["sales_rep"] if "sales_rep" in cust else pd.Series(pd.NA, index=cust.index)
    out["sales_rep"] = _ids(rep).fillna(_NO_REP).to_numpy()
    out["blacklisted"] = (cust["blacklisted"].fillna(False).astype(bool).to_numpy()
                          if "blacklisted" in cust else False)
    lost = _table(dataset, "lost_customers")
    if lost is not None and {"customer_id", "lost_on"} <= set(lost.columns):
        gone = _ids(lost["customer_id"])[_dates(lost["lost_on"]) <= as_of]
        out["lost"] = ids.isin(gone)
    else:
        out["lost"] = False
    out = out.join(_grades(dataset, as_of, ids, grades, notes))

    # sales (the transaction log is aggregated by crm_lib.summary only)
    tx = dataset.transactions
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        to_date = summary.totals(tx, by=("customer_id",), as_of=as_of)
        recent = summary.totals(tx, by=("customer_id",), start=start, as_of=as_of)
    notes.extend(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    to_date.index = to_date.index.astype("str")
    recent.index = recent.index.astype("str")
    out["sales_window"] = recent["sales"].reindex(ids).fillna(0.0)
    out["gross_profit_window"] = recent["gross_profit"].reindex(ids).fillna(0.0)
    sales = out["sales_window"]
    out["gross_margin_window"] = (out["gross_profit_window"] / sales.where(sales > 0))
    out["orders_window"] = recent["orders"].reindex(ids).fillna(0).astype("int64")
    out["sales_to_date"] = to_date["sales"].reindex(ids).fillna(0.0)
    out["first_purchase"] = to_date["first_purchase"].reindex(ids).astype("datetime64[ns]")
    out["last_purchase"] = to_date["last_purchase"].reindex(ids).astype("datetime64[ns]")
    out["purchase_days"] = to_date["purchase_days"].reindex(ids).fillna(0).astype("int64")
    span = (out["last_purchase"] - out["first_purchase"]).dt.days
    out["purchase_interval_days"] = span / (out["purchase_days"] - 1).where(
        out["purchase_days"] >= 2)
    out["days_since_last_purchase"] = (as_of - out["last_purchase"]).dt.days.astype("float64")

    # contacts
    ia = _table(dataset, "interactions")
    if ia is not None:
        require_columns(ia, ["customer_id", "date"], table="interactions")
        d = _dates(ia["date"])
        keep = d <= as_of
        ia_ids = _ids(ia["customer_id"])[keep]
        d = d[keep]
        out["last_contact"] = d.groupby(ia_ids).max().reindex(ids).astype("datetime64[ns]")
        out["contacts_window"] = (d[d >= start].groupby(ia_ids[d >= start]).size()
                                  .reindex(ids).fillna(0).astype("int64"))
    else:
        notes.append("No `interactions` table: contact history, days since last contact and "
                     "stale cards cannot be measured.")
        out["last_contact"] = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
        out["contacts_window"] = 0
    out["days_since_last_contact"] = (as_of - out["last_contact"]).dt.days.astype("float64")
    updated = (cust["card_updated_on"] if "card_updated_on" in cust
               else pd.Series(pd.NaT, index=cust.index, dtype="datetime64[ns]"))
    updated = pd.Series(updated.to_numpy(), index=ids)
    out["card_updated_on"] = updated.where(updated <= as_of).astype("datetime64[ns]")
    touch = out[["last_contact", "card_updated_on"]].max(axis=1)
    out["days_since_touch"] = (as_of - touch).dt.days.astype("float64")
    out["stale"] = out["days_since_touch"].isna() | (out["days_since_touch"] > stale_days)

    # credit and receivables
    for col in ("credit_limit", "credit_rating"):
        out[col] = cust[col].to_numpy() if col in cust else np.nan
    out["credit_limit"] = pd.to_numeric(out["credit_limit"], errors="coerce").astype("float64")
    out = out.join(_receivables(_table(dataset, "invoices"), ids, start, as_of,
                                balance_tolerance, notes))
    out["credit_available"] = out["credit_limit"] - out["open_amount"]
    out["over_limit"] = (out["credit_available"] < 0).astype("boolean").where(
        out["credit_limit"].notna() & out["open_amount"].notna())

    # complaints and surveys
    out = out.join(_complaint_counts(_table(dataset, "complaints"), ids, start, end, notes))
    out = out.join(_last_survey(_table(dataset, "surveys"), ids, as_of, notes))

    out = _next_contact(out, as_of, contact_intervals=contact_intervals,
                        visit_tiers=tuple(visit_tiers), reorder_lead_days=reorder_lead_days)
    out = out.reset_index()
    out.attrs.update(as_of=as_of, window_start=start, notes=notes)
    return out


def _receivables(inv: pd.DataFrame | None, ids: pd.Index, start: pd.Timestamp,
                 as_of: pd.Timestamp, tolerance: float, notes: list[str]) -> pd.DataFrame:
    cols = ["open_amount", "overdue_amount", "overdue_invoices", "oldest_overdue_days",
            "invoiced_window", "due_window", "collected_window", "collection_ratio", "balanced"]
    if inv is None:
        notes.append("No `invoices` table: receivables and the balance of sales and collections "
                     "are not shown.")
        out = pd.DataFrame(np.nan, index=ids, columns=cols)
        out["overdue_invoices"] = 0
        out["balanced"] = pd.array([pd.NA] * len(ids), dtype="boolean")
        return out
    require_columns(inv, ["customer_id", "issued_on", "due_on", "amount", "paid_on"],
                    table="invoices")
    f = pd.DataFrame({
        "customer_id": _ids(inv["customer_id"]).to_numpy(),
        "issued": _dates(inv["issued_on"]).to_numpy(), "due": _dates(inv["due_on"]).to_numpy(),
        "paid": _dates(inv["paid_on"]).to_numpy(),
        "amount": pd.to_numeric(inv["amount"], errors="coerce").to_numpy(dtype="float64"),
    })
    f = f[f["issued"] <= as_of]
    is_open = f["paid"].isna() | (f["paid"] > as_of)
    overdue = is_open & (f["due"] < as_of)
    g = f["customer_id"]
    zero = pd.Series(0.0, index=ids)

    def total(mask: pd.Series) -> pd.Series:
        return f["amount"].where(mask, 0.0).groupby(g).sum().reindex(ids).fillna(0.0) + zero

    out = pd.DataFrame(index=ids)
    out["open_amount"] = total(is_open)
    out["overdue_amount"] = total(overdue)
    out["overdue_invoices"] = overdue.groupby(g).sum().reindex(ids).fillna(0).astype("int64")
    late = (as_of - f["due"]).dt.days.where(overdue)
    out["oldest_overdue_days"] = late.groupby(g).max().reindex(ids).astype("float64")
    out["invoiced_window"] = total(f["issued"] >= start)
    out["due_window"] = total((f["due"] >= start) & (f["due"] <= as_of))
    out["collected_window"] = total((f["paid"] >= start) & (f["paid"] <= as_of))
    due = out["due_window"]
    out["collection_ratio"] = out["collected_window"] / due.where(due > 0)
    out["balanced"] = (out["collected_window"] >= (1 - tolerance) * due - 1e-9).astype("boolean")
    return out


def _complaint_counts(comp: pd.DataFrame | None, ids: pd.Index, start: pd.Timestamp,
                      end: pd.Timestamp, notes: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)
    if comp is None:
        notes.append("No `complaints` table: complaints are not shown.")
        out["open_complaints"] = 0
        out["complaints_window"] = 0
        return out
    require_columns(comp, ["customer_id", "opened_at"], table="complaints")
    opened = _dates(comp["opened_at"])
    resolved = (_dates(comp["resolved_at"]) if "resolved_at" in comp
                else pd.Series(pd.NaT, index=comp.index, dtype="datetime64[ns]"))
    seen = opened < end
    g = _ids(comp["customer_id"])
    is_open = seen & (resolved.isna() | (resolved >= end))
    out["open_complaints"] = is_open.groupby(g).sum().reindex(ids).fillna(0).astype("int64")
    recent = seen & (opened >= start)
    out["complaints_window"] = recent.groupby(g).sum().reindex(ids).fillna(0).astype("int64")
    return out


def _last_survey(surv: pd.DataFrame | None, ids: pd.Index, as_of: pd.Timestamp,
                 notes: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)
    if surv is None:
        notes.append("No `surveys` table: survey scores are not shown.")
        for col in ("last_nps", "last_csat"):
            out[col] = np.nan
        out["last_survey"] = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
        return out
    require_columns(surv, ["customer_id", "date"], table="surveys")
    f = pd.DataFrame({"customer_id": _ids(surv["customer_id"]).to_numpy(),
                      "date": _dates(surv["date"]).to_numpy()})
    for col in ("nps", "csat"):
        f[col] = (pd.to_numeric(surv[col], errors="coerce").to_numpy(dtype="float64")
                  if col in surv else np.nan)
    f = f[f["date"] <= as_of].sort_values(["customer_id", "date"], kind="mergesort")
    last = f.groupby("customer_id").tail(1).set_index("customer_id")
    out["last_nps"] = last["nps"].reindex(ids).astype("float64")
    out["last_csat"] = last["csat"].reindex(ids).astype("float64")
    out["last_survey"] = last["date"].reindex(ids).astype("datetime64[ns]")
    return out


def _next_contact(t: pd.DataFrame, as_of: pd.Timestamp, *, contact_intervals, visit_tiers,
                  reorder_lead_days: int) -> pd.DataFrame:
    """Add next_contact, next_contact_reason, contact_overdue_days, contact_type, priority."""
    soon = as_of + _DAY
    routine = ~(t["blacklisted"].astype(bool) | t["lost"].astype(bool))
    tier = t["tier"].astype("object")
    default = contact_intervals["unranked"]
    interval = tier.map(dict(contact_intervals)).fillna(default).astype("float64")
    nat = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    soon_s = pd.Series(soon, index=t.index, dtype="datetime64[ns]")
    reorder = (t["last_purchase"]
               + pd.to_timedelta(t["purchase_interval_days"] - reorder_lead_days, unit="D"))
    candidates = pd.DataFrame({
        "open_complaint": soon_s.where(t["open_complaints"] > 0, nat),
        "overdue_invoice": soon_s.where(t["overdue_invoices"] > 0, nat),
        "expected_reorder": reorder.where(routine, nat).dt.floor("D"),
        "tier_interval": (t["last_contact"] + pd.to_timedelta(interval, unit="D")).where(routine,
                                                                                         nat),
        "never_contacted": soon_s.where(routine & t["last_contact"].isna(), nat),
    })[list(NEXT_CONTACT_REASONS)]
    values = candidates.to_numpy(dtype="datetime64[ns]")
    big = np.datetime64("2262-01-01", "ns")
    filled = np.where(np.isnat(values), big, values)
    first = filled.argmin(axis=1)
    chosen = values[np.arange(len(values)), first]
    has = ~np.isnat(chosen)
    chosen_s = pd.Series(chosen, index=t.index, dtype="datetime64[ns]")
    late = (soon - chosen_s).dt.days.clip(lower=0).astype("float64")
    t = t.copy()
    t["next_contact"] = chosen_s.where(chosen_s >= soon, soon).where(has)
    reasons = np.asarray(NEXT_CONTACT_REASONS, dtype=object)[first]
    t["next_contact_reason"] = pd.Series(np.where(has, reasons, None), index=t.index,
                                         dtype="str")
    t["contact_overdue_days"] = late.where(has)
    key = t["is_key_account"].fillna(False).astype(bool)
    visit = tier.isin(list(visit_tiers)) | key
    t["contact_type"] = pd.Series(np.where(visit, "visit", "call"), index=t.index,
                                  dtype="str").where(has)
    # priority: reason, then tier (best first), then the earlier date, then the id
    tier_rank = tier.map({name: i for i, name in enumerate(contact_intervals)}).fillna(
        len(contact_intervals)).astype("int64")
    order = pd.DataFrame({
        "has": ~has, "reason": np.where(has, first, len(NEXT_CONTACT_REASONS)),
        "tier": tier_rank.to_numpy(), "date": t["next_contact"].to_numpy(),
        "id": t.index.to_numpy(),
    }, index=t.index).sort_values(["has", "reason", "tier", "date", "id"], kind="mergesort")
    t["priority"] = pd.Series(np.arange(1, len(t) + 1), index=order.index).reindex(t.index)
    return t


# ------------------------------------------------------------------------------ customer_card
def _unknown_customer(customer_id: object, ids: pd.Series) -> DataError:
    close = difflib.get_close_matches(str(customer_id), ids.dropna().tolist(), n=3, cutoff=0.6)
    hint = (f"Did you mean {', '.join(map(repr, close))}?" if close
            else f"Ids look like {', '.join(map(repr, ids.dropna().head(3)))}.")
    return DataError(f"Customer {customer_id!r} not found in `customers` "
                     f"({ids.notna().sum():,} customers). {hint}")


def customer_card(dataset: object, customer_id: str = "", *, as_of: object = None,
                  mask_pii: bool = False, window_months: int = WINDOW_MONTHS,
                  history_months: int = HISTORY_MONTHS,
                  contact_intervals: MappingProxyType = CONTACT_INTERVAL_DAYS,
                  grades: pd.DataFrame | None = None) -> dict:
    """One customer on one page, as data: the customer information card.

    Parameters
    ----------
    dataset : Dataset
        ``customers`` and ``transactions`` are required; ``products``, ``interactions``,
        ``invoices``, ``complaints``, ``surveys``, ``lost_customers`` fill their sections when
        present (an absent table leaves an empty section and a line in ``notes``).
    customer_id : str, default ""
        The customer. ``""`` means the top customer by sales in the window ending ``as_of``.
    as_of : date, optional
        The day the card is read on; events after it are left out. Default: the dataset's
        latest date (:func:`latest_date`). Notebooks pass ``ds.month_end(month)``.
    mask_pii : bool, default False
        Hide the customer's name, phone, email, decision maker and parent company
        (``张**``, ``138****5678``, ``z***@example.com``) and phones and emails inside contact
        notes, with the masking of :mod:`crm_lib.data`.
    window_months, history_months : int
        The recent window (KPIs, balance) and the months of history shown.
    contact_intervals : mapping, default CONTACT_INTERVAL_DAYS
        Days between routine contacts per tier (the next-contact rule, see the module help).
    grades : DataFrame, optional
        Tier / ABC class / key-account columns per customer, to use instead of computing them
        with :mod:`crm_lib.tiering` (see :func:`card_table`).

    Returns
    -------
    dict
        ``as_of`` (Timestamp), ``window_start`` (Timestamp), and the sections:

        - ``identity`` (dict): customer_id, name, kind, region, industry, channel, sales_rep,
          acquired_on, phone, email, card_updated_on, blacklisted, lost; plus age, gender,
          income_band for an individual or size, decision_maker, parent_company for a company
          (a customer of unknown kind gets both sets);
        - ``grading`` (dict): tier, abc_class, is_key_account, key_account_type,
          key_account_criteria;
        - ``kpis`` (dict): sales_window, gross_profit_window, gross_margin_window,
          orders_window, sales_to_date, first_purchase, last_purchase, purchase_days,
          purchase_interval_days, days_since_last_purchase, last_contact,
          days_since_last_contact, contacts_window, days_since_touch, stale, open_complaints,
          last_nps, last_csat;
        - ``history`` (DataFrame): period (month start), sales, cost, gross_profit, orders,
          one row per month of the last ``history_months`` (zeros when nothing was bought);
        - ``products`` (DataFrame): product_id, name, category, sales, quantity, gross_profit,
          gross_margin, orders, last_purchase, share_of_sales (all purchases to ``as_of``,
          largest first);
        - ``credit`` (dict): credit_limit, credit_rating, blacklisted, open_amount,
          overdue_amount, overdue_invoices, oldest_overdue_days, credit_available, over_limit,
          invoiced_window, due_window, collected_window, collection_ratio, balanced;
        - ``invoices`` (DataFrame): the open invoices: invoice_id, issued_on, due_on, amount,
          days_overdue (0 when not yet due), overdue;
        - ``complaints`` (DataFrame): complaint_id, opened_at, category, severity, state
          (``open``/``resolved``), days_open, handoffs, steps_done, reopened, satisfied_after;
        - ``surveys`` (DataFrame): date, nps, csat, newest first;
        - ``contacts`` (DataFrame): date, type, sales_rep, note, newest first;
        - ``next_contact`` (dict): date, reason, overdue_days, contact_type;
        - ``notes`` (list of str): what could not be shown and why.

    Raises
    ------
    DataError
        When ``customer_id`` is not in ``customers`` (the message suggests close ids).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(
    ...     customers=pd.DataFrame({"customer_id": ["c1"], "name": ["张三丰"], "kind": ["individual"],
    ...                             "phone": ["13812345678"], "age": [41.0]}),
    ...     transactions=pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
    ...         "date": pd.to_datetime(["2026-10-01"]), "product_id": ["p"],
    ...         "quantity": [1.0], "amount": [100.0], "cost": [60.0]}))
    >>> card = customer_card(ds, "c1", mask_pii=True, grades=pd.DataFrame({"tier": ["VIP"]}, index=["c1"]))
    >>> card["identity"]["name"], card["identity"]["phone"], card["identity"]["age"]
    ('张**', '138****5678', 41.0)
    >>> card["kpis"]["sales_window"], card["next_contact"]["reason"]
    (100.0, 'never_contacted')
    """
    as_of = latest_date(dataset) if as_of is None else to_day(as_of)
    cust = _customers(dataset)
    table = card_table(dataset, as_of=as_of, window_months=window_months,
                       contact_intervals=contact_intervals, grades=grades)
    if customer_id in ("", None):
        ranked = table.sort_values(["sales_window", "customer_id"], ascending=[False, True],
                                   kind="mergesort")
        customer_id = ranked["customer_id"].iloc[0] if len(ranked) else ""
    customer_id = str(customer_id)
    hit = table.index[table["customer_id"] == customer_id]
    if not len(hit):
        raise _unknown_customer(customer_id, cust["customer_id"])
    row = table.loc[hit[0]]
    crow = cust[cust["customer_id"] == customer_id].iloc[0]
    notes = list(table.attrs.get("notes", []))

    def scalar(value: object, col: str = "") -> object:
        """A plain Python value; a missing one is NaN (numbers), NaT (dates) or None (others)."""
        dtype = table[col].dtype if col in table.columns else None
        if pd.isna(value):
            if dtype is not None and (pd.api.types.is_float_dtype(dtype)
                                      or pd.api.types.is_datetime64_dtype(dtype)):
                return value if value is not pd.NA else np.nan
            return None
        return value.item() if isinstance(value, np.generic) else value

    identity = {f: scalar(crow[f]) if f in crow.index else None for f in _IDENTITY_FIELDS}
    identity["customer_id"] = customer_id
    identity["blacklisted"] = bool(row["blacklisted"])
    identity["lost"] = bool(row["lost"])
    kind = identity.get("kind")
    extra = (_INDIVIDUAL_FIELDS if kind == "individual" else _COMPANY_FIELDS if kind == "company"
             else _INDIVIDUAL_FIELDS + _COMPANY_FIELDS)
    for f in extra:
        identity[f] = scalar(crow[f]) if f in crow.index else None
    if mask_pii:
        identity = _mask_identity(identity)

    def pick(cols: list[str]) -> dict:
        return {c: scalar(row[c], c) for c in cols}

    card = {
        "as_of": as_of,
        "window_start": table.attrs["window_start"],
        "identity": identity,
        "grading": pick(["tier", "abc_class", "is_key_account", "key_account_type",
                         "key_account_criteria"]),
        "kpis": pick(["sales_window", "gross_profit_window", "gross_margin_window",
                      "orders_window", "sales_to_date", "first_purchase", "last_purchase",
                      "purchase_days", "purchase_interval_days", "days_since_last_purchase",
                      "last_contact", "days_since_last_contact", "contacts_window",
                      "days_since_touch", "stale", "open_complaints", "last_nps", "last_csat"]),
        "credit": pick(["credit_limit", "credit_rating", "blacklisted", "open_amount",
                        "overdue_amount", "overdue_invoices", "oldest_overdue_days",
                        "credit_available", "over_limit", "invoiced_window", "due_window",
                        "collected_window", "collection_ratio", "balanced"]),
        "next_contact": {"date": scalar(row["next_contact"], "next_contact"),
                         "reason": scalar(row["next_contact_reason"], "next_contact_reason"),
                         "overdue_days": scalar(row["contact_overdue_days"],
                                                "contact_overdue_days"),
                         "contact_type": scalar(row["contact_type"], "contact_type")},
    }
    tx = dataset.transactions
    mine = tx[_ids(tx["customer_id"]) == customer_id] if "customer_id" in tx else tx.iloc[:0]
    card["history"] = _history(mine, as_of, history_months)
    card["products"] = _products_bought(mine, _table(dataset, "products"), as_of, notes)
    card["invoices"] = _open_invoices(_table(dataset, "invoices"), customer_id, as_of)
    card["complaints"] = _complaints(_table(dataset, "complaints"), customer_id, as_of)
    card["surveys"] = _surveys(_table(dataset, "surveys"), customer_id, as_of)
    card["contacts"] = _contacts(_table(dataset, "interactions"), customer_id, as_of, mask_pii)
    card["notes"] = notes
    return card


def _mask_identity(identity: dict) -> dict:
    from crm_lib.data import mask_email, mask_name, mask_phone

    out = dict(identity)
    masks = {"name": mask_name, "decision_maker": mask_name, "parent_company": mask_name,
             "phone": mask_phone, "email": mask_email}
    for field, fn in masks.items():
        value = out.get(field)
        if value is not None and "*" not in str(value):  # already masked (a masked dataset)
            out[field] = fn(pd.Series([value], dtype="str")).iloc[0]
    return out


def _history(mine: pd.DataFrame, as_of: pd.Timestamp, months: int) -> pd.DataFrame:
    first = (as_of.to_period("M") - (months - 1)).to_timestamp()
    periods = pd.date_range(first, periods=months, freq="MS")
    base = pd.DataFrame({"period": periods.astype("datetime64[ns]")})
    cols = ["sales", "cost", "gross_profit", "orders"]
    if len(mine):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # already noted by card_table
            per = summary.period_totals(mine, freq="M", by=("customer_id",), start=first,
                                        as_of=as_of)
        per = per[["period", *cols]].astype({"period": "datetime64[ns]"})
        base = base.merge(per, on="period", how="left")
    else:
        for c in cols:
            base[c] = np.nan
    base[cols] = base[cols].fillna(0.0)
    base["orders"] = base["orders"].astype("int64")
    return base


def _products_bought(mine: pd.DataFrame, products: pd.DataFrame | None, as_of: pd.Timestamp,
                     notes: list[str]) -> pd.DataFrame:
    cols = ["product_id", "name", "category", "sales", "quantity", "gross_profit",
            "gross_margin", "orders", "last_purchase", "share_of_sales"]
    if not len(mine) or "product_id" not in mine.columns:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
            {"product_id": "str", "name": "str", "category": "str",
             "last_purchase": "datetime64[ns]"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        t = summary.totals(mine, by=("product_id",), as_of=as_of).reset_index()
    t["product_id"] = t["product_id"].astype("str")
    if products is not None and "product_id" in products.columns:
        info = products.assign(product_id=_ids(products["product_id"]))
        info = info[[c for c in ("product_id", "name", "category") if c in info.columns]]
        t = t.merge(info.drop_duplicates("product_id"), on="product_id", how="left")
    else:
        notes.append("No `products` table: products are shown without names and categories.")
    for c in ("name", "category"):
        if c not in t.columns:
            t[c] = pd.Series(pd.NA, index=t.index, dtype="str")
    t["gross_margin"] = t["gross_profit"] / t["sales"].where(t["sales"] > 0)
    total = t["sales"].sum()
    t["share_of_sales"] = t["sales"] / total if total > 0 else np.nan
    t = t.sort_values(["sales", "product_id"], ascending=[False, True], kind="mergesort")
    return t[cols].reset_index(drop=True)


def _open_invoices(inv: pd.DataFrame | None, customer_id: str,
                   as_of: pd.Timestamp) -> pd.DataFrame:
    cols = ["invoice_id", "issued_on", "due_on", "amount", "days_overdue", "overdue"]
    if inv is None:
        return pd.DataFrame(columns=cols)
    f = inv[_ids(inv["customer_id"]) == customer_id]
    issued, due, paid = _dates(f["issued_on"]), _dates(f["due_on"]), _dates(f["paid_on"])
    f = f.assign(issued_on=issued, due_on=due, paid_on=paid)
    f = f[(issued <= as_of) & (paid.isna() | (paid > as_of))]
    late = (as_of - f["due_on"]).dt.days
    out = f.assign(days_overdue=late.clip(lower=0).astype("float64"), overdue=late > 0)
    out = out.sort_values(["due_on", "invoice_id"], kind="mergesort")
    return out[cols].reset_index(drop=True)


def _complaints(comp: pd.DataFrame | None, customer_id: str, as_of: pd.Timestamp) -> pd.DataFrame:
    cols = ["complaint_id", "opened_at", "category", "severity", "state", "days_open",
            "handoffs", "steps_done", "reopened", "satisfied_after"]
    if comp is None:
        return pd.DataFrame(columns=cols)
    end = as_of + _DAY
    f = comp[_ids(comp["customer_id"]) == customer_id].copy()
    f["opened_at"] = _dates(f["opened_at"])
    resolved = (_dates(f["resolved_at"]) if "resolved_at" in f
                else pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]"))
    f = f[f["opened_at"] < end]
    resolved = resolved[f.index]
    is_open = resolved.isna() | (resolved >= end)
    f["state"] = pd.Series(np.where(is_open, "open", "resolved"), index=f.index, dtype="str")
    stop = resolved.where(~is_open, end)
    f["days_open"] = ((stop - f["opened_at"]) / _DAY).astype("float64").round(1)
    for c in cols:
        if c not in f.columns:
            f[c] = pd.NA
    f = f.sort_values(["opened_at", "complaint_id"], ascending=[False, True], kind="mergesort")
    return f[cols].reset_index(drop=True)


def _surveys(surv: pd.DataFrame | None, customer_id: str, as_of: pd.Timestamp) -> pd.DataFrame:
    cols = ["date", "nps", "csat"]
    if surv is None:
        return pd.DataFrame(columns=cols)
    f = surv[_ids(surv["customer_id"]) == customer_id].assign(
        date=lambda d: _dates(d["date"]))
    f = f[f["date"] <= as_of]
    for c in cols:
        if c not in f.columns:
            f[c] = np.nan
    return f.sort_values("date", ascending=False, kind="mergesort")[cols].reset_index(drop=True)


def _contacts(ia: pd.DataFrame | None, customer_id: str, as_of: pd.Timestamp,
              mask_pii: bool) -> pd.DataFrame:
    cols = ["date", "type", "sales_rep", "note"]
    if ia is None:
        return pd.DataFrame(columns=cols)
    f = ia[_ids(ia["customer_id"]) == customer_id].assign(date=lambda d: _dates(d["date"]))
    f = f[f["date"] <= as_of]
    for c in cols:
        if c not in f.columns:
            f[c] = pd.Series(pd.NA, index=f.index, dtype="str")
    if mask_pii:
        from crm_lib.data import mask_text

        f = f.assign(note=mask_text(f["note"]))
    return f.sort_values("date", ascending=False, kind="mergesort")[cols].reset_index(drop=True)


def card_fields(card: dict, section: str, *, fields: list[str] | None = None) -> pd.DataFrame:
    """One dict section of a card as a two-column table for the page (values as text).

    Parameters
    ----------
    card : dict
        The result of :func:`customer_card`.
    section : {"identity", "grading", "kpis", "credit", "next_contact"}
        Which section.
    fields : list of str, optional
        These fields, in this order (default: all of the section).

    Returns
    -------
    DataFrame
        ``field`` (the field name, a catalogue key) and ``value``: dates as ``YYYY-MM-DD``, whole
        numbers without decimals, ratios (margin, collection ratio) as percentages, other
        numbers with two decimals and thousands separators, ``True``/``False`` as ``"yes"`` /
        ``"no"`` (catalogue keys), missing values as ``""``.

    Examples
    --------
    >>> card = {"credit": {"credit_limit": 1000.0, "balanced": True, "collection_ratio": 0.5,
    ...                    "oldest_overdue_days": float("nan")}}
    >>> card_fields(card, "credit")["value"].tolist()
    ['1,000', 'yes', '50.0%', '']
    """
    sections = ("identity", "grading", "kpis", "credit", "next_contact")
    if section not in sections or section not in card:
        raise DataError(f"`section` must be one of {[x for x in sections if x in card]}, "
                        f"got {section!r}.")
    data = card[section]
    names = list(data) if fields is None else list(fields)
    unknown = [f for f in names if f not in data]
    if unknown:
        raise DataError(f"`fields` must be among {list(data)}, got {unknown[0]!r}.")
    return pd.DataFrame({"field": names,
                         "value": [_as_text(f, data[f]) for f in names]}, dtype="str")


_PERCENT_FIELDS = ("gross_margin_window", "collection_ratio", "gross_margin")


def _as_text(field: str, value: object) -> str:
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if field in _PERCENT_FIELDS:
            return f"{value:.1%}"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


# -------------------------------------------------------------------------- supervisor_review
def supervisor_review(dataset: object, *, as_of: object, stale_days: int = STALE_DAYS,
                      sales_rep: str = "", horizon_days: int = 7,
                      visits_per_week: int = VISITS_PER_WEEK,
                      window_months: int = WINDOW_MONTHS,
                      contact_intervals: MappingProxyType = CONTACT_INTERVAL_DAYS,
                      balance_tolerance: float = BALANCE_TOLERANCE,
                      grades: pd.DataFrame | None = None) -> dict:
    """The regional manager's weekly check, per sales rep.

    Parameters
    ----------
    dataset : Dataset
        As for :func:`card_table`.
    as_of : date
        The day of the review (e.g. ``ds.month_end(month)``); the plan covers the following
        ``horizon_days`` days.
    stale_days : int, default STALE_DAYS (90)
        A card is stale when neither a contact nor a card update happened for longer than this.
    sales_rep : str, default ""
        Only this rep (``""`` = every rep; ``"unassigned"`` = customers without a rep).
    horizon_days : int, default 7
        The visit plan covers ``as_of`` + 1 … ``as_of`` + ``horizon_days``.
    visits_per_week : int, default VISITS_PER_WEEK (20)
        At most this many contacts per rep in the plan, most urgent first; the rest are counted
        in ``due_not_planned``.
    window_months, contact_intervals, balance_tolerance, grades
        As for :func:`card_table`.

    Returns
    -------
    dict of DataFrame
        - ``reps``: one row per sales rep: ``sales_rep``, ``customers``, one column per tier of
          ``contact_intervals`` (customers in it; ``unranked`` = no tier), ``key_accounts``,
          ``stale_cards``, ``sales_window``, ``due_window``, ``collected_window``,
          ``collection_ratio``, ``balanced``, ``overdue_amount``, ``overdue_customers``,
          ``open_complaints``, ``planned_contacts``, ``due_not_planned``;
        - ``tiers``: long table ``sales_rep``, ``tier``, ``customers``, ``sales_window``;
        - ``stale``: the stale cards: ``sales_rep``, ``customer_id``, ``name``, ``tier``,
          ``last_contact``, ``card_updated_on``, ``days_since_touch`` (longest first);
        - ``overdue``: customers with overdue invoices: ``sales_rep``, ``customer_id``,
          ``name``, ``tier``, ``overdue_amount``, ``overdue_invoices``, ``oldest_overdue_days``,
          ``credit_limit``, ``balanced`` (largest amount first);
        - ``visit_plan``: ``sales_rep``, ``order`` (1 = first, per rep), ``customer_id``,
          ``name``, ``tier``, ``date``, ``contact_type``, ``reason``, ``overdue_days``,
          ``days_since_last_contact``, ``sales_window``;
        - ``as_of`` (Timestamp) and ``notes`` (list of str) as in :func:`card_table`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(
    ...     customers=pd.DataFrame({"customer_id": ["c1", "c2"], "sales_rep": ["r1", "r2"]}),
    ...     transactions=pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
    ...         "date": pd.to_datetime(["2026-10-01"]), "product_id": ["p"],
    ...         "quantity": [1.0], "amount": [100.0], "cost": [60.0]}))
    >>> review = supervisor_review(ds, as_of="2026-10-31", grades=pd.DataFrame(
    ...     {"tier": ["VIP", "small"]}, index=["c1", "c2"]))
    >>> review["reps"][["sales_rep", "customers", "VIP", "small", "stale_cards"]]
      sales_rep  customers  VIP  small  stale_cards
    0        r1          1    1      0            1
    1        r2          1    0      1            1
    """
    as_of = to_day(as_of)
    if not isinstance(horizon_days, (int, np.integer)) or horizon_days < 1:
        raise DataError(f"`horizon_days` must be a positive whole number, got {horizon_days!r}.")
    if not isinstance(visits_per_week, (int, np.integer)) or visits_per_week < 1:
        raise DataError(
            f"`visits_per_week` must be a positive whole number, got {visits_per_week!r}.")
    t = card_table(dataset, as_of=as_of, window_months=window_months, stale_days=stale_days,
                   contact_intervals=contact_intervals, balance_tolerance=balance_tolerance,
                   grades=grades)
    if sales_rep:
        reps = sorted(t["sales_rep"].unique().tolist())
        if sales_rep not in reps:
            close = difflib.get_close_matches(sales_rep, reps, n=3, cutoff=0.5)
            hint = f"Did you mean {', '.join(map(repr, close))}?" if close else (
                f"Reps: {', '.join(map(repr, reps[:5]))}{', …' if len(reps) > 5 else ''}.")
            raise DataError(f"Sales rep {sales_rep!r} has no customers in `customers`. {hint}")
        t = t[t["sales_rep"] == sales_rep]
    tier = t["tier"].astype("object").fillna("unranked")
    t = t.assign(tier_group=tier.where(tier.isin(list(contact_intervals)), "unranked"),
                 is_key=t["is_key_account"].fillna(False).astype(bool),
                 has_overdue=t["overdue_invoices"] > 0)
    horizon_end = as_of + pd.Timedelta(days=int(horizon_days))
    due = t["next_contact"].notna() & (t["next_contact"] <= horizon_end)
    plan = t[due].sort_values(["sales_rep", "priority"], kind="mergesort")
    plan = plan.assign(order=plan.groupby("sales_rep").cumcount() + 1)
    planned = plan[plan["order"] <= visits_per_week]

    g = t.groupby("sales_rep", sort=True)
    reps = pd.DataFrame({"customers": g.size()})
    counts = (t.groupby(["sales_rep", "tier_group"]).size()
              .unstack(fill_value=0).reindex(columns=list(contact_intervals), fill_value=0))
    reps = reps.join(counts).fillna(0)
    reps["key_accounts"] = g["is_key"].sum().astype("int64")
    reps["stale_cards"] = g["stale"].sum().astype("int64")
    for col in ("sales_window", "due_window", "collected_window", "overdue_amount"):
        reps[col] = g[col].sum(min_count=1) if col != "sales_window" else g[col].sum()
    reps["collection_ratio"] = reps["collected_window"] / reps["due_window"].where(
        reps["due_window"] > 0)
    reps["balanced"] = (reps["collected_window"] >= (1 - balance_tolerance) * reps["due_window"]
                        - 1e-9).astype("boolean").where(reps["due_window"].notna())
    reps["overdue_customers"] = g["has_overdue"].sum().astype("int64")
    reps["open_complaints"] = g["open_complaints"].sum().astype("int64")
    reps["planned_contacts"] = planned.groupby("sales_rep").size().reindex(
        reps.index, fill_value=0).astype("int64")
    reps["due_not_planned"] = (due.groupby(t["sales_rep"]).sum().reindex(reps.index, fill_value=0)
                               .astype("int64") - reps["planned_contacts"])
    reps = reps.astype({c: "int64" for c in ["customers", *contact_intervals]})

    tiers = (t.groupby(["sales_rep", "tier_group"], sort=True)
             .agg(customers=("customer_id", "size"), sales_window=("sales_window", "sum"))
             .reset_index().rename(columns={"tier_group": "tier"}))
    stale = (t[t["stale"]]
             .sort_values(["days_since_touch", "customer_id"], ascending=[False, True],
                          kind="mergesort", na_position="first")
             [["sales_rep", "customer_id", "name", "tier", "last_contact", "card_updated_on",
               "days_since_touch"]].reset_index(drop=True))
    overdue = (t[t["overdue_invoices"] > 0]
               .sort_values(["overdue_amount", "customer_id"], ascending=[False, True],
                            kind="mergesort")
               [["sales_rep", "customer_id", "name", "tier", "overdue_amount",
                 "overdue_invoices", "oldest_overdue_days", "credit_limit", "balanced"]]
               .reset_index(drop=True))
    visit_plan = planned.rename(columns={"next_contact": "date", "next_contact_reason": "reason",
                                         "contact_overdue_days": "overdue_days"})[
        ["sales_rep", "order", "customer_id", "name", "tier", "date", "contact_type", "reason",
         "overdue_days", "days_since_last_contact", "sales_window"]].reset_index(drop=True)
    return {"as_of": as_of, "reps": reps.reset_index(), "tiers": tiers, "stale": stale,
            "overdue": overdue, "visit_plan": visit_plan, "notes": t.attrs.get("notes", [])}
