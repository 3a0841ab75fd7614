"""Charts of the tiering notebook: ABC Pareto curve, the customer pyramid, tier migration,
key accounts and service levels by tier. They draw the frames that :mod:`crm_lib.tiering`
returns and compute no analysis results."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_lib._errors import DataError, require_columns, require_one_of
from crm_lib.labels import LANGS, color_for, format_values, label
from crm_lib.plots._common import style_figure
from crm_lib.plots._shared import _t
from crm_lib.tiering import CRITERIA_SEPARATOR, KEY_ACCOUNT_CRITERIA

__all__ = [
    "abc_pareto",
    "abc_summary_bars",
    "pyramid_chart",
    "migration_heatmap",
    "migration_sankey",
    "key_account_bars",
    "localize_criteria",
    "criteria_text",
    "service_level_bars",
    "tiering_verdict_note",
]

CLASS_COLORS = {c: color_for(c) for c in ("A", "B", "C")}
"""The ABC classes' colours (from :data:`crm_lib.labels.CATEGORY_COLORS`)."""


def abc_pareto(
    table: pd.DataFrame,
    *,
    cutoffs: Sequence[float] = (0.7, 0.9),
    value_name: str = "sales",
    lang: str = "en",
    title: str | None = "abc_pareto_title",
) -> go.Figure:
    """Pareto curve of an ABC ranking: cumulative share of value against share of customers.

    Parameters
    ----------
    table : DataFrame
        :func:`crm_lib.tiering.abc_table` (``customer_share``, ``cumulative_share``,
        ``abc_class``), sorted by rank.
    cutoffs : (float, float)
        Drawn as horizontal lines.
    value_name : str
        Catalogue key of the value (``"sales"`` or ``"gross_profit"``).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title (``{value}`` is filled with the value's label).

    Returns
    -------
    plotly Figure
        One line per class, coloured, with the cut-offs dashed.

    Examples
    --------
    >>> from crm_lib.tiering import abc_table
    >>> fig = abc_pareto(abc_table(pd.Series({"a": 7.0, "b": 2.0, "c": 1.0})))
    >>> [tr.name for tr in fig.data]
    ['A', 'B', 'C']
    """
    require_columns(table, ["customer_share", "cumulative_share", "abc_class"], table="abc table",
                    hint="Pass the result of crm_lib.tiering.abc_table.")
    fig = go.Figure()
    prev_x, prev_y = 0.0, 0.0
    for cls in ("A", "B", "C"):  # three classes
        part = table.loc[table["abc_class"] == cls]
        xs = [prev_x, *part["customer_share"].tolist()]
        ys = [prev_y, *part["cumulative_share"].tolist()]
        fig.add_trace(go.Scattergl(
            x=xs, y=ys, mode="lines", name=cls, fill="tozeroy",
            line={"color": CLASS_COLORS[cls], "width": 2},
            hovertemplate=f"{cls}: %{{x:.1%}} → %{{y:.1%}}<extra></extra>",
        ))
        if len(part):
            prev_x, prev_y = xs[-1], ys[-1]
    for c in cutoffs:
        fig.add_hline(y=float(c), line_dash="dash", line_color="#888",
                      annotation_text=f"{float(c):.0%}", annotation_position="right")
    fig.update_layout(
        xaxis={"title": {"text": _t("customer_rank_share", lang)}, "tickformat": ".0%",
               "range": [0, 1]},
        yaxis={"title": {"text": _t("cumulative_share", lang)}, "tickformat": ".0%",
               "range": [0, 1.02]},
        legend={"title": {"text": _t("abc_class", lang)}},
    )
    style_figure(fig, lang=lang)
    if title:
        fig.update_layout(title_text=_t(title, lang, value=label(value_name, lang)))
    return fig


