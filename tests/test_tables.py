import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crm_lib as crm
from crm_lib import tables
from crm_lib._errors import DataError


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S) for r in rows]


# ------------------------------------------------------------- the two wrong tables of 10_

def test_unit_cost_table_names_each_item_with_its_cost():
    # what the notebook built: a read-only mapping taken as a list of its keys
    wrong = pd.DataFrame({"unit_cost_value": crm.customers.UNIT_COSTS})
    assert wrong.index.tolist() == [0, 1, 2, 3]
    assert wrong["unit_cost_value"].tolist() == ["service_call", "complaint", "return_line", "visit"]
    # the library table: the item names in the first column, the costs in the second
    t = tables.parameter_table(crm.customers.UNIT_COSTS, name="unit_cost_item",
                               value="unit_cost_value")
    assert t.to_dict("list") == {
        "unit_cost_item": ["service_call", "complaint", "return_line", "visit"],
        "unit_cost_value": [5.0, 80.0, 15.0, 120.0]}
    rows = _cells(tables.render(t, lang="zh"))
    assert rows[0] == ["成本项目", "单位成本"]
    assert rows[1:] == [["服务电话", "¥5.00"], ["投诉", "¥80.00"], ["退货行", "¥15.00"],
                        ["拜访", "¥120.00"]]
    en = _cells(tables.render(t, lang="en", currency="USD"))
    assert en[0] == ["Cost item", "Unit cost"] and en[4] == ["Visit", "$120.00"]


def test_lifecycle_rule_table_names_each_rule():
    rules = {**crm.customers.LIFECYCLE_RULES, "new_months": 3, "at_risk_factor": 2.5}
    # what the notebook showed: the values alone (the names sat in an unnamed, hidden index)
    assert crm.plots.table(pd.DataFrame({"value": rules})).data[0].header.values == ("Value",)
    t = tables.parameter_table(rules, name="lifecycle_rule")
    assert t["lifecycle_rule"].tolist() == ["new_months", "at_risk_factor", "lost_factor",
                                            "min_interval_days", "default_interval_days",
                                            "loyal_periods", "loyal_years"]
    assert t["value"].tolist() == [3.0, 2.5, 4.0, 30.0, 90.0, 12.0, 2.0]
    rows = _cells(tables.render(t, lang="zh"))
    assert rows[0] == ["生命周期规则", "数值"]
    assert rows[1][0] == "新客户：首次购买距今不超过（月）" and rows[2][0].startswith("有流失风险")
    assert [r[1] for r in rows[1:]] == ["3", "2.5", "4", "30", "90", "12", "2"]
    assert len(rows) == 8  # seven rules, each with its name


NOTEBOOK_10 = Path(__file__).resolve().parents[1] / "notebooks" / "10_customer_analysis.ipynb"


