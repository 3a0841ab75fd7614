"""RFM analysis: recency, frequency and monetary scores, the RFM cell, and named segments.

The inputs are one row per customer, as :func:`crm_lib.summary.totals` returns them: the date of
the last purchase (``last_purchase``, turned into days before ``as_of``), the number of orders
(``orders``) and the net sales (``sales``) over the analysis window. Any other per-customer
columns can be used instead (e.g. ``purchase_days`` or ``gross_profit``) by naming them.

Scores are quantile based: customers are ranked on each measure and cut into ``bins`` groups of
equal size (sizes differ by one at most). Ties are broken deterministically, by customer id, so
every score level is used whenever there are at least ``bins`` customers, and the same data give
the same scores whatever the row order. Recency is reversed: the most recent buyers score highest.

Segments come from a rule table: rows of score ranges (R, F and M, inclusive) naming a segment by
its key (``rfm_champions``); the words for it are the catalogue's (``crm_lib/catalogue/rfm.yaml``),
chosen where the result is shown, so every function here returns keys and takes no language.
A table is valid when each of the ``bins ** 3`` cells falls in exactly one row and every segment
is reachable; :func:`check_rules` says which cells are unmapped or doubly mapped otherwise. Two
tables are built in: :data:`STANDARD_SEGMENTS` (Champions ... Lost, on R and F) and
:data:`CHINA_SEGMENTS` (the eight classes 重要价值客户 ... 一般挽留客户: high or low on each of R, F
and M, high meaning a score of at least :data:`CHINA_HIGH_FROM`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, DataWarning, examples, fail_rows, require_columns
from crm_lib._frames import numeric, to_timestamp

__all__ = [
    "CHINA_HIGH_FROM",
    "CHINA_SEGMENTS",
    "RFM_BINS",
    "RULE_TABLES",
    "STANDARD_SEGMENTS",
    "SegmentRule",
    "cell_segments",
    "check_rules",
    "china_rules",
    "rfm_grid",
    "rfm_scores",
    "rfm_segments",
    "rule_table",
    "rules_by_name",
    "score_distribution",
    "segment_summary",
]

_TABLE = "rfm input"

#: Default number of score levels (quintiles).
RFM_BINS = 5


class _Rule(NamedTuple):
    key: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int] = (1, RFM_BINS)


def _warn_names() -> None:
    warnings.warn("Segment names in a rule table are ignored: a rule is (key, r, f, m) and the "
                  "names come from the catalogue (crm_lib/catalogue/rfm.yaml, keyed by the "
                  "segment key). Drop the names from the rule.", DeprecationWarning, stacklevel=3)


class SegmentRule(_Rule):
    """One row of a segment rule table: a box of score cells named ``key``.

    ``r``, ``f`` and ``m`` are inclusive ``(low, high)`` score ranges; recency scores are already
    reversed (5 = bought most recently). A segment may take several rows (a union of boxes).
    ``key`` is a stable identifier and the catalogue key of the segment's name, description
    (``<key>_desc``) and suggested action (``<key>_action``).

    The older form with names, ``SegmentRule(key, en, zh, r, f, m)``, is still accepted: the
    names are dropped with a ``DeprecationWarning``.

    Examples
    --------
    >>> SegmentRule("rfm_top", (4, 5), (4, 5))
    SegmentRule(key='rfm_top', r=(4, 5), f=(4, 5), m=(1, 5))
    """

    __slots__ = ()

    def __new__(cls, key, *args, **kwargs):
        named = kwargs.pop("en", None) is not None
        named = kwargs.pop("zh", None) is not None or named
        if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            args, named = args[2:], True
        if named:
            _warn_names()
        return super().__new__(cls, key, *args, **kwargs)

    def __repr__(self) -> str:
        return f"SegmentRule(key={self.key!r}, r={self.r!r}, f={self.f!r}, m={self.m!r})"


_ALL = (1, RFM_BINS)

#: The widely used segments on the R x F grid (monetary does not move a customer between them).
#: Every one of the 125 cells falls in exactly one row; read it as a 5 x 5 grid of R (rows, 5 =
#: most recent) and F (columns, 5 = most orders).
STANDARD_SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("rfm_champions", (5, 5), (4, 5), _ALL),
    SegmentRule("rfm_loyal", (3, 4), (4, 5), _ALL),
    SegmentRule("rfm_potential_loyalists", (4, 5), (2, 3), _ALL),
    SegmentRule("rfm_new", (5, 5), (1, 1), _ALL),
    SegmentRule("rfm_promising", (4, 4), (1, 1), _ALL),
    SegmentRule("rfm_need_attention", (3, 3), (3, 3), _ALL),
    SegmentRule("rfm_about_to_sleep", (3, 3), (1, 2), _ALL),
    SegmentRule("rfm_at_risk", (1, 2), (3, 4), _ALL),
    SegmentRule("rfm_cant_lose", (1, 2), (5, 5), _ALL),
    SegmentRule("rfm_hibernating", (2, 2), (1, 2), _ALL),
    SegmentRule("rfm_lost", (1, 1), (1, 2), _ALL),
)

#: Score from which R, F or M counts as "high" in the eight-class Chinese map.
CHINA_HIGH_FROM = 4

_CHINA_CLASSES = (
    # (key, R high, F high, M high); names in crm_lib/catalogue/rfm.yaml (重要价值客户 ...)
    ("rfm_important_value", True, True, True),
    ("rfm_important_development", True, False, True),
    ("rfm_important_retention", False, True, True),
    ("rfm_important_winback", False, False, True),
    ("rfm_general_value", True, True, False),
    ("rfm_general_development", True, False, False),
    ("rfm_general_retention", False, True, False),
    ("rfm_general_winback", False, False, False),
)


def china_rules(high_from: int = CHINA_HIGH_FROM, bins: int = RFM_BINS) -> tuple[SegmentRule, ...]:
    """The eight-class Chinese RFM map with "high" meaning a score of at least ``high_from``.

    Parameters
    ----------
    high_from : int, default 4
        Lowest score that counts as high (on each of R, F, M; recency is already reversed).
    bins : int, default 5
        Number of score levels.

    Returns
    -------
    tuple of SegmentRule
        Eight rules: 重要价值客户 (high R, F, M), 重要发展客户 (high R, M; low F), 重要保持客户
        (high F, M; low R), 重要挽留客户 (high M; low R, F), and the four 一般 classes with low M.

    Examples
    --------
    >>> [r.key for r in china_rules()][:2]
    ['rfm_important_value', 'rfm_important_development']
    """
    if not (isinstance(high_from, (int, np.integer)) and 2 <= high_from <= bins):
        raise DataError(f"`high_from` must be an integer from 2 to {bins}, got {high_from!r}.")
    high, low = (int(high_from), bins), (1, int(high_from) - 1)
    return tuple(
        SegmentRule(key, high if r else low, high if f else low, high if m else low)
        for key, r, f, m in _CHINA_CLASSES
    )


#: The eight-class Chinese map (high = score 4 or 5 on each of R, F, M).
CHINA_SEGMENTS: tuple[SegmentRule, ...] = china_rules()

#: The built-in rule tables by name (the notebook parameter ``rules``).
RULE_TABLES: Mapping[str, tuple[SegmentRule, ...]] = MappingProxyType(
    {"standard": STANDARD_SEGMENTS, "china": CHINA_SEGMENTS}
)


def rules_by_name(name: str = "standard", *, high_from: int = CHINA_HIGH_FROM
                  ) -> tuple[SegmentRule, ...]:
    """A built-in rule table by name (the notebook parameter ``rules``).

    Parameters
    ----------
    name : {"standard", "china"}
    high_from : int, default 4
        For "china": the lowest score that counts as high.

    Returns
    -------
    tuple of SegmentRule

    Examples
    --------
    >>> rules_by_name("china", high_from=3)[0].r
    (3, 5)
    """
    if name not in RULE_TABLES:
        raise DataError(f"`rules` must be one of {list(RULE_TABLES)}, got {name!r}.")
    return china_rules(high_from) if name == "china" else RULE_TABLES[name]


_RULE_COLUMNS = ("key", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max")


# ---------------------------------------------------------------------------------------------
# rule tables
# ---------------------------------------------------------------------------------------------

def _as_rules(rules: object) -> tuple[SegmentRule, ...]:
    """Normalise a rule table given by name, as SegmentRule rows, tuples, dicts or a DataFrame."""
    if rules is None:
        return STANDARD_SEGMENTS
    if isinstance(rules, str):
        if rules not in RULE_TABLES:
            raise DataError(f"`rules` must be one of {list(RULE_TABLES)} or a rule table, "
                            f"got {rules!r}.")
        return RULE_TABLES[rules]
    if isinstance(rules, pd.DataFrame):
        require_columns(rules, ["key", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"],
                        table="rules", hint="A rule table has one row per box of score cells.")
        rows = [  # one per rule row (a handful), not per customer
            SegmentRule(str(k), (r0, r1), (f0, f1), (m0, m1))
            for k, r0, r1, f0, f1, m0, m1 in rules[list(_RULE_COLUMNS)].itertuples(index=False)
        ]
        return tuple(rows)
    if not isinstance(rules, Sequence) or isinstance(rules, (bytes, str)) or not rules:
        raise DataError("`rules` must be 'standard', 'china', a DataFrame or a non-empty "
                        f"sequence of SegmentRule, got {type(rules).__name__}.")
    out = []
    for i, row in enumerate(rules):
        try:
            out.append(row if isinstance(row, SegmentRule) else SegmentRule(**row)
                       if isinstance(row, Mapping) else SegmentRule(*row))
        except TypeError as err:
            raise DataError(f"Rule {i} must be (key, r, f, m) with (low, high) ranges, "
                            f"got {row!r}.") from err
    return tuple(out)


def _bounds(rules: tuple[SegmentRule, ...], bins: int) -> np.ndarray:
    """(n_rules, 3, 2) integer array of the inclusive ranges, validated."""
    out = np.zeros((len(rules), 3, 2), dtype=np.int64)
    for i, rule in enumerate(rules):
        for j, (name, rng) in enumerate((("r", rule.r), ("f", rule.f), ("m", rule.m))):
            ok = (isinstance(rng, (tuple, list)) and len(rng) == 2
                  and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                          for v in rng))
            if not ok or not 1 <= rng[0] <= rng[1] <= bins:
                raise DataError(
                    f"Rule {i} ({rule.key!r}): `{name}` must be a (low, high) pair of integer "
                    f"scores with 1 <= low <= high <= {bins}, got {rng!r}."
                )
            out[i, j] = rng
    return out


def _cell_name(r: int, f: int, m: int) -> str:
    return f"R{r}F{f}M{m}"


def check_rules(rules: object = None, *, bins: int = RFM_BINS) -> tuple[SegmentRule, ...]:
    """Validate a rule table: every score cell in exactly one row, every segment reachable.

    Parameters
    ----------
    rules : "standard", "china", DataFrame or sequence of SegmentRule, optional
        Default :data:`STANDARD_SEGMENTS`. A DataFrame has columns ``key``, ``r_min``, ``r_max``,
        ``f_min``, ``f_max``, ``m_min``, ``m_max`` (other columns are ignored).
    bins : int, default 5
        Number of score levels.

    Returns
    -------
    tuple of SegmentRule
        The rules, normalised.

    Raises
    ------
    DataError
        Naming the unmapped cells (e.g. ``R1F1M1``) or the doubly mapped cells with their
        segments.

    Examples
    --------
    >>> len(check_rules("china"))
    8
    """
    bins = _check_bins(bins)
    rules = _as_rules(rules)
    b = _bounds(rules, bins)
    for rule in rules:
        if not isinstance(rule.key, str) or not rule.key:
            raise DataError(f"A rule's `key` must be a non-empty string, got {rule.key!r}.")
    s = np.arange(1, bins + 1)
    # covers[i, r, f, m]: rule i contains the cell
    covers = (
        ((s >= b[:, 0, :1]) & (s <= b[:, 0, 1:]))[:, :, None, None]
        & ((s >= b[:, 1, :1]) & (s <= b[:, 1, 1:]))[:, None, :, None]
        & ((s >= b[:, 2, :1]) & (s <= b[:, 2, 1:]))[:, None, None, :]
    )
    count = covers.sum(axis=0)
    problems = []
    unmapped = np.argwhere(count == 0) + 1
    if len(unmapped):
        shown = ", ".join(_cell_name(*c) for c in unmapped[:5])
        more = f" and {len(unmapped) - 5} more" if len(unmapped) > 5 else ""
        problems.append(f"{len(unmapped)} of the {bins ** 3} score cells are in no segment "
                        f"({shown}{more})")
    double = np.argwhere(count > 1) + 1
    if len(double):
        parts = []
        for c in double[:3]:
            hit = [rules[i].key for i in np.flatnonzero(covers[:, c[0] - 1, c[1] - 1, c[2] - 1])]
            parts.append(f"{_cell_name(*c)}: {', '.join(hit)}")
        more = f" and {len(double) - 3} more" if len(double) > 3 else ""
        problems.append(f"{len(double)} score cells are in more than one segment "
                        f"({'; '.join(parts)}{more})")
    if problems:
        raise DataError("The segment rule table is not a partition of the score cells: "
                        + "; ".join(problems) + ". Adjust the ranges so that every cell is "
                        "in exactly one row.")
    return rules


def _check_bins(bins: object) -> int:
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or not 2 <= bins <= 9:
        raise DataError(f"`bins` must be an integer from 2 to 9, got {bins!r}.")
    return int(bins)


def _segment_keys(rules: tuple[SegmentRule, ...]) -> list[str]:
    return list(dict.fromkeys(r.key for r in rules))


def cell_segments(rules: object = None, *, bins: int = RFM_BINS, lang: object = None
                  ) -> pd.DataFrame:
    """The segment of every score cell, one row per (R, F, M) cell.

    Parameters
    ----------
    rules : see :func:`check_rules`
    bins : int, default 5
    lang : ignored
        Deprecated: segments are keys; translate them where they are shown.

    Returns
    -------
    DataFrame
        ``bins ** 3`` rows: ``r_score``, ``f_score``, ``m_score``, ``rfm_cell`` ("545"),
        ``segment_key`` and ``segment`` (both the segment's key).

    Examples
    --------
    >>> cells = cell_segments()
    >>> cells.loc[cells["rfm_cell"] == "555", "segment"].item()
    'rfm_champions'
    """
    rules = check_rules(rules, bins=bins)
    _ignore_lang(lang)
    s = np.arange(1, bins + 1)
    r, f, m = (a.ravel() for a in np.meshgrid(s, s, s, indexing="ij"))
    out = pd.DataFrame({"r_score": r, "f_score": f, "m_score": m})
    out["rfm_cell"] = _cell_strings(r, f, m)
    key = _lookup(rules, bins)
    idx = _cell_index(r, f, m, bins)
    out["segment_key"] = key[idx]
    out["segment"] = key[idx]
    return out


def _ignore_lang(lang: object) -> None:
    """``lang`` used to choose the language of segment names; results now carry keys only."""
    if lang is not None:
        warnings.warn("`lang` is ignored: RFM results carry segment keys, and the words for "
                      "them are chosen where they are shown (crm.labels.localize, the plots, "
                      "crm.tables). Drop the argument.", DeprecationWarning, stacklevel=3)


def _lookup(rules: tuple[SegmentRule, ...], bins: int) -> np.ndarray:
    """Segment key of each cell, flattened in (r, f, m) order."""
    key = np.empty(bins ** 3, dtype=object)
    s = np.arange(1, bins + 1)
    r, f, m = np.meshgrid(s, s, s, indexing="ij")
    for rule in rules:  # a handful of rule rows, not customers
        inside = ((r >= rule.r[0]) & (r <= rule.r[1]) & (f >= rule.f[0]) & (f <= rule.f[1])
                  & (m >= rule.m[0]) & (m <= rule.m[1])).ravel()
        key[inside] = rule.key
    return key


def _cell_index(r: np.ndarray, f: np.ndarray, m: np.ndarray, bins: int) -> np.ndarray:
    return ((r - 1) * bins + (f - 1)) * bins + (m - 1)


def _cell_strings(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(r.astype(str), f.astype(str)), m.astype(str)).astype(object)


def rule_table(rules: object = None, *, bins: int = RFM_BINS) -> pd.DataFrame:
    """A rule table as a DataFrame, for showing (and editing) in a notebook.

    Parameters
    ----------
    rules : see :func:`check_rules`
    bins : int, default 5

    Returns
    -------
    DataFrame
        One row per rule: ``key``, ``r_min``, ``r_max``, ``f_min``, ``f_max``, ``m_min``,
        ``m_max``, ``cells`` (number of score cells the row covers). Passing it back as
        ``rules`` gives the same table.

    Examples
    --------
    >>> int(rule_table("china")["cells"].sum())
    125
    """
    rules = check_rules(rules, bins=bins)
    b = _bounds(rules, bins)
    out = pd.DataFrame({
        "key": [r.key for r in rules],
        "r_min": b[:, 0, 0], "r_max": b[:, 0, 1], "f_min": b[:, 1, 0], "f_max": b[:, 1, 1],
        "m_min": b[:, 2, 0], "m_max": b[:, 2, 1],
    })
    out["cells"] = np.prod(b[:, :, 1] - b[:, :, 0] + 1, axis=1)
    return out


# ---------------------------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------------------------

def _quantile_scores(values: np.ndarray, id_rank: np.ndarray, bins: int) -> np.ndarray:
    """Scores 1..bins of equal-sized groups after sorting by value, then by customer id."""
    n = len(values)
    order = np.lexsort((id_rank, values))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    return pos * bins // n + 1


def rfm_scores(
    summary: pd.DataFrame,
    *,
    recency_col: str = "last_purchase",
    frequency_col: str = "orders",
    monetary_col: str = "sales",
    as_of: object = None,
    bins: int = RFM_BINS,
) -> pd.DataFrame:
    """Score customers 1..``bins`` on recency, frequency and monetary value.

    Parameters
    ----------
    summary : DataFrame
        One row per customer, indexed by customer id, e.g. ``crm_lib.summary.totals(transactions,
        as_of=as_of)``.
    recency_col : str, default "last_purchase"
        Date of the last purchase (then ``as_of`` is required and recency is the number of days
        from it to ``as_of``), or a number of days since the last purchase.
    frequency_col : str, default "orders"
        Number of purchases (orders, purchase days ...).
    monetary_col : str, default "sales"
        Value bought (net sales, gross profit ...).
    as_of : date-like, optional
        The analysis date; required when ``recency_col`` holds dates.
    bins : int, default 5
        Number of score levels (2 to 9).

    Returns
    -------
    DataFrame
        Indexed like ``summary`` (same order; customers that cannot be scored are left out), with
        columns ``recency_days``, ``frequency``, ``monetary`` (the inputs), ``r_score``,
        ``f_score``, ``m_score`` (integers 1..bins; ``r_score`` is highest for the most recent
        buyers) and ``rfm_cell`` (the three scores as text, e.g. "545"). Groups are of equal
        size (within one customer); ties are broken by customer id (ascending: among equal
        values the smaller id gets the lower F or M score and, for recency, the lower R score).
        ``attrs``: ``bins``, ``as_of``, ``excluded`` (customers without a last purchase,
        frequency or monetary value, left out with a :class:`DataWarning`).

    Examples
    --------
    >>> s = pd.DataFrame({"recency_days": [3, 40, 10, 90, 5], "orders": [9, 1, 4, 2, 6],
    ...                   "sales": [900.0, 20.0, 300.0, 50.0, 400.0]},
    ...                  index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    >>> rfm_scores(s, recency_col="recency_days")["rfm_cell"].tolist()
    ['555', '211', '333', '122', '444']
    """
    bins = _check_bins(bins)
    require_columns(summary, [recency_col, frequency_col, monetary_col], table=_TABLE)
    if summary.index.has_duplicates:
        dup = summary.index.duplicated()
        n, ex = examples(pd.Series(summary.index, index=summary.index), dup)
        raise DataError(f"`{_TABLE}` must have one row per customer; {n} index values repeat "
                        f"({ex}). Summarise the transactions first (crm_lib.summary.totals).")
    rec = summary[recency_col]
    as_of_ts = None
    if as_of is not None:
        as_of_ts = to_timestamp(as_of, "as_of")
    if pd.api.types.is_datetime64_any_dtype(rec.dtype):
        if as_of_ts is None:
            raise DataError(f"`as_of` is needed to turn the dates in '{recency_col}' into days "
                            "since the last purchase.")
        dates = rec.dt.tz_localize(None) if isinstance(rec.dtype, pd.DatetimeTZDtype) else rec
        fail_rows(_TABLE, recency_col, rec, (dates > as_of_ts).to_numpy(),
                  f"on or before as_of={as_of_ts.date()}")
        recency = ((as_of_ts.normalize() - dates.dt.normalize()).dt.days).to_numpy(
            dtype=np.float64, na_value=np.nan)
    else:
        recency = _numbers(summary, recency_col)
        fail_rows(_TABLE, recency_col, rec, recency < 0, ">= 0 (days since the last purchase)")
    freq = _numbers(summary, frequency_col)
    money = _numbers(summary, monetary_col)
    bad = np.isnan(recency) | np.isnan(freq) | np.isnan(money)
    excluded = int(bad.sum())
    if excluded:
        _, ex = examples(pd.Series(summary.index, index=summary.index), bad)
        warnings.warn(f"{excluded} customer{'s' if excluded != 1 else ''} of `{_TABLE}` cannot be "
                      f"scored (no last purchase, frequency or monetary value) and are left out "
                      f"({ex}).", DataWarning, stacklevel=2)
    keep = ~bad
    if not keep.any():
        raise DataError(f"`{_TABLE}` has no customer to score (it has {len(summary)} rows, none "
                        "with a last purchase, a frequency and a monetary value).")
    index = summary.index[keep]
    recency, freq, money = recency[keep], freq[keep], money[keep]
    id_rank = np.empty(len(index), dtype=np.int64)
    id_rank[index.argsort(kind="stable")] = np.arange(len(index))
    r = _quantile_scores(-recency, id_rank, bins)
    f = _quantile_scores(freq, id_rank, bins)
    m = _quantile_scores(money, id_rank, bins)
    out = pd.DataFrame({
        "recency_days": recency, "frequency": freq, "monetary": money,
        "r_score": r, "f_score": f, "m_score": m,
    }, index=index)
    out["rfm_cell"] = pd.array(_cell_strings(r, f, m), dtype="str")
    out.attrs.update(bins=bins, as_of=as_of_ts, excluded=excluded)
    return out


def score_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers per score level of each of R, F and M (long format, every level included).

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`rfm_scores`.

    Returns
    -------
    DataFrame
        ``3 * bins`` rows: ``measure`` ("r_score", "f_score", "m_score"), ``score`` (1..bins),
        ``customers``, ``share`` (within the measure; each measure's shares sum to 1).

    Examples
    --------
    >>> sc = pd.DataFrame({"r_score": [1, 2], "f_score": [1, 1], "m_score": [2, 2]})
    >>> score_distribution(sc).query("measure == 'f_score'")["customers"].tolist()
    [2, 0, 0, 0, 0]
    """
    require_columns(scores, list(_SCORE_COLS), table="rfm scores",
                    hint="Compute them with crm_lib.rfm.rfm_scores.")
    bins = _check_bins(scores.attrs.get("bins", RFM_BINS))
    arrays = _scores_array(scores, bins)
    counts = np.concatenate([np.bincount(a - 1, minlength=bins) for a in arrays])
    n = max(len(scores), 1)
    return pd.DataFrame({
        "measure": pd.array(np.repeat(_SCORE_COLS, bins), dtype="str"),
        "score": np.tile(np.arange(1, bins + 1), 3),
        "customers": counts,
        "share": counts / n,
    })


def _numbers(df: pd.DataFrame, col: str) -> np.ndarray:
    return numeric(df, col, table=_TABLE)


# ---------------------------------------------------------------------------------------------
# segments
# ---------------------------------------------------------------------------------------------

_SCORE_COLS = ("r_score", "f_score", "m_score")


def _scores_array(scores: pd.DataFrame, bins: int) -> tuple[np.ndarray, ...]:
    require_columns(scores, list(_SCORE_COLS), table="rfm scores",
                    hint="Compute them with crm_lib.rfm.rfm_scores.")
    out = []
    for col in _SCORE_COLS:
        v = _numbers(scores, col) if len(scores) else np.zeros(0)
        fail_rows("rfm scores", col, scores[col],
                  np.isnan(v) | (v != np.floor(v)) | (v < 1) | (v > bins),
                  f"an integer score from 1 to {bins}")
        out.append(v.astype(np.int64))
    return tuple(out)


def rfm_segments(scores: pd.DataFrame, rules: object = None, lang: object = None) -> pd.DataFrame:
    """Name each customer's segment from its R, F and M scores with a rule table.

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`rfm_scores` (columns ``r_score``, ``f_score``, ``m_score``).
    rules : "standard", "china", DataFrame or sequence of SegmentRule, optional
        Default :data:`STANDARD_SEGMENTS`; validated with :func:`check_rules` for the number of
        score levels of ``scores`` (``attrs["bins"]``, else 5).
    lang : ignored
        Deprecated (warns): segments are keys, translated where they are shown.

    Returns
    -------
    DataFrame
        A copy of ``scores`` with ``segment_key`` and ``segment`` (both the segment's key, e.g.
        "rfm_champions"; ``segment`` is kept for existing callers); ``attrs["segments"]`` lists
        the keys in the table's order.

    Examples
    --------
    >>> sc = pd.DataFrame({"r_score": [5, 1], "f_score": [5, 1], "m_score": [5, 5]})
    >>> rfm_segments(sc)["segment"].tolist()
    ['rfm_champions', 'rfm_lost']
    >>> rfm_segments(sc, "china")["segment"].tolist()
    ['rfm_important_value', 'rfm_important_winback']
    """
    _ignore_lang(lang)
    require_columns(scores, list(_SCORE_COLS), table="rfm scores",
                    hint="Compute them with crm_lib.rfm.rfm_scores.")
    bins = _check_bins(scores.attrs.get("bins", RFM_BINS))
    r, f, m = _scores_array(scores, bins)
    rules = check_rules(rules, bins=bins)
    key = _lookup(rules, bins)
    idx = _cell_index(r, f, m, bins)
    out = scores.copy()
    out["segment_key"] = pd.array(key[idx], dtype="str")
    out["segment"] = pd.array(key[idx], dtype="str")
    out.attrs.update(segments=_segment_keys(rules), rules=rules)
    return out


def segment_summary(segments: pd.DataFrame, rules: object = None,
                    lang: object = None) -> pd.DataFrame:
    """Size, value and average scores of each segment.

    Parameters
    ----------
    segments : DataFrame
        The result of :func:`rfm_segments` (``segment_key``, scores, ``recency_days``,
        ``frequency``, ``monetary``).
    rules : optional
        The rule table used for ``segments`` (default: the one recorded in its ``attrs``, else
        :data:`STANDARD_SEGMENTS`); gives the order of the rows and the names.
    lang : ignored
        Deprecated (warns): segments are keys, translated where they are shown.

    Returns
    -------
    DataFrame
        One row per segment of the table, in its order, including empty segments: ``segment_key``,
        ``segment`` (the key too), ``customers``, ``share`` (of customers), ``sales`` (sum of ``monetary``),
        ``sales_share``, ``recency_days``, ``frequency``, ``monetary`` (means), ``r_score``,
        ``f_score``, ``m_score`` (mean scores; NaN for an empty segment). Shares sum to 1.

    Examples
    --------
    >>> sc = pd.DataFrame({"recency_days": [1.0, 99.0], "frequency": [9.0, 1.0],
    ...                    "monetary": [90.0, 10.0], "r_score": [5, 1], "f_score": [5, 1],
    ...                    "m_score": [5, 1]})
    >>> t = segment_summary(rfm_segments(sc))
    >>> t.loc[t["customers"] > 0, ["segment", "customers", "sales_share"]].to_dict("list")
    {'segment': ['rfm_champions', 'rfm_lost'], 'customers': [1, 1], 'sales_share': [0.9, 0.1]}
    """
    _ignore_lang(lang)
    if rules is None:
        rules = segments.attrs.get("rules") if isinstance(segments, pd.DataFrame) else None
    bins = segments.attrs.get("bins", RFM_BINS) if isinstance(segments, pd.DataFrame) else RFM_BINS
    rules = check_rules(rules, bins=_check_bins(bins))
    cols = ["segment_key", "recency_days", "frequency", "monetary", *_SCORE_COLS]
    require_columns(segments, cols, table="rfm segments",
                    hint="Compute them with crm_lib.rfm.rfm_scores and rfm_segments.")
    keys = _segment_keys(rules)
    unknown = ~segments["segment_key"].isin(keys).to_numpy()
    fail_rows("rfm segments", "segment_key", segments["segment_key"], unknown,
              f"one of the rule table's segments {keys}")
    g = segments.groupby("segment_key", sort=False)
    out = pd.DataFrame(index=pd.Index(keys, name="segment_key"))
    out["segment"] = keys
    out["customers"] = g.size().reindex(keys, fill_value=0).astype(np.int64)
    out["share"] = out["customers"] / max(len(segments), 1)
    out["sales"] = g["monetary"].sum().reindex(keys, fill_value=0.0)
    total = float(segments["monetary"].sum())
    out["sales_share"] = out["sales"] / total if total else np.nan
    means = g[["recency_days", "frequency", "monetary", *_SCORE_COLS]].mean().reindex(keys)
    out = out.join(means.astype(np.float64))
    out = out.reset_index()
    out["segment"] = out["segment"].astype("str")
    return out


def rfm_grid(scores: pd.DataFrame, rules: object = None, lang: object = None) -> pd.DataFrame:
    """Customers and value on the R x F grid (every cell, empty ones included).

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`rfm_scores` (or :func:`rfm_segments`).
    rules : optional
        A rule table; ``segment`` names a cell when the table gives all of its M levels the
        same segment (as the standard table does), else it is empty. Default: the table
        recorded by :func:`rfm_segments`, else :data:`STANDARD_SEGMENTS`.
    lang : ignored
        Deprecated (warns): ``segment`` holds keys, translated where they are shown.

    Returns
    -------
    DataFrame
        ``bins * bins`` rows ordered by R descending then F ascending: ``r_score``, ``f_score``,
        ``customers``, ``share``, ``monetary`` (mean), ``sales`` (sum of ``monetary``),
        ``segment`` (a key, or empty).

    Examples
    --------
    >>> sc = pd.DataFrame({"monetary": [5.0, 7.0], "r_score": [5, 5], "f_score": [1, 1],
    ...                    "m_score": [2, 3]})
    >>> g = rfm_grid(sc)
    >>> g.loc[(g.r_score == 5) & (g.f_score == 1), ["customers", "sales", "segment"]].values.tolist()
    [[2, 12.0, 'rfm_new']]
    """
    require_columns(scores, [*_SCORE_COLS, "monetary"], table="rfm scores",
                    hint="Compute them with crm_lib.rfm.rfm_scores.")
    _ignore_lang(lang)
    bins = _check_bins(scores.attrs.get("bins", RFM_BINS))
    r, f, _ = _scores_array(scores, bins)
    money = _numbers(scores, "monetary")
    cell = (r - 1) * bins + (f - 1)
    count = np.bincount(cell, minlength=bins * bins)
    sales = np.bincount(cell, weights=money, minlength=bins * bins)
    s = np.arange(1, bins + 1)
    rr, ff = (a.ravel() for a in np.meshgrid(s, s, indexing="ij"))
    out = pd.DataFrame({"r_score": rr, "f_score": ff, "customers": count})
    out["share"] = count / max(len(scores), 1)
    out["monetary"] = np.divide(sales, count, out=np.full(len(count), np.nan), where=count > 0)
    out["sales"] = sales
    rules = check_rules(rules if rules is not None else scores.attrs.get("rules"), bins=bins)
    name = _lookup(rules, bins)
    per_cell = name.reshape(bins * bins, bins)  # (r, f) rows, m columns
    same = (per_cell == per_cell[:, :1]).all(axis=1)
    out["segment"] = pd.array(np.where(same, per_cell[:, 0], ""), dtype="str")
    out = out.sort_values(["r_score", "f_score"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)
