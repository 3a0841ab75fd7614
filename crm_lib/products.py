"""Product margins: gross profit, turnover, the cross ratio and GMROI per product and category.

The functions here never aggregate transactions themselves: they take the totals that
:func:`crm_lib.summary.totals` returns (``by=("product_id",)`` for the product tables,
``by=("customer_id", "product_id")`` for the customer mix) and the ``products`` table.

Definitions (per product, over the window of the totals):

* ``gross_profit = sales - cost`` (net of returns: a return is a negative sale and a negative cost);
* ``gross_margin = gross_profit / sales``; 0 for a product with no sales at all, NaN when net
  sales are negative (more returned than sold in the window);
* ``turnover = cost / avg_inventory_cost`` (cost of goods sold over average inventory at cost);
  NaN when the average inventory cost is zero or missing;
* ``cross_ratio = gross_margin * turnover`` (the retailer's *cross ratio*, 交叉比率);
* ``gmroi = gross_profit / avg_inventory_cost`` (gross margin return on inventory investment).

Turnover, cross ratio and GMROI are per window: pass a 12-month window to
:func:`crm_lib.summary.totals` for annual figures.
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, DataWarning, examples, fail_rows, require_columns
from crm_lib._frames import to_day

__all__ = [
    "CROSS_RATIO_QUADRANTS",
    "TOP_CUSTOMERS",
    "category_profit",
    "cross_ratio",
    "customer_product_mix",
    "product_checks",
    "product_profit",
    "window_start",
]

#: Names of the four quadrants of the margin × turnover plane, by (high margin, high turnover).
CROSS_RATIO_QUADRANTS = MappingProxyType({
    (True, True): "star",
    (False, True): "traffic_builder",
    (True, False): "margin_builder",
    (False, False): "laggard",
})

#: How many customers :func:`customer_product_mix` shows by default.
TOP_CUSTOMERS = 10

_TOTAL_COLUMNS = ("sales", "cost", "gross_profit", "quantity", "returned_amount")


# --------------------------------------------------------------------------------------- helpers
def _as_columns(totals: pd.DataFrame, by: tuple[str, ...], *, table: str) -> pd.DataFrame:
    """The totals with the ``by`` keys as columns (``summary.totals`` puts them in the index)."""
    if not isinstance(totals, pd.DataFrame):
        raise DataError(f"`{table}` must be a pandas DataFrame, got {type(totals).__name__}.")
    if all(c in totals.columns for c in by):
        out = totals.reset_index(drop=True)
    else:
        out = totals.reset_index()
    require_columns(
        out, [*by, "sales", "cost"], table=table,
        hint="Build it with crm_lib.summary.totals(transactions, by="
             f"{tuple(by)!r}).",
    )
    for col in _TOTAL_COLUMNS:
        if col not in out.columns:
            out[col] = out["sales"] - out["cost"] if col == "gross_profit" else 0.0
    for col in _TOTAL_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64").fillna(0.0)
    out[list(by)] = out[list(by)].astype("str")
    return out


def _check_products(products: pd.DataFrame, *, product_col: str, category_col: str,
                    inventory_col: str) -> pd.DataFrame:
    require_columns(products, [product_col, category_col, inventory_col], table="products")
    prod = products.copy()
    prod[product_col] = prod[product_col].astype("str")
    dup = prod[product_col].duplicated(keep=False)
    fail_rows("products", product_col, prod[product_col], dup, "unique",
              hint="Each product must appear once in the products table.")
    inv = pd.to_numeric(prod[inventory_col], errors="coerce")
    fail_rows("products", inventory_col, prod[inventory_col],
              inv.isna() & prod[inventory_col].notna(), "numeric")
    fail_rows("products", inventory_col, prod[inventory_col], inv < 0, "zero or positive")
    prod[inventory_col] = inv.astype("float64")
    if "name" not in prod.columns:
        prod["name"] = prod[product_col]
    return prod


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` with NaN where ``den`` is zero or missing (never ±inf)."""
    den = den.where(den != 0)
    return (num / den).astype("float64")