def abc_summary_bars(
    summary: pd.DataFrame,
    *,
    value_name: str = "sales",
    lang: str = "en",
    title: str | None = "abc_summary_title",
) -> go.Figure:
    """Share of customers and share of value per ABC class, side by side.

    Parameters
    ----------
    summary : DataFrame
        :func:`crm_lib.tiering.abc_summary` (indexed by class).
    value_name : str
        The value column name used in the summary (``sales`` or ``gross_profit``).

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> from crm_lib.tiering import abc_summary
    >>> fig = abc_summary_bars(abc_summary(pd.Series({"a": 7.0, "b": 2.0, "c": 1.0})))
    >>> len(fig.data)
    2
    """
    share = f"{value_name}_share"
    require_columns(summary, ["customer_share", share], table="abc summary",
                    hint="Pass the result of crm_lib.tiering.abc_summary.")
    classes = [str(i) for i in summary.index]
    fig = go.Figure([
        go.Bar(x=classes, y=summary["customer_share"].tolist(), name=_t("customer_share", lang),
               texttemplate="%{y:.0%}"),
        go.Bar(x=classes, y=summary[share].tolist(), name=_t(share, lang),
               texttemplate="%{y:.0%}"),
    ])
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%"},
                      xaxis={"title": {"text": _t("abc_class", lang)}})
    return style_figure(fig, title=title, lang=lang)


def pyramid_chart(
    tiers: pd.DataFrame,
    *,
    value_col: str = "cumulative_sales",
    lang: str = "en",
    title: str | None = "pyramid_title",
) -> go.Figure:
    """The customer pyramid: one band per tier (best on top), width = number of customers.

    Parameters
    ----------
    tiers : DataFrame
        :func:`crm_lib.tiering.tier_summary` (indexed by tier, best first) with ``customers``
        and ``<value_col>_share``.
    value_col : str
        The value summarised (its share is printed on each band).

    Returns
    -------
    plotly Figure
        Each tier in its fixed colour; the label sits inside a band when it fits and beside it
        otherwise, never clipped at the edge of the chart.

    Examples
    --------
    >>> t = pd.DataFrame({"customers": [1, 9], "cumulative_sales_share": [0.4, 0.6]},
    ...                  index=pd.Index(["VIP", "small"], name="tier"))
    >>> list(pyramid_chart(t).data[0].y)
    ['VIP', 'Small']
    """
    share = f"{value_col}_share"
    require_columns(tiers, ["customers", share], table="tier summary",
                    hint="Pass the result of crm_lib.tiering.tier_summary.")
    names = [_t(str(t), lang) for t in tiers.index]
    counts = format_values(tiers["customers"].reset_index(drop=True), "integer", lang=lang)
    shares = format_values(tiers[share].fillna(0).reset_index(drop=True), "percent", lang=lang,
                           decimals=0)
    text = [f"{n} · {s} {_t(value_col, lang)}" for n, s in zip(counts, shares, strict=True)]
    colors = [color_for(t) for t in tiers.index]
    fig = go.Figure(go.Funnel(
        y=names, x=tiers["customers"].tolist(), text=text, textinfo="text", textposition="auto",
        insidetextanchor="middle", marker={"color": colors}, connector={"visible": False},
        cliponaxis=False, constraintext="none",
    ))
    fig.update_layout(yaxis={"title": {"text": _t("tier", lang)}},
                      margin={"l": 90, "r": 160, "t": 60, "b": 40})
    return style_figure(fig, title=title, lang=lang)


def migration_heatmap(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    title: str | None = "migration_count_title",
) -> go.Figure:
    """Customers by tier before (rows) and after (columns).

    Parameters
    ----------
    matrix : DataFrame
        :func:`crm_lib.tiering.migration_matrix`.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> m = pd.DataFrame([[1, 0], [2, 3]], index=["VIP", "small"], columns=["VIP", "small"])
    >>> migration_heatmap(m).data[0].z.tolist()
    [[1, 0], [2, 3]]
    """
    rows = [_t(str(i), lang) for i in matrix.index]
    cols = [_t(str(c), lang) for c in matrix.columns]
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(), x=cols, y=rows, colorscale="Blues", texttemplate="%{z}",
        hovertemplate="%{y} → %{x}: %{z}<extra></extra>",
    ))
    fig.update_layout(
        xaxis={"title": {"text": _t("tier_after", lang)}, "side": "top"},
        yaxis={"title": {"text": _t("tier_before", lang)}, "autorange": "reversed"},
    )
    return style_figure(fig, title=title, lang=lang)


