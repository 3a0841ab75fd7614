import importlib
import sys

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from crm_lib import plots
from crm_lib._errors import DataError
from crm_lib._notebook import interactive

QUALITY = pd.DataFrame({
    "table": ["customers", "transactions", "customers"],
    "check": ["missing_email", "negative_cost", "duplicate_id"],
    "severity": ["info", "warning", "error"],
    "rows": [12, 3, 2],
    "examples": ["rows 1, 2: empty, empty", "rows 4: -1", "rows 7, 9: 'C1', 'C1'"],
})


def test_generic_functions_are_reexported():
    for name in ["quality_table", "bar", "pareto", "heatmap", "line", "funnel", "quadrant_scatter",
                 "table"]:
        assert name in plots.__all__
        assert callable(getattr(plots, name))


def test_domain_modules_are_picked_up_and_clashes_refused(tmp_path, monkeypatch):
    pkg_dir = plots.__path__[0]
    extra = tmp_path / "_zz_test_domain.py"
    extra.write_text("__all__ = ['zz_chart']\ndef zz_chart():\n    return 1\n_hidden = 2\n")
    clash = tmp_path / "_zz_test_clash.py"
    monkeypatch.setattr(plots, "__path__", [pkg_dir, str(tmp_path)])
    try:
        found = plots._collect()
        assert found["zz_chart"]() == 1 and "_hidden" not in found
        clash.write_text("__all__ = ['bar']\nbar = 1\n")
        with pytest.raises(ImportError, match="'bar' is exported by both _common and _zz_test_clash"):
            plots._collect()
    finally:
        for mod in ["crm_lib.plots._zz_test_domain", "crm_lib.plots._zz_test_clash"]:
            sys.modules.pop(mod, None)
    importlib.invalidate_caches()


def test_quality_table_orders_by_severity_and_translates():
    before = QUALITY.copy()
    fig = plots.quality_table(QUALITY, lang="zh")
    pd.testing.assert_frame_equal(QUALITY, before)
    t = fig.data[0]
    assert t.header.values == ("数据表", "检查项", "严重程度", "行数", "示例")
    assert list(t.cells.values[2]) == ["错误", "警告", "提示"]
    assert list(t.cells.values[1]) == ["duplicate_id", "negative_cost", "missing_email"]
    assert fig.layout.title.text == "数据质量报告"
    assert list(t.cells.fill.color[0]) == ["#f8d7d4", "#fdf0d0", "#e8f1f8"]


def test_quality_table_empty_says_so():
    fig = plots.quality_table(QUALITY.iloc[:0], lang="en")
    assert list(fig.data[0].cells.values[0]) == ["No data-quality issues found."]


def test_quality_table_requires_columns():
    with pytest.raises(DataError, match=r"Column 'examples' not found in `quality`.*Pass `Dataset.quality`"):
        plots.quality_table(QUALITY.drop(columns="examples"))


def test_table_escapes_customer_text_and_formats_numbers():
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "A & B"], "sales": [1234.56, np.nan],
                       "orders": [3, 4], "date": pd.to_datetime(["2026-01-02", "2026-03-04"])})
    fig = plots.table(df, lang="en")
    cells = fig.data[0].cells.values
    assert list(cells[0]) == ["&lt;script&gt;alert(1)&lt;/script&gt;", "A &amp; B"]
    assert list(cells[1]) == ["¥1,235", ""]  # an amount: the currency, no cents above 100
    assert list(cells[2]) == ["3", "4"]
    assert list(cells[3]) == ["2026-01-02", "2026-03-04"]
    assert "<script>" not in fig.to_json()


def test_table_truncates_with_a_note():
    fig = plots.table(pd.DataFrame({"orders": range(60)}), max_rows=10, lang="zh")
    col = list(fig.data[0].cells.values[0])
    assert len(col) == 11 and col[-1] == "…… 另有 50 行"
    with pytest.raises(DataError, match="`max_rows` must be at least 1, got 0"):
        plots.table(pd.DataFrame({"a": [1]}), max_rows=0)


def test_table_shows_named_index():
    df = pd.DataFrame({"sales": [1.0]}, index=pd.Index(["C1"], name="customer_id"))
    assert plots.table(df).data[0].header.values == ("Customer ID", "Sales")


def test_bar_labels_and_values_by_language():
    df = pd.DataFrame({"kind": ["company", "individual"], "sales": [5.0, 3.0]})
    fig = plots.bar(df, x="kind", y="sales", lang="zh", title="customers_by_kind")
    assert fig.layout.xaxis.title.text == "客户类型" and fig.layout.yaxis.title.text == "销售额"
    assert list(fig.data[0].x) == ["企业客户", "个人客户"]
    assert fig.layout.title.text == "按类型划分的客户数"
    assert fig.layout.template.layout.font.family.startswith('"Noto Sans"')