def _margin(gross_profit: pd.Series, sales: pd.Series) -> pd.Series:
    """Gross margin: 0 with no sales at all, NaN when net sales are negative."""
    margin = _ratio(gross_profit, sales.where(sales > 0))
    return margin.mask((sales == 0) & (gross_profit == 0), 0.0)


# ------------------------------------------------------------------------------- public functions
def window_start(as_of: object, *, months: int = 12) -> pd.Timestamp:
    """First day of the ``months``-month window that ends on ``as_of`` (both days included).

    Parameters
    ----------
    as_of : date
        The last day of the window.
    months : int, default 12
        Length of the window in calendar months.

    Returns
    -------
    Timestamp
        Midnight of the first day, for ``crm_lib.summary.totals(..., start=..., as_of=as_of)``.

    Examples
    --------
    >>> window_start("2026-10-31")
    Timestamp('2025-11-01 00:00:00')
    >>> window_start("2026-02-28", months=1)
    Timestamp('2026-01-29 00:00:00')
    """
    if not isinstance(months, (int, np.integer)) or months < 1:
        raise DataError(f"`months` must be a positive whole number, got {months!r}.")
    day = to_day(as_of, "as_of")
    return (day - pd.DateOffset(months=int(months))) + pd.Timedelta(days=1)


def product_checks(totals: pd.DataFrame, products: pd.DataFrame, *,
                   product_col: str = "product_id", category_col: str = "category",
                   inventory_col: str = "avg_inventory_cost") -> pd.DataFrame:
    """What :func:`product_profit` cannot fully use, counted, as a small table for the report.

    Parameters
    ----------
    totals : DataFrame
        ``crm_lib.summary.totals(transactions, by=("product_id",))`` (keys in the index or as columns).
    products : DataFrame
        The products table.
    product_col, category_col, inventory_col : str
        Column names.

    Returns
    -------
    DataFrame
        One row per check: ``check`` (``unknown_product``: sold but not in the products table;
        ``no_inventory_cost``: average inventory cost zero or missing, turnover undefined;
        ``no_sales``: in the table but not sold in the window; ``negative_net_sales``: more
        returned than sold), ``rows`` (products affected), ``sales`` (their net sales) and
        ``examples`` (the first few product ids).

    Examples
    --------
    >>> t = pd.DataFrame({"product_id": ["P1", "P9"], "sales": [10.0, 5.0], "cost": [6.0, 3.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["a", "b"],
    ...                   "avg_inventory_cost": [2.0, 0.0]})
    >>> product_checks(t, p)[["check", "rows"]].to_dict("list")
    {'check': ['unknown_product', 'no_inventory_cost', 'no_sales', 'negative_net_sales'], 'rows': [1, 1, 1, 0]}
    """
    tot = _as_columns(totals, (product_col,), table="totals")
    prod = _check_products(products, product_col=product_col, category_col=category_col,
                           inventory_col=inventory_col)
    known = tot[product_col].isin(prod[product_col])
    merged = prod.merge(tot, on=product_col, how="left")
    sales = merged["sales"].fillna(0.0)
    masks = {
        "unknown_product": (tot[product_col], tot["sales"], ~known),
        "no_inventory_cost": (merged[product_col], sales,
                              merged[inventory_col].isna() | (merged[inventory_col] == 0)),
        "no_sales": (merged[product_col], sales, merged["sales"].isna() | (sales == 0)),
        "negative_net_sales": (merged[product_col], sales, sales < 0),
    }
    rows = []
    for check, (ids, amount, mask) in masks.items():
        mask = np.asarray(mask, dtype=bool)
        n, ex = examples(ids.reset_index(drop=True), mask) if mask.any() else (0, "")
        rows.append({"check": check, "rows": n, "sales": float(amount[mask].sum()),
                     "examples": ex.split(": ", 1)[-1] if n else ""})
    return pd.DataFrame(rows).astype({"rows": "int64"})


