"""The summaries of :mod:`crm_lib.summary` as SQL, for DuckDB and Spark.

Each function returns one query over the wrapped table (``dialect.table``). The queries follow
the definitions of ``summary.py`` line for line (calendar days, Monday weeks, calendar months;
purchase periods hold a positive line and are valued at the net sum of all their lines; returns
are netted; lines without a key, date or value are left out and counted by :func:`stats`), so
the engines give the numbers the numpy code gives, to floating-point rounding. Values are cast
to DOUBLE; a missing cost or quantity counts as 0 as in pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_lib._errors import DataError
from crm_lib.engines._backends import Backend, Dialect

_TABLE = "transactions"


def check_columns(be: Backend, wanted: dict[str, str | None]) -> None:
    """Raise a DataError for a missing column or one of the wrong kind.

    ``wanted`` maps each column name to the kind it must have (``date``, ``number``) or None
    (any kind).
    """
    kinds = be.kinds()
    missing = [c for c in wanted if c not in kinds]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        noun = "Column" if len(missing) == 1 else "Columns"
        raise DataError(
            f"{noun} {names} not found in `{_TABLE}` ({be.name}). It has {list(kinds)}. Pass "
            f"the column name as a keyword argument, or map it with a mapping file: "
            f"{missing[0]}: <your column>."
        )
    types = be.types()
    for col, kind in wanted.items():
        if kind is not None and kinds[col] != kind:
            what = "dates (DATE or TIMESTAMP)" if kind == "date" else "numbers"
            raise DataError(
                f"Column '{col}' in `{_TABLE}` ({be.name}) must hold {what}, got {types[col]}. "
                f"Cast it in the engine (CAST({col} AS {'DATE' if kind == 'date' else 'DOUBLE'}))"
                " or load it through crm_lib.load_dataset."
            )


def _num(d: Dialect, col: str | None) -> str:
    return "CAST(NULL AS DOUBLE)" if col is None else f"CAST({d.quote(col)} AS DOUBLE)"


def _base(d: Dialect, keys: Sequence[str], date_col: str, value_col: str | None,
          extra: dict[str, str | None], order_col: str | None) -> str:
    """Lines with key columns k0.., day number, value v, extras as DOUBLE and order id o."""
    parts = [f"{d.quote(k)} AS k{i}" for i, k in enumerate(keys)]
    parts.append(f"CAST({d.quote(date_col)} AS DATE) AS dt")
    parts.append(f"{_num(d, value_col)} AS v" if value_col is not None else "1.0 AS v")
    parts += [f"{_num(d, col)} AS {name}" for name, col in extra.items()]
    parts.append(f"{d.quote(order_col)} AS o" if order_col is not None else "NULL AS o")
    return f"SELECT {', '.join(parts)} FROM {d.table}"


def _bad(keys: Sequence[str], has_value: bool) -> str:
    terms = [f"k{i} IS NULL" for i in range(len(keys))] + ["dt IS NULL"]
    if has_value:
        terms.append("v IS NULL OR isnan(v)")
    return " OR ".join(terms)


def _zero(name: str) -> str:
    return f"CASE WHEN {name} IS NULL OR isnan({name}) THEN 0.0 ELSE {name} END"


def stats(d: Dialect, keys: Sequence[str], date_col: str, value_col: str | None) -> str:
    """Counts of lines without a key, a date or a value, and the first and last usable day."""
    base = _base(d, keys, date_col, value_col, {}, None)
    nokey = " OR ".join(f"k{i} IS NULL" for i in range(len(keys)))
    novalue = "v IS NULL OR isnan(v)" if value_col is not None else "FALSE"
    bad = _bad(keys, value_col is not None)
    day = d.day("dt")
    return f"""
SELECT count(*) AS n,
       sum(CASE WHEN {nokey} THEN 1 ELSE 0 END) AS no_key,
       sum(CASE WHEN dt IS NULL THEN 1 ELSE 0 END) AS no_date,
       sum(CASE WHEN {novalue} THEN 1 ELSE 0 END) AS no_value,
       sum(CASE WHEN {bad} THEN 1 ELSE 0 END) AS bad,
       min(CASE WHEN NOT ({bad}) THEN {day} END) AS first_day,
       max(CASE WHEN NOT ({bad}) THEN {day} END) AS last_day