def test_bar_escapes_category_values_and_reports_missing_column():
    df = pd.DataFrame({"name": ["<b>x</b>"], "sales": [1.0]})
    assert list(plots.bar(df, x="name", y="sales").data[0].x) == ["&lt;b&gt;x&lt;/b&gt;"]
    with pytest.raises(DataError, match=r"Column 'amount' not found in `bar chart data`"):
        plots.bar(df, x="name", y="amount")


def test_pareto_hand_computed():
    df = pd.DataFrame({"category": ["a", "b", "c"], "sales": [2.0, 6.0, 2.0]})
    fig = plots.pareto(df, x="category", y="sales")
    assert list(fig.data[0].x) == ["b", "a", "c"]
    np.testing.assert_allclose(fig.data[1].y, [0.6, 0.8, 1.0])
    assert fig.layout.yaxis2.title.text == "Cumulative share"


def test_heatmap_grid_and_duplicate_pairs():
    d = pd.DataFrame({"recency": [2, 2, 1], "frequency": [1, 2, 1], "count": [5, 6, 7]})
    fig = plots.heatmap(d, x="frequency", y="recency", z="count", lang="zh")
    np.testing.assert_array_equal(fig.data[0].z, [[5, 6], [7, np.nan]])
    assert fig.layout.xaxis.title.text == "购买频次"
    with pytest.raises(DataError, match=r"one row per \('frequency', 'recency'\) pair; 1 rows repeat"):
        plots.heatmap(pd.concat([d, d.iloc[:1]]), x="frequency", y="recency", z="count")


def test_line_one_and_several_measures():
    d = pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-02-01"] * 2),
                      "kind": ["company"] * 2 + ["individual"] * 2, "sales": [1.0, 2.0, 3.0, 4.0],
                      "gross_profit": [0.1, 0.2, 0.3, 0.4]})
    fig = plots.line(d, x="period", y="sales", color="kind", lang="zh")
    assert sorted(t.name for t in fig.data) == ["个人客户", "企业客户"]
    fig2 = plots.line(d[d["kind"] == "company"], x="period", y=["sales", "gross_profit"], lang="zh")
    assert [t.name for t in fig2.data] == ["销售额", "毛利"]
    assert fig2.layout.xaxis.tickformat == "%Y年%-m月"  # no English month names
    assert plots.line(d, x="period", y="sales", lang="en").layout.xaxis.tickformat == "%Y-%m"
    with pytest.raises(DataError, match="`color` can only split a single `y`"):
        plots.line(d, x="period", y=["sales", "gross_profit"], color="kind")


def test_funnel_and_quadrant_scatter():
    f = plots.funnel(pd.DataFrame({"stage": ["customers", "orders"], "count": [10, 4]}),
                     stage="stage", value="count", lang="zh")
    assert list(f.data[0].y) == ["客户", "订单数"]
    d = pd.DataFrame({"sales": [1.0, 2.0, 10.0], "gross_profit": [3.0, 1.0, 2.0],
                      "name": ["a", "<i>b</i>", "c"]})
    q = plots.quadrant_scatter(d, x="sales", y="gross_profit", text="name", lang="en")
    lines = [s for s in q.layout.shapes if s.type == "line"]
    assert lines[0].x0 == 2.0 and lines[1].y0 == 2.0  # medians
    assert "&lt;i&gt;b&lt;/i&gt;" in list(q.data[0].hovertext)
    assert {a.text for a in q.layout.annotations} == {"High / high", "High x / low y", "Low x / high y",
                                                      "Low / low"}
    q2 = plots.quadrant_scatter(d, x="sales", y="gross_profit", x_split=5, y_split=0)
    assert [s.x0 for s in q2.layout.shapes if s.type == "line"][0] == 5.0


def test_every_figure_uses_template():
    d = pd.DataFrame({"kind": ["company"], "sales": [1.0]})
    free = pd.DataFrame({"region": ["Atlantis"], "sales": [1.0]})
    assert plots.bar(free, x="region", y="sales").data[0].marker.color == "#1f5f8b"  # not plotly's blue
    for fig in [plots.bar(d, x="kind", y="sales"), plots.table(d), plots.quality_table(QUALITY)]:
        assert isinstance(fig, go.Figure)
        assert fig.layout.template.layout.colorway[0] == "#1f5f8b"


def test_interactive_false_in_tests(monkeypatch):
    assert interactive() is False
    monkeypatch.delenv("CRM_WORKBOOK_BATCH")
    assert interactive() is False  # no IPython kernel in the test process