def migration_sankey(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    title: str | None = "migration_title",
) -> go.Figure:
    """Sankey diagram of the tier migration (left: before, right: after).

    Parameters
    ----------
    matrix : DataFrame
        :func:`crm_lib.tiering.migration_matrix`.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> m = pd.DataFrame([[1, 0], [2, 3]], index=["VIP", "small"], columns=["VIP", "small"])
    >>> list(migration_sankey(m).data[0].link.value)
    [1, 2, 3]
    """
    long = matrix.stack()
    long = long[long > 0]
    n = len(matrix.index)
    before = {t: i for i, t in enumerate(matrix.index)}
    after = {t: n + i for i, t in enumerate(matrix.columns)}
    src = [before[b] for b, _ in long.index]
    dst = [after[a] for _, a in long.index]
    node_labels = [_t(str(t), lang) for t in matrix.index] + [_t(str(t), lang) for t in matrix.columns]
    colors = [color_for(t) for t in matrix.index] + [color_for(t) for t in matrix.columns]
    fig = go.Figure(go.Sankey(
        node={"label": node_labels, "color": colors, "pad": 12},
        link={"source": src, "target": dst, "value": [int(v) for v in long.tolist()]},
    ))
    return style_figure(fig, title=title, lang=lang)


def key_account_bars(
    accounts: pd.DataFrame,
    *,
    criteria: Sequence[str] = ("profit_leader", "target_critical", "growth_room", "loss_impact",
                               "time_intensive"),
    lang: str = "en",
    title: str | None = "key_account_criteria_title",
) -> go.Figure:
    """Customers meeting each key-account criterion, split into key accounts and the rest.

    Parameters
    ----------
    accounts : DataFrame
        :func:`crm_lib.tiering.key_accounts`.
    criteria : sequence of str
        The criterion columns.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> ka = pd.DataFrame({"profit_leader": [True, True], "is_key_account": [True, False]})
    >>> [list(t.y) for t in key_account_bars(ka, criteria=["profit_leader"]).data]
    [[1], [1]]
    """
    crit = list(criteria)
    require_columns(accounts, [*crit, "is_key_account"], table="key accounts",
                    hint="Pass the result of crm_lib.tiering.key_accounts.")
    key = accounts["is_key_account"].astype(bool)
    names = [_t(c, lang) for c in crit]
    fig = go.Figure([
        go.Bar(x=names, y=accounts.loc[key, crit].sum().astype(int).tolist(),
               name=_t("is_key_account", lang)),
        go.Bar(x=names, y=accounts.loc[~key, crit].sum().astype(int).tolist(),
               name=_t("other", lang)),
    ])
    fig.update_layout(barmode="stack", yaxis={"title": {"text": _t("customers", lang)}})
    return style_figure(fig, title=title, lang=lang)