FROM ({base}) AS b"""


def period(d: Dialect, freq: str) -> str:
    """Period number of the line (``day`` and ``dt`` in scope), as ``summary._period_index``."""
    if freq == "D":
        return "day"
    if freq == "W":
        return "CAST(floor((day + 3) / 7.0) AS BIGINT)"
    return "CAST((year(dt) - 1970) * 12 + month(dt) - 1 AS BIGINT)"


def period_start(d: Dialect, expr: str, freq: str) -> str:
    """Day number of the first day of period number ``expr``, as ``summary._period_start_day``."""
    if freq == "D":
        return expr
    if freq == "W":
        return f"(({expr}) * 7 - 3)"
    return d.month_start_day(expr)


def _lines(d: Dialect, keys, date_col, value_col, extra, order_col, where: list[str],
           freq: str | None) -> str:
    base = _base(d, keys, date_col, value_col, extra, order_col)
    cols = [f"k{i}" for i in range(len(keys))] + ["dt", "day", "v", "o"]
    cols += [f"{_zero(name)} AS {name}" for name in extra]
    bad = _bad(keys, value_col is not None)
    inner = f"SELECT b.*, {d.day('dt')} AS day FROM ({base}) AS b WHERE NOT ({bad})"
    sel = ", ".join(cols)
    if freq is not None:
        sel += f", {period(d, freq)} AS per"
    cond = " AND ".join(where) if where else "TRUE"
    return f"SELECT {sel} FROM ({inner}) AS b2 WHERE {cond}"


def customer_summary(d: Dialect, *, customer_col: str, date_col: str, value_col: str | None,
                     cost_col: str | None, order_col: str | None, as_of_day: int,
                     end_day: int, cal_day: int | None, freq: str, end_start_day: int,
                     length: float, statistics_only: bool = False) -> str:
    """One row per customer seen up to ``as_of_day``: lifetimes' statistics and the extras.

    Columns: ``c``; ``seen`` (1 with a line in the estimation window ``day <= end_day``);
    ``periods`` (purchase periods, NULL without any), ``frequency``, ``recency``, ``T``,
    ``monetary_value``; ``sales``, ``cost``, ``orders``, ``first_day``, ``last_day`` over the
    window; with ``cal_day``, ``hold_periods`` and ``hold_value`` (mean value) of the holdout.
    ``statistics_only`` keeps only the customers with a purchase period and only ``c``,
    ``periods`` and the four statistics (what the model fits and the scores need; no calibration
    split), which spares the second aggregation over the lines.
    """
    has_value = value_col is not None
    extra = {"k": cost_col} if cost_col is not None else {}
    lines = _lines(d, [customer_col], date_col, value_col, extra, order_col,
                   [f"day <= {int(as_of_day)}"], freq)
    buy = "v > 0" if has_value else "TRUE"
    top = "max(v)" if has_value else "1.0"
    p0 = period_start(d, "p0", freq)
    p1 = period_start(d, "p1", freq)
    ctes = [
        f"kept AS ({lines})",
        f"cal AS (SELECT * FROM kept WHERE day <= {int(end_day)})",
        f"cells AS (SELECT k0, per, sum(v) AS val, {top} AS top FROM cal GROUP BY k0, per)",
        "buys0 AS (SELECT k0, per, val, min(per) OVER (PARTITION BY k0) AS p0 FROM cells "
        "WHERE top > 0)",
        "buys AS (SELECT k0, count(*) AS periods, min(per) AS p0, max(per) AS p1, "
        "sum(CASE WHEN per > p0 THEN val ELSE 0.0 END) AS repeat_value FROM buys0 GROUP BY k0)",
        "per_line AS (SELECT k0, sum(v) AS sales, "
        + ("sum(k) AS cost, " if cost_col is not None else "")
        + f"count(DISTINCT CASE WHEN {buy} THEN o END) AS orders, "
        f"min(CASE WHEN {buy} THEN day END) AS first_day, "
        f"max(CASE WHEN {buy} THEN day END) AS last_day FROM cal GROUP BY k0)",
    ]
    cols = [
        "coalesce(l.k0, h.k0) AS c" if cal_day is not None else "l.k0 AS c",
        "CASE WHEN l.k0 IS NULL THEN 0 ELSE 1 END AS seen",
        "b.periods",
        "CAST(b.periods - 1 AS DOUBLE) AS frequency",
        f"({p1} - {p0}) / CAST({length!r} AS DOUBLE) AS recency",
        f"({int(end_start_day)} - {p0}) / CAST({length!r} AS DOUBLE) AS T",
        "CASE WHEN b.periods > 1 THEN b.repeat_value / (b.periods - 1) ELSE 0.0 END "
        "AS monetary_value",
        "l.sales", "l.orders", "l.first_day", "l.last_day",
    ]
    if statistics_only:
        if cal_day is not None:
            raise ValueError("statistics_only has no calibration split")
        keep = ("b.periods", "AS frequency", "AS recency", "AS T", "AS monetary_value")
        cols = ["b.k0 AS c"] + [c for c in cols if c.endswith(keep)]
        return "WITH " + ",\n".join(ctes[:5]) + f"\nSELECT {', '.join(cols)} FROM buys AS b"
    if cost_col is not None:
        cols.append("l.cost")
    joins = "per_line AS l LEFT JOIN buys AS b ON l.k0 = b.k0"
    if cal_day is not None:
        ctes += [
            f"hcells AS (SELECT k0, per, sum(v) AS val, {top} AS top FROM kept "
            f"WHERE day > {int(cal_day)} GROUP BY k0, per)",
            "hold AS (SELECT k0, count(*) AS hold_periods, sum(val) / count(*) AS hold_value "
            "FROM hcells WHERE top > 0 GROUP BY k0)",
        ]
        cols += ["coalesce(h.hold_periods, 0) AS hold_periods",
                 "coalesce(h.hold_value, 0.0) AS hold_value"]
        joins += " FULL OUTER JOIN hold AS h ON l.k0 = h.k0"
    sql = "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(cols)} FROM {joins}"
    if not has_value:
        sql = sql.replace("sum(v) AS sales, ", "")
        sql = sql.replace(", l.sales", "")
    return sql


def totals(d: Dialect, *, keys: Sequence[str], date_col: str, amount_col: str,
           cost_col: str | None, quantity_col: str | None, order_col: str | None,
           start_day: int | None, as_of_day: int | None) -> str:
    """Sums per key over the window, columns as :func:`crm_lib.summary.totals` (days as numbers)."""
    extra = {"k": cost_col, "q": quantity_col}
    where = []
    if start_day is not None:
        where.append(f"day >= {int(start_day)}")
    if as_of_day is not None:
        where.append(f"day <= {int(as_of_day)}")
    lines = _lines(d, keys, date_col, amount_col, extra, order_col, where, None)
    k = ", ".join(f"k{i}" for i in range(len(keys)))
    return f"""