def _run_notebook_cell(marker: str, lang: str, **parameters):
    """Run the code cell of 10_customer_analysis that contains ``marker``, as the notebook runs it
    (after its parameters cell, with ``crm`` and ``plots`` imported), and return the value of its
    last expression (the table the report shows)."""
    cells = [c for c in json.loads(NOTEBOOK_10.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code"]
    params = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
    found = [c for c in cells if marker in "".join(c["source"])]
    assert len(found) == 1, f"{marker!r} should be in exactly one cell of {NOTEBOOK_10.name}"
    ns: dict = {"crm": crm, "plots": crm.plots}
    exec("".join(params["source"]), ns)  # the defaults, as papermill leaves them
    ns.update(lang=lang, **parameters)  # as papermill injects them
    tree = ast.parse("".join(found[0]["source"]))
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "the cell should end with the table it shows"
    exec(compile(tree, NOTEBOOK_10.name, "exec"), ns)
    return eval(compile(ast.Expression(last.value), NOTEBOOK_10.name, "eval"), ns), ns


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_10_unit_cost_table_as_the_notebook_builds_it(lang):
    fig, _ = _run_notebook_cell("UNIT_COSTS", lang)
    header, cells = fig.data[0].header.values, fig.data[0].cells.values
    costs = crm.customers.UNIT_COSTS
    assert header == tuple(crm.labels.label(k, lang) for k in ("unit_cost_item", "unit_cost_value"))
    assert header == {"en": ("Cost item", "Unit cost"), "zh": ("成本项目", "单位成本")}[lang]
    # the item names in the item column (not 0..3), the numbers in the value column
    assert list(cells[0]) == [crm.labels.label(k, lang) for k in costs]
    assert [float(re.sub(r"[^0-9.]", "", v)) for v in cells[1]] == list(costs.values())
    assert all(v.startswith("¥") for v in cells[1])
    assert fig.layout.title.text == crm.labels.label("unit_costs_title", lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_10_lifecycle_rule_table_as_the_notebook_builds_it(lang):
    fig, ns = _run_notebook_cell("name=\"lifecycle_rule\"", lang)
    header, cells = fig.data[0].header.values, fig.data[0].cells.values
    assert header == {"en": ("Lifecycle rule", "Value"), "zh": ("生命周期规则", "数值")}[lang]
    # the rules that still decide a stage (lost and at risk are churn's rule, the next table):
    # each by its name, with its value from the parameters or crm.customers.LIFECYCLE_RULES
    shown = ("new_months", "loyal_periods", "loyal_years")
    expected = {**crm.customers.LIFECYCLE_RULES, "new_months": ns["new_months"]}
    assert ns["new_months"] == crm.customers.LIFECYCLE_RULES["new_months"]  # the default
    assert list(cells[0]) == [crm.labels.label(k, lang) for k in shown]
    assert all(crm.labels.has_label(k) for k in shown)
    assert [float(v) for v in cells[1]] == [float(expected[k]) for k in shown]
    assert "at_risk_factor" not in ns["lifecycle_rules"]["lifecycle_rule"].tolist()
    # the report's parameter goes through: another new_months is shown as given
    fig3, _ = _run_notebook_cell("name=\"lifecycle_rule\"", lang, new_months=3)
    assert [float(v) for v in fig3.data[0].cells.values[1]] == [
        3.0, float(expected["loyal_periods"]), float(expected["loyal_years"])]


def test_parameter_table_keys_select_and_order_rules():
    rules = crm.customers.LIFECYCLE_RULES
    t = tables.parameter_table(rules, name="lifecycle_rule", keys=("loyal_years", "new_months"))
    assert t.to_dict("list") == {"lifecycle_rule": ["loyal_years", "new_months"],
                                 "value": [rules["loyal_years"], rules["new_months"]]}
    with pytest.raises(DataError, match="`keys` must name rules of `rules`, got 'span'"):
        tables.parameter_table(rules, keys=("new_months", "span"))
    with pytest.raises(DataError, match="`keys` must be a sequence of rule names, got 'new_months'"):
        tables.parameter_table(rules, keys="new_months")


def test_parameter_table_errors_and_input_unchanged():
    rules = {"a": 1}
    tables.parameter_table(rules)
    assert rules == {"a": 1}
    with pytest.raises(DataError, match="`rules` must be a mapping of rule names to values, got list"):
        tables.parameter_table([1, 2])
    with pytest.raises(DataError, match="`name` and `value` must differ, got 'x' for both"):
        tables.parameter_table(rules, name="x", value="x")


# ---------------------------------------------------------------------------- rendering

def test_render_formats_each_column_by_its_kind():
    df = pd.DataFrame({
        "customer_id": ["C1", "C2"], "name": ["<b>李</b>", "A & B"], "region": ["East", "North"],
        "customers": [1586.0, 12.0], "sales": [1234567.0, 2500.0], "sales_share": [0.52, 0.48],
        "acquired_on": pd.to_datetime(["2026-01-05", None]), "blacklisted": [True, False],
    })
    before = df.copy()
    html = tables.render(df, lang="zh", title="composition_title", by="地区")
    pd.testing.assert_frame_equal(df, before)
    rows = _cells(html)
    assert rows[0] == ["客户编号", "名称", "地区", "客户", "销售额", "销售额占比", "获得日期", "黑名单"]
    assert rows[1] == ["C1", "&lt;b&gt;李&lt;/b&gt;", "华东", "1,586", "¥1,234,567", "52%",
                       "2026年01月05日", "✓"]
    assert rows[2] == ["C2", "A &amp; B", "华北", "12", "¥2,500", "48%", "", ""]
    assert "<b>" not in html
    assert 'class="crm-table"' in html and "<caption>" in html
    # numbers right-aligned, text not
    first = re.findall(r"<td([^>]*)>", html)[:8]
    assert ["num" in a for a in first] == [False, False, False, True, True, True, False, False]


def test_render_truncates_and_shows_named_index():
    df = pd.DataFrame({"orders": np.arange(60)}, index=pd.Index([f"C{i}" for i in range(60)],
                                                                name="customer_id"))
    rows = _cells(tables.render(df, lang="en", max_rows=10))
    assert rows[0] == ["Customer ID", "Orders"]
    assert len(rows) == 12 and rows[-1][0] == "… 50 more rows"
    with pytest.raises(DataError, match="`max_rows` must be at least 1, got 0"):
        tables.render(df, max_rows=0)
    with pytest.raises(DataError, match="`df` must be a pandas DataFrame, got dict"):
        tables.render({"a": [1]})
    with pytest.raises(DataError, match=r"`lang` must be one of \['en', 'zh', 'zh\+en'\]"):
        tables.render(df, lang="fr")


def test_render_css_prints_without_scroll_boxes():
    html = tables.render(pd.DataFrame({"a": [1]}), css=True)
    assert html.startswith("<style>")
    assert "overflow: auto" not in tables.TABLE_CSS and "max-height" not in tables.TABLE_CSS
    assert "table-header-group" in tables.TABLE_CSS  # headers repeat on each printed page


def test_repeated_headers_stay_apart():
    # two columns whose texts coincide after translation
    df = pd.DataFrame({"segment": ["a"], "segment_key": ["b"]})
    rows = _cells(tables.render(df, lang="zh"))
    assert rows[0] == ["客户细分", "客户细分 (2)"]


# ------------------------------------------------------------------------- headline block

FIGURES = pd.DataFrame({
    "figure": ["customers", "sales", "churn_rate", "nps"],
    "value": [1586, 1_250_000.0, 0.05, 31.0],
    "previous": [1500, 1_300_000.0, 0.04, np.nan],
    "kind": ["integer", "currency", "percent", "number"],
    "better": ["up", "up", "down", "up"],
})


def test_headline_changes_hand_computed():
    out = headline_changes = tables.headline_changes(FIGURES)
    assert out["change"].tolist()[:3] == pytest.approx([86.0, -50_000.0, 0.01])
    # relative change for counts and amounts: 86/1500 = 5.73%, -50,000/1,300,000 = -3.85%
    assert out["change_ratio"].tolist()[:2] == pytest.approx([86 / 1500, -50_000 / 1_300_000])
    assert np.isnan(out["change_ratio"].iloc[2])  # a share changes in points, not in percent
    assert out["direction"].tolist() == ["up", "down", "up", ""]
    assert headline_changes["good"].tolist()[:3] == [True, False, False]
    assert pd.isna(out["good"].iloc[3])
    pd.testing.assert_frame_equal(FIGURES, FIGURES.copy())


def test_headline_block_per_language():
    zh = tables.headline_block(FIGURES, lang="zh", month="2026-10", css=False)
    assert '<div class="month">2026年10月</div>' in zh
    assert "1,586" in zh and "▲ +86 (5.7%) 较上月" in zh
    assert "¥1,250,000" in zh and "▼ -¥50,000 (3.8%) 较上月" in zh
    assert "▲ +1.0个百分点 较上月" in zh and "上月无数据" in zh
    assert zh.count('class="change good"') == 1 and zh.count('class="change bad"') == 2
    en = tables.headline_block(FIGURES, lang="en", month="2026-10", currency="USD")
    assert en.startswith("<style>") and "2026-10" in en
    assert "$1,250,000" in en and "▲ +1.0 pp on last month" in en
    assert re.search(r">Churn rate<", en)


def test_headline_block_escapes_and_validates():
    f = FIGURES.assign(figure=["<script>", "sales", "churn_rate", "nps"])
    assert "<script>" not in tables.headline_block(f, css=False)
    with pytest.raises(DataError, match="`figures` must have 3 to 6 rows .*got 2"):
        tables.headline_block(FIGURES.head(2))
    with pytest.raises(DataError, match="`figures` must have 3 to 6 rows .*got 8"):
        tables.headline_block(pd.concat([FIGURES, FIGURES]))
    with pytest.raises(DataError, match=r"Column 'kind' of `headline figures` must be one of"):
        tables.headline_block(FIGURES.assign(kind="money"))
    with pytest.raises(DataError, match=r"Column 'better' of `headline figures` must be 'up' or 'down'"):
        tables.headline_block(FIGURES.assign(better="left"))
    with pytest.raises(DataError, match=r"Column 'previous' not found in `headline figures`"):
        tables.headline_block(FIGURES.drop(columns="previous"))