def criteria_text(
    accounts: pd.DataFrame,
    *,
    lang: str = "en",
    criteria: Sequence[str] = KEY_ACCOUNT_CRITERIA,
) -> pd.Series:
    """The key-account criteria each customer meets, written out, from the flag columns.

    :func:`crm_lib.tiering.key_accounts` has one boolean column per criterion; this joins the
    names of the true ones in the report language (``criteria_separator``: ``", "`` / ``"、"``),
    with no string to split.

    Parameters
    ----------
    accounts : DataFrame
        With one boolean column per criterion.
    lang : {"en", "zh", "zh+en"}
    criteria : sequence of str, default :data:`crm_lib.tiering.KEY_ACCOUNT_CRITERIA`

    Returns
    -------
    Series
        Text per row, same index ("" for a customer meeting none).

    Examples
    --------
    >>> ka = pd.DataFrame({"profit_leader": [True, False], "target_critical": [False, False],
    ...                    "growth_room": [False, False], "loss_impact": [True, False],
    ...                    "time_intensive": [False, False]})
    >>> criteria_text(ka, lang="zh").tolist()
    ['主要利润贡献者、流失影响严重', '']
    """
    require_one_of("lang", lang, LANGS)
    crit = list(criteria)
    require_columns(accounts, crit, table="key accounts",
                    hint="Pass the result of crm_lib.tiering.key_accounts.")
    sep = label("criteria_separator", lang)
    text = pd.Series("", index=accounts.index, dtype=object)
    for c in crit:  # a loop over the five criteria, not over customers
        part = np.where(accounts[c].fillna(False).astype(bool).to_numpy(),
                        label(c, lang) + sep, "")
        text = text + part
    return text.str.removesuffix(sep).astype("str")


def localize_criteria(
    accounts: pd.DataFrame,
    *,
    lang: str = "en",
    criteria_col: str = "criteria",
) -> pd.DataFrame:
    """The key-account table with its ``criteria`` column written out in the report language.

    :func:`crm_lib.tiering.key_accounts` keeps ``criteria`` as catalogue keys joined by
    :data:`crm_lib.tiering.CRITERIA_SEPARATOR` (``"profit_leader, loss_impact"``). A joined string
    is not a catalogue key, so :func:`crm_lib.labels.localize` (and :func:`table`) leave it as it
    is; this renders each key by the catalogue and joins the texts with the language's separator
    (catalogue key ``criteria_separator``: ``", "`` in English, ``"、"`` in Chinese). Call it before
    ``localize`` or ``table``. Only the display changes: the flag columns are untouched.

    Parameters
    ----------
    accounts : DataFrame
        :func:`crm_lib.tiering.key_accounts` (or any frame with the joined criterion keys, e.g.
        the card's ``key_account_criteria`` with ``criteria_col="key_account_criteria"``).
    lang : {"en", "zh"}
    criteria_col : str, default "criteria"
        The column of joined criterion keys.

    Returns
    -------
    DataFrame
        A new frame, same shape, index and row order, with ``criteria_col`` as text: empty stays
        empty, a missing value stays missing, and a value that is not a list of criterion keys
        (:data:`crm_lib.tiering.KEY_ACCOUNT_CRITERIA`) is left as it is.

    Examples
    --------
    >>> ka = pd.DataFrame({"criteria": ["profit_leader, loss_impact", ""]})
    >>> localize_criteria(ka, lang="zh")["criteria"].tolist()
    ['主要利润贡献者、流失影响严重', '']
    >>> localize_criteria(ka)["criteria"].tolist()
    ['Leading profit contributor, Loss would hurt badly', '']
    """
    require_one_of("lang", lang, LANGS)
    if not isinstance(accounts, pd.DataFrame):
        raise DataError(f"`accounts` must be a pandas DataFrame, got {type(accounts).__name__}.")
    require_columns(accounts, [criteria_col], table="key accounts",
                    hint="Pass the result of crm_lib.tiering.key_accounts.")
    if criteria_col == "criteria" and all(c in accounts.columns for c in KEY_ACCOUNT_CRITERIA):
        out = accounts.copy()  # the flags are there: write the text from them, split nothing
        out[criteria_col] = criteria_text(accounts, lang=lang)
        return out
    col = accounts[criteria_col]
    sep = label("criteria_separator", lang)
    split_on = CRITERIA_SEPARATOR.strip()
    known = set(KEY_ACCOUNT_CRITERIA)

    def render(value: object) -> object:
        keys = [k.strip() for k in str(value).split(split_on) if k.strip()]
        if not all(k in known for k in keys):
            return value  # not a list of criteria (e.g. another field of the card): unchanged
        return sep.join(label(k, lang) for k in keys)

    # one rendering per distinct combination (at most 2**5), not per customer
    texts = {v: render(v) for v in pd.unique(col.dropna())}
    out = accounts.copy()
    out[criteria_col] = col.map(texts).astype("str")
    return out