def product_profit(totals: pd.DataFrame, products: pd.DataFrame, *,
                   product_col: str = "product_id", category_col: str = "category",
                   inventory_col: str = "avg_inventory_cost",
                   rank_by: str = "gross_profit") -> pd.DataFrame:
    """Gross profit, gross margin, turnover, cross ratio and GMROI per product, ranked.

    Parameters
    ----------
    totals : DataFrame
        ``crm_lib.summary.totals(transactions, by=("product_id",), start=..., as_of=...)``: net
        ``sales``, ``cost`` (and ``gross_profit``, ``quantity``, ``returned_amount`` if present)
        per product, keys in the index or as a column.
    products : DataFrame
        The products table: ``product_id``, ``category``, ``avg_inventory_cost`` (``name`` if present).
    product_col, category_col, inventory_col : str
        Column names.
    rank_by : str, default "gross_profit"
        The column that sets ``rank`` (1 = largest; ties share the smaller rank).

    Returns
    -------
    DataFrame
        One row per product of the products table (products without sales are kept with zeros),
        sorted by ``rank``: ``rank``, ``product_id``, ``name``, ``category``, ``sales``, ``cost``,
        ``gross_profit``, ``gross_margin``, ``quantity``, ``returned_amount``,
        ``avg_inventory_cost``, ``turnover``, ``cross_ratio``, ``gmroi``, ``share_of_gross_profit``,
        ``quadrant`` (see :func:`cross_ratio`; split at the median product).
        ``.attrs`` holds ``unknown_products`` (ids sold but missing from the products table,
        left out of the table), ``unknown_sales`` (their net sales) and ``no_inventory_cost``
        (products whose turnover is undefined). A :class:`~crm_lib.DataWarning` says the same
        when either count is not zero; :func:`product_checks` gives the details.

    Examples
    --------
    >>> t = pd.DataFrame({"product_id": ["P1", "P2"], "sales": [100.0, 50.0], "cost": [60.0, 20.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["a", "a"],
    ...                   "avg_inventory_cost": [20.0, 40.0]})
    >>> product_profit(t, p)[["product_id", "gross_margin", "turnover", "cross_ratio", "gmroi"]]
      product_id  gross_margin  turnover  cross_ratio  gmroi
    0         P1           0.4       3.0          1.2   2.00
    1         P2           0.6       0.5          0.3   0.75
    """
    tot = _as_columns(totals, (product_col,), table="totals")
    prod = _check_products(products, product_col=product_col, category_col=category_col,
                           inventory_col=inventory_col)
    unknown = ~tot[product_col].isin(prod[product_col])
    out = prod[[product_col, "name", category_col, inventory_col]].merge(
        tot[[product_col, *_TOTAL_COLUMNS]], on=product_col, how="left")
    out[list(_TOTAL_COLUMNS)] = out[list(_TOTAL_COLUMNS)].fillna(0.0)
    out["gross_margin"] = _margin(out["gross_profit"], out["sales"])
    out["turnover"] = _ratio(out["cost"], out[inventory_col])
    out = cross_ratio(out)
    out["gmroi"] = _ratio(out["gross_profit"], out[inventory_col])
    total_gp = out["gross_profit"].sum()
    out["share_of_gross_profit"] = out["gross_profit"] / total_gp if total_gp else np.nan
    if rank_by not in out.columns:
        raise DataError(f"`rank_by` must be one of {list(out.columns)}, got {rank_by!r}.")
    out = _ranked(out, rank_by, product_col)
    no_inv = int((out[inventory_col].isna() | (out[inventory_col] == 0)).sum())
    out.attrs.update(unknown_products=int(unknown.sum()),
                     unknown_sales=float(tot.loc[unknown, "sales"].sum()),
                     no_inventory_cost=no_inv)
    _warn_checks(out.attrs, tot.loc[unknown, product_col], out, product_col, inventory_col)
    cols = ["rank", product_col, "name", category_col, "sales", "cost", "gross_profit",
            "gross_margin", "quantity", "returned_amount", inventory_col, "turnover",
            "cross_ratio", "gmroi", "share_of_gross_profit", "quadrant"]
    return out[cols]