SELECT {k}, sum(v) AS sales, sum(k) AS cost, sum(q) AS quantity,
       count(DISTINCT CASE WHEN v > 0 THEN o END) AS orders, count(*) AS lines,
       sum(CASE WHEN v < 0 THEN 1 ELSE 0 END) AS return_lines,
       -sum(CASE WHEN v < 0 THEN v ELSE 0.0 END) AS returned_amount,
       min(CASE WHEN v > 0 THEN day END) AS first_day,
       max(CASE WHEN v > 0 THEN day END) AS last_day,
       count(DISTINCT CASE WHEN v > 0 THEN day END) AS purchase_days
FROM ({lines}) AS t GROUP BY {k}"""


def period_totals(d: Dialect, *, keys: Sequence[str], freq: str, date_col: str, amount_col: str,
                  cost_col: str | None, order_col: str | None, start_day: int | None,
                  as_of_day: int | None) -> str:
    """Sums per key and period number ``per``, as :func:`crm_lib.summary.period_totals`."""
    extra = {"k": cost_col}
    where = []
    if start_day is not None:
        where.append(f"day >= {int(start_day)}")
    if as_of_day is not None:
        where.append(f"day <= {int(as_of_day)}")
    lines = _lines(d, keys, date_col, amount_col, extra, order_col, where, freq)
    k = ", ".join(f"k{i}" for i in range(len(keys)))
    return f"""
SELECT {k}, per, sum(v) AS sales, sum(k) AS cost,
       count(DISTINCT CASE WHEN v > 0 THEN o END) AS orders
FROM ({lines}) AS t GROUP BY {k}, per"""


def histogram(summary_sql: str, columns: Sequence[str], weight: str) -> str:
    """Distinct rows of ``columns`` of a summary query with the number of customers of each."""
    cols = ", ".join(columns)
    return (f"SELECT {cols}, count(*) AS {weight} FROM ({summary_sql}) AS s "
            f"WHERE s.periods IS NOT NULL GROUP BY {cols}")