def service_level_bars(
    levels: pd.DataFrame,
    *,
    threshold_seconds: float = 20,
    lang: str = "en",
    title: str | None = "service_level_title",
) -> go.Figure:
    """Service level per service group (bars) against its target (markers).

    Parameters
    ----------
    levels : DataFrame
        :func:`crm_lib.tiering.service_levels` (indexed by service group, in queue order).
    threshold_seconds : float
        Shown in the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> lv = pd.DataFrame({"service_level": [0.8], "target": [0.9], "met": [False]},
    ...                   index=pd.Index(["VIP"], name="service_group"))
    >>> list(service_level_bars(lv).data[0].y)
    [0.8]
    """
    require_columns(levels, ["service_level", "target", "met"], table="service levels",
                    hint="Pass the result of crm_lib.tiering.service_levels.")
    groups = [_t(str(g), lang) for g in levels.index]
    met = levels["met"].astype("object")
    colors = [color_for("met") if m is True else color_for("missed") if m is False else "#9aa5ad"
              for m in met.tolist()]
    fig = go.Figure([
        go.Bar(x=groups, y=levels["service_level"].tolist(), name=_t("service_level", lang),
               marker={"color": colors}, texttemplate="%{y:.0%}"),
        go.Scatter(x=groups, y=levels["target"].tolist(), name=_t("target", lang),
                   mode="markers", marker={"symbol": "line-ew-open", "size": 30,
                                           "line": {"width": 3, "color": "#222"}}),
    ])
    fig.update_layout(yaxis={"tickformat": ".0%", "range": [0, 1.05]},
                      xaxis={"title": {"text": _t("service_group", lang)}})
    style_figure(fig, lang=lang)
    if title:
        fig.update_layout(title_text=_t(title, lang, seconds=f"{threshold_seconds:g}"))
    return fig


def tiering_verdict_note(verdict: pd.DataFrame, *, lang: str = "en"):
    """The verdict of :func:`crm_lib.tiering.tiering_verdict` as one sentence with its reasons.

    Parameters
    ----------
    verdict : DataFrame
        :func:`crm_lib.tiering.tiering_verdict` (``reason`` per condition, ``attrs["verdict"]``).
    lang : {"en", "zh"}

    Returns
    -------
    IPython.display.Markdown
        The verdict in bold, then the reason of each condition, in the conditions' order.

    Examples
    --------
    >>> v = pd.DataFrame({"reason": ["customers_per_rep_met", "repeat_purchase_met",
    ...     "value_spread_not_met"]}, index=pd.Index(["customers_per_rep", "repeat_purchase",
    ...     "value_spread"], name="condition"))
    >>> v.attrs["verdict"] = "tiering_partly_pays"
    >>> tiering_verdict_note(v).data.splitlines()[0]
    '**Tiering partly pays: two of the three conditions are met.**'
    """
    from IPython.display import Markdown

    require_columns(verdict, ["reason"], table="tiering verdict",
                    hint="Pass the result of crm_lib.tiering.tiering_verdict.")
    key = verdict.attrs.get("verdict")
    if key is None:
        raise DataError("`verdict` has no attrs['verdict']: pass the result of "
                        "crm_lib.tiering.tiering_verdict.")
    stop = "。" if lang == "zh" else "."
    lines = [f"**{_t(key, lang)}{stop}**", ""]
    lines += [f"- {_t(r, lang)}{stop}" for r in verdict["reason"]]
    return Markdown("\n".join(lines))