def _ranked(df: pd.DataFrame, rank_by: str, key: str) -> pd.DataFrame:
    df = df.sort_values([rank_by, key], ascending=[False, True], kind="mergesort",
                        na_position="last").reset_index(drop=True)
    df.insert(0, "rank", df[rank_by].rank(method="min", ascending=False).astype("Int64"))
    return df


def _warn_checks(attrs: dict, unknown_ids: pd.Series, out: pd.DataFrame, product_col: str,
                 inventory_col: str) -> None:
    parts = []
    if attrs["unknown_products"]:
        _, ex = examples(unknown_ids.reset_index(drop=True))
        parts.append(f"{attrs['unknown_products']} product id(s) in `transactions` are not in "
                     f"`products` (net sales {attrs['unknown_sales']:,.2f}; "
                     f"{ex.split(': ', 1)[-1]}) and are left out of the product table")
    if attrs["no_inventory_cost"]:
        mask = out[inventory_col].isna() | (out[inventory_col] == 0)
        ids = out.loc[mask, product_col].sort_values().reset_index(drop=True)
        _, ex = examples(ids)
        parts.append(f"{attrs['no_inventory_cost']} product(s) have no average inventory cost "
                     f"(column '{inventory_col}' of `products` is zero or empty; "
                     f"{ex.split(': ', 1)[-1]}): their turnover, cross ratio and GMROI are NaN")
    if parts:
        warnings.warn("; ".join(parts) + ".", DataWarning, stacklevel=3)


def cross_ratio(table: pd.DataFrame, *, margin_col: str = "gross_margin",
                turnover_col: str = "turnover", margin_split: float | None = None,
                turnover_split: float | None = None,
                quadrants: MappingProxyType = CROSS_RATIO_QUADRANTS) -> pd.DataFrame:
    """The cross ratio (gross margin × turnover) and the margin/turnover quadrant of each row.

    Parameters
    ----------
    table : DataFrame
        One row per product (or category) with a gross margin and a turnover column, e.g. the
        result of :func:`product_profit` or :func:`category_profit`.
    margin_col, turnover_col : str
        Column names.
    margin_split, turnover_split : float, optional
        Where "high" begins (a value equal to the split counts as high). Default: the median over
        the rows where both values are defined.
    quadrants : mapping, default CROSS_RATIO_QUADRANTS
        Name of each quadrant, keyed by ``(high margin, high turnover)``.

    Returns
    -------
    DataFrame
        A copy of ``table`` with ``cross_ratio`` (NaN where either input is NaN) and ``quadrant``
        (``star``, ``traffic_builder``, ``margin_builder``, ``laggard``; missing where the cross
        ratio is NaN). ``.attrs`` records the splits used (``margin_split``, ``turnover_split``).

    Examples
    --------
    >>> t = pd.DataFrame({"gross_margin": [0.4, 0.6, 0.1], "turnover": [2.0, 0.5, 1.0]})
    >>> cross_ratio(t)[["cross_ratio", "quadrant"]]
       cross_ratio         quadrant
    0          0.8             star
    1          0.3   margin_builder
    2          0.1  traffic_builder
    """
    require_columns(table, [margin_col, turnover_col], table="table")
    out = table.copy()
    margin = pd.to_numeric(out[margin_col], errors="coerce").astype("float64")
    turn = pd.to_numeric(out[turnover_col], errors="coerce").astype("float64")
    fail_rows("table", margin_col, out[margin_col], margin.isna() & out[margin_col].notna(),
              "numeric")
    fail_rows("table", turnover_col, out[turnover_col], turn.isna() & out[turnover_col].notna(),
              "numeric")
    out["cross_ratio"] = (margin * turn).round(12)
    defined = margin.notna() & turn.notna()
    m_split = margin[defined].median() if margin_split is None else float(margin_split)
    t_split = turn[defined].median() if turnover_split is None else float(turnover_split)
    high_m = (margin >= m_split).to_numpy()
    high_t = (turn >= t_split).to_numpy()
    names = np.select(
        [high_m & high_t, ~high_m & high_t, high_m & ~high_t, ~high_m & ~high_t],
        [quadrants[(True, True)], quadrants[(False, True)], quadrants[(True, False)],
         quadrants[(False, False)]], default="")
    out["quadrant"] = pd.Series(names, index=out.index, dtype="str").where(defined)
    out.attrs.update(margin_split=float(m_split) if pd.notna(m_split) else np.nan,
                     turnover_split=float(t_split) if pd.notna(t_split) else np.nan)
    return out


def category_profit(product_table: pd.DataFrame, *, category_col: str = "category",
                    inventory_col: str = "avg_inventory_cost") -> pd.DataFrame:
    """Product figures summed per category, with the category's margin, turnover, cross ratio and GMROI.

    Parameters
    ----------
    product_table : DataFrame
        The result of :func:`product_profit`.
    category_col, inventory_col : str
        Column names.

    Returns
    -------
    DataFrame
        One row per category, sorted by ``rank`` (by gross profit): ``rank``, ``category``,
        ``products``, ``products_sold`` (net sales not zero), ``sales``, ``cost``,
        ``gross_profit``, ``gross_margin``, ``avg_inventory_cost`` (sum over the category's
        products; missing counts as zero), ``turnover``, ``cross_ratio``, ``gmroi``,
        ``share_of_sales``, ``share_of_gross_profit``, ``quadrant`` (split at the median category).

    Examples
    --------
    >>> t = pd.DataFrame({"product_id": ["P1", "P2"], "sales": [100.0, 50.0], "cost": [60.0, 20.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["a", "a"],
    ...                   "avg_inventory_cost": [30.0, 40.0]})
    >>> category_profit(product_profit(t, p))[["category", "gross_margin", "turnover", "gmroi"]]
      category  gross_margin  turnover  gmroi
    0        a      0.466667  1.142857    1.0
    """
    require_columns(product_table, [category_col, "sales", "cost", "gross_profit", inventory_col],
                    table="product_table", hint="Pass the result of product_profit().")
    df = product_table.assign(
        products=1, products_sold=(product_table["sales"] != 0).astype("int64"),
        **{inventory_col: product_table[inventory_col].fillna(0.0)})
    out = (df.groupby(category_col, sort=True, observed=True, dropna=False)
           [["products", "products_sold", "sales", "cost", "gross_profit", inventory_col]]
           .sum().reset_index())
    out["gross_margin"] = _margin(out["gross_profit"], out["sales"])
    out["turnover"] = _ratio(out["cost"], out[inventory_col])
    out = cross_ratio(out)
    out["gmroi"] = _ratio(out["gross_profit"], out[inventory_col])
    for col in ("sales", "gross_profit"):
        total = out[col].sum()
        out[f"share_of_{col}"] = out[col] / total if total else np.nan
    out = _ranked(out, "gross_profit", category_col)
    cols = ["rank", category_col, "products", "products_sold", "sales", "cost", "gross_profit",
            "gross_margin", inventory_col, "turnover", "cross_ratio", "gmroi", "share_of_sales",
            "share_of_gross_profit", "quadrant"]
    return out[cols]


def customer_product_mix(totals: pd.DataFrame, products: pd.DataFrame, *,
                         top: int = TOP_CUSTOMERS, customers: list[str] | None = None,
                         rank_by: str = "sales", level: str = "category",
                         customer_col: str = "customer_id", product_col: str = "product_id",
                         category_col: str = "category") -> pd.DataFrame:
    """The product mix of the top customers, with the margin each customer earns on each part.

    Parameters
    ----------
    totals : DataFrame
        ``crm_lib.summary.totals(transactions, by=("customer_id", "product_id"), ...)``.
    products : DataFrame
        The products table (for the category). Products missing from it fall in the category
        ``"unknown"``.
    top : int, default TOP_CUSTOMERS
        How many customers, the largest by ``rank_by``.
    customers : list of str, optional
        Show these customers instead of the top ones (in this order).
    rank_by : {"sales", "gross_profit"}
        What makes a customer "top".
    level : {"category", "product"}
        Mix by category or by single product.
    customer_col, product_col, category_col : str
        Column names.

    Returns
    -------
    DataFrame
        One row per customer and category (or product), customers in rank order and each
        customer's lines by sales: ``customer_rank``, ``customer_id``, ``category`` (and
        ``product_id`` with ``level="product"``), ``sales``, ``gross_profit``, ``gross_margin``,
        ``share_of_customer_sales``, ``customer_sales``, ``customer_gross_profit``,
        ``customer_margin``.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "product_id": ["P1", "P2", "P1"],
    ...                   "sales": [80.0, 20.0, 50.0], "cost": [60.0, 10.0, 40.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["a", "b"]})
    >>> customer_product_mix(t, p, top=1)[["customer_id", "category", "gross_margin",
    ...                                    "share_of_customer_sales", "customer_margin"]]
      customer_id category  gross_margin  share_of_customer_sales  customer_margin
    0          C1        a          0.25                      0.8              0.3
    1          C1        b          0.50                      0.2              0.3
    """
    if level not in ("category", "product"):
        raise DataError(f"`level` must be one of ['category', 'product'], got {level!r}.")
    if rank_by not in ("sales", "gross_profit"):
        raise DataError(f"`rank_by` must be one of ['sales', 'gross_profit'], got {rank_by!r}.")
    if customers is None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise DataError(f"`top` must be a positive whole number, got {top!r}.")
    tot = _as_columns(totals, (customer_col, product_col), table="totals")
    require_columns(products, [product_col, category_col], table="products")
    cats = (products[[product_col, category_col]].astype("str")
            .drop_duplicates(product_col))
    tot = tot.merge(cats, on=product_col, how="left")
    tot[category_col] = tot[category_col].fillna("unknown")
    per_customer = (tot.groupby(customer_col, sort=True)[["sales", "gross_profit"]].sum()
                    .rename(columns={"sales": "customer_sales",
                                     "gross_profit": "customer_gross_profit"}))
    if customers is None:
        ranked = per_customer.sort_values(f"customer_{rank_by}", ascending=False,
                                          kind="mergesort")
        chosen = list(ranked.index[: int(top)])
    else:
        chosen = [str(c) for c in customers]
        missing = [c for c in chosen if c not in per_customer.index]
        if missing:
            raise DataError(f"Customer(s) {missing[:3]} have no lines in `totals`"
                            f"{' (' + str(len(missing)) + ' in all)' if len(missing) > 3 else ''}.")
    order = pd.Series(range(1, len(chosen) + 1), index=pd.Index(chosen, name=customer_col),
                      name="customer_rank")
    keys = [customer_col, category_col] + ([product_col] if level == "product" else [])
    mix = (tot[tot[customer_col].isin(chosen)]
           .groupby(keys, sort=True)[["sales", "gross_profit"]].sum().reset_index())
    mix = mix.join(per_customer, on=customer_col).join(order, on=customer_col)
    mix["gross_margin"] = _margin(mix["gross_profit"], mix["sales"])
    mix["share_of_customer_sales"] = _ratio(mix["sales"], mix["customer_sales"])
    mix["customer_margin"] = _margin(mix["customer_gross_profit"], mix["customer_sales"])
    mix = mix.sort_values(["customer_rank", "sales", category_col],
                          ascending=[True, False, True], kind="mergesort").reset_index(drop=True)
    cols = ["customer_rank", *keys, "sales", "gross_profit", "gross_margin",
            "share_of_customer_sales", "customer_sales", "customer_gross_profit", "customer_margin"]
    return mix[cols]
