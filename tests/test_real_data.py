"""Exports nobody here generated: absent optional tables, short history, no costs, plain papermill.

The data are a small CDNOW-like log (tests/cdnow_like.py): customers and transactions only,
1997-01 to 1998-06, no costs, no products.
"""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import crm_lib as crm
from crm_lib import plots, report
from crm_lib._notebook import SKIPPED_MIME, accepts_absent, needs, optional, skip_reason, skipped

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cdnow_like  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory) -> Path:
    return cdnow_like.write(tmp_path_factory.mktemp("cdnow"), 300)


# --- the mechanism: skipped results and their notes -------------------------------------------------


def test_absent_table_gives_a_skipped_result_with_documented_columns():
    by_month = crm.satisfaction.satisfaction_by(None, by="month")
    assert skip_reason(by_month) == {"reason": "note_missing_table", "table": "surveys"}
    assert len(by_month) == 0 and {"nps", "csat", "small_group"} <= set(by_month.columns)
    # a table with a header only is computed (zero counts), not skipped
    assert skip_reason(crm.complaints.complaint_volume(
        pd.DataFrame({"complaint_id": [], "opened_at": pd.to_datetime([]), "category": []}))) is None
    # a skipped input is passed on, selections keep the reason
    reasons = crm.churn.churn_reasons(None)
    assert skip_reason(reasons.loc[reasons["share"] > 0].head(3)) == skip_reason(reasons)
    candidates = crm.customers.cross_sell_candidates(pd.DataFrame(), products=None)
    assert skip_reason(candidates.loc[candidates["candidate"].astype(bool)])["table"] == "products"


def test_a_chart_of_a_skipped_result_is_its_note_in_the_report_language():
    gaps = crm.satisfaction.quality_gaps(None)
    note = plots.gap_bars(gaps, lang="zh")
    bundle = note._repr_mimebundle_()
    assert bundle["text/plain"] == "数据中没有“满意度调查”表，本部分跳过。"
    assert bundle[SKIPPED_MIME]["reason"] == "note_missing_table"
    table = plots.table(gaps, lang="en", title="sat_gaps_title")._repr_mimebundle_()[SKIPPED_MIME]
    assert table["section"] == "Service-quality gaps by factor"
    # a title with a {by} placeholder is filled with the grouping column, as the chart would be
    by_region = crm.satisfaction.satisfaction_by(None, by="region")
    bars = plots.score_bars(by_region, x="region", lang="en", title="sat_nps_title")
    assert bars._repr_mimebundle_()[SKIPPED_MIME]["section"] == "NPS by region, with its 95% interval"
    bars = plots.score_bars(by_region, x="region", lang="zh", title="sat_nps_title")
    assert bars._repr_mimebundle_()[SKIPPED_MIME]["section"] == "按地区的净推荐值（NPS）及其95%置信区间"
    assert table["note"] == "The table “Surveys” is not in the data: this part is skipped."


def test_export_table_never_writes_a_skipped_result(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_WORKBOOK_EXPORT_DIR", str(tmp_path))
    crm.export_table(skipped("note_missing_table", columns=["a"], table="targets"), "t")
    crm.export_table(pd.DataFrame({"a": [1]}), "u")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.csv"]


def test_accepts_absent_leaves_present_tables_alone():
    @accepts_absent("surveys", columns=("n",))
    def count(surveys):
        return pd.DataFrame({"n": [len(surveys)]})

    assert count(pd.DataFrame({"x": [1, 2]}))["n"].tolist() == [2]
    assert skip_reason(count(pd.DataFrame({"x": [1, 2]}))) is None
    assert skip_reason(count(surveys=None))["reason"] == "note_missing_table"


def test_needs_and_optional():
    class Ds:
        products = None
        surveys = pd.DataFrame({"nps": [9]})

    needs(Ds, "surveys")
    with pytest.raises(crm.NotApplicable, match=r"Product margins needs the table\(s\) products"):
        needs(Ds, "products", "surveys", analysis="Product margins")
    assert skip_reason(optional(lambda: crm.summary.customer_summary(
        pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["1997-02-01"]), "amount": [1.0]}),
        as_of="1997-03-31", calibration_end="1996-12-31")))["reason"] == "note_failed_part"
    with pytest.raises(KeyError):  # a bug is not an optional part failing
        optional(lambda: {}["x"])


def test_tier_migration_is_skipped_when_the_history_is_short():
    tx = cdnow_like.transactions(50).assign(cost=float("nan"))  # as the loader gives a log without costs
    before = crm.tiering.pyramid_at(tx, as_of="1996-09-30")
    assert skip_reason(before) == {"reason": "note_short_history", "needs": "1996-09-30",
                                   "first": tx["date"].min().strftime("%Y-%m-%d")}
    after = crm.tiering.pyramid_at(tx, as_of="1997-09-30")
    assert skip_reason(after) is None and after["tier"].notna().all()
    migration = crm.tiering.tier_migration(before["tier"], after["tier"])
    assert skip_reason(crm.tiering.migration_matrix(migration))["reason"] == "note_short_history"
    # a year later the earlier pyramid exists and migration is computed
    moved = crm.tiering.tier_migration(after["tier"], crm.tiering.pyramid_at(tx, as_of="1998-06-30")["tier"])
    assert skip_reason(moved) is None and len(moved) == tx.loc[tx["date"] <= "1998-06-30", "customer_id"].nunique()


def test_product_ranking_of_complaints_without_products_is_skipped():
    c = pd.DataFrame({"customer_id": ["a", "b"], "category": ["quality", "service"],
                      "opened_at": pd.to_datetime(["1997-02-01", "1997-03-01"])})
    top = crm.complaints.top_complained(c, by="product_id")
    assert skip_reason(top) == {"reason": "note_missing_column", "column": "product_id", "table": "complaints"}
    assert crm.complaints.top_complained(c)["complaints"].tolist() == [1, 1]


# --- the batch's own checks --------------------------------------------------------------------------


def test_cli_parameters_are_typed_by_the_parameters_cell():
    clv = {"60_lifetime_value": NOTEBOOKS / "60_lifetime_value.ipynb", "20_tiering": NOTEBOOKS / "20_tiering.ipynb"}
    got = report.parse_cli_parameters(["penalizer=0.001", "holdout_months=3", "window_months=6",
                                       "abc_cutoffs=[0.6, 0.85]"], clv)
    assert got == {"60_lifetime_value": {"penalizer": 0.001, "holdout_months": 3},
                   "20_tiering": {"window_months": 6, "abc_cutoffs": [0.6, 0.85]}}
    assert isinstance(got["60_lifetime_value"]["holdout_months"], int)
    assert report.typed_value("flag", "No", "bool") is False and report.typed_value("m", "202610", "str") == "202610"
    with pytest.raises(report.BatchError, match=r"`-p holdout_months=six` must be int \(60_lifetime_value declares"):
        report.parse_cli_parameters(["holdout_months=six"], clv)
    with pytest.raises(report.BatchError, match=r"no notebook to run declares a parameter 'nope'"):
        report.parse_cli_parameters(["nope=1"], clv)
    with pytest.raises(report.BatchError, match=r"month is a shared parameter; use --month"):
        report.parse_cli_parameters(["month=1997-09"], clv)
    with pytest.raises(report.BatchError, match=r"`-p` takes name=value, got 'penalizer'"):
        report.parse_cli_parameters(["penalizer"], clv)


def test_card_file_names_are_distinct_and_safe():
    ids = ["C/1", "C_1", "C 1", "c_1", "C1", "c1", "../x", "客户1", "a" * 200]
    names = [report._safe_name(i) for i in ids]
    assert len({n.lower() for n in names}) == len(ids)
    assert all(re_ok(n) for n in names), names
    assert report._safe_name("c_1") == "c_1"


def re_ok(name: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,79}", name) is not None


def test_card_notebook_outside_the_notebook_folder_is_refused(tmp_path):
    cfg = tmp_path / "batch.yaml"
    cfg.write_text("cards: {notebook: ../evil}\n", encoding="utf-8")
    with pytest.raises(report.BatchError, match=r"`cards.notebook` must be the name of a notebook .*'../evil'"):
        report.read_config(cfg)


def test_stale_work_folders_are_cleaned_but_a_live_one_is_kept(tmp_path):
    dead = tmp_path / ".crm-report-dead"
    dead.mkdir()
    (dead / "pid").write_text("999999999", encoding="ascii")
    orphan = tmp_path / ".crm-report-nopid"
    orphan.mkdir()
    live = tmp_path / ".crm-report-live"
    live.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (live / "pid").write_text(str(proc.pid), encoding="ascii")
        removed = report._clean_stale_work(tmp_path)
    finally:
        proc.kill()
        proc.wait()
    assert sorted(p.name for p in removed) == [".crm-report-dead", ".crm-report-nopid"]
    assert live.is_dir() and not dead.exists()


def test_a_full_disk_is_one_line_and_exit_2(cdnow, tmp_path, monkeypatch, capsys):
    def full(job):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "x.html"))

    monkeypatch.setattr(report, "run_job", full)
    code = report.main(["--data", str(cdnow), "--out", str(tmp_path / "out"), "--month", "1997-09",
                        "--notebooks", "00_data_quality", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [f"crm-report: error: no space left while writing {tmp_path / 'out' / 'x.html'}; "
                                        "free some space and run again."]
    assert not list((tmp_path / "out").glob(".crm-report-*"))


# --- the batch on customers and transactions only ----------------------------------------------------


@pytest.mark.slow
def test_batch_on_customers_and_transactions_only(cdnow, tmp_path, capsys):
    out = tmp_path / "reports"
    code = report.main(["--data", str(cdnow), "--out", str(out), "--month", "1997-09", "--jobs", "2",
                        "--no-progress", "--cards", "top:1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    month = out / "1997-09"
    reports = json.loads((month / "manifest.json").read_text(encoding="utf-8"))["reports"]
    status = {k: v["status"] for k, v in reports.items()}
    assert set(status.values()) <= {"ok", "partial", "not_applicable"}, status
    assert status["30_products"] == "not_applicable"
    assert status["80_satisfaction"] == "not_applicable" and status["90_complaints"] == "not_applicable"
    assert "needs the table(s) products" in reports["30_products"]["error"]
    for name in ("20_tiering", "60_lifetime_value", "70_churn"):
        assert (month / f"{name}.html").is_file(), name
    assert status["20_tiering"] == "partial"
    notes = [s["note"] for s in reports["20_tiering"]["skipped"]]
    first = pd.read_csv(cdnow / "transactions.csv")["date"].min()
    assert f"This part needs transactions on or before 1996-09-30; the data start on {first}: it is skipped." in notes
    assert any("Service calls" in n for n in notes)
    page = (month / "20_tiering.html").read_text(encoding="utf-8")
    assert 'class="crm-skipped-sections"' in page and page.index("crm-skipped-sections") < page.index("plotly-graph-div")
    index = (month / "index.html").read_text(encoding="utf-8")
    assert "Not applicable" in index and "Partial" in index and "Skipped sections" in index
    assert "0 failed" in captured.out


# --- plain papermill, no workbook variable: never hangs --------------------------------------------


def _plain_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CRM_WORKBOOK") and k not in ("JPY_SESSION_NAME", "PLOTLY_RENDERER")}
    return env


def _papermill(src: Path, dst: Path, *params: str, timeout: int = 120) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "papermill", str(src), str(dst), "--cwd", str(NOTEBOOKS),
            "--execution-timeout", "90", "--no-progress-bar", "-k", report.KERNEL]
    for p in params:
        name, value = p.split("=", 1)
        args += ["-p", name, value]
    return subprocess.run(args, env=_plain_env(), capture_output=True, text=True, timeout=timeout)


def _widget_cells() -> list[str]:
    cells = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells += [c.source for c in nb.cells if c.cell_type == "code" and "crm.interactive()" in c.source]
    return cells


@pytest.mark.slow
def test_widget_cells_never_run_under_plain_papermill(tmp_path):
    """Every notebook's widget cell, twelve runs of plain papermill: none may stall (a one-in-ten
    stall would show in 12 runs with probability 1 - 0.9**12 = 72 %, in every notebook's cell)."""
    cells = _widget_cells()
    assert len(cells) >= 8
    nb = new_notebook(cells=[new_markdown_cell("# widgets"),
                             new_code_cell("import crm_lib as crm\nprint('interactive', crm.interactive())"),
                             *[new_code_cell(c) for c in cells]],
                      metadata={"kernelspec": {"name": report.KERNEL, "display_name": report.KERNEL,
                                               "language": "python"}})
    src = tmp_path / "widgets.ipynb"
    nbformat.write(nb, src)
    for n in range(12):
        done = _papermill(src, tmp_path / f"out{n}.ipynb", timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
    printed = nbformat.read(tmp_path / "out0.ipynb", as_version=4).cells[1].outputs[0]["text"]
    assert printed.strip() == "interactive False"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["20_tiering", "60_lifetime_value", "70_churn"])
def test_notebook_under_plain_papermill_on_a_short_history(name, cdnow, tmp_path):
    done = _papermill(NOTEBOOKS / f"{name}.ipynb", tmp_path / "out.ipynb", f"data_dir={cdnow}",
                      "month=1998-06")
    assert done.returncode == 0, done.stderr[-2000:]


# --- masking: names and phones inside free text, the email's domain, every output file -------------


def test_mask_text_finds_names_phones_and_emails_in_free_text():
    from crm_lib.data import mask_email, mask_text

    notes = pd.Series(["昆明安信科技有限公司 王经理 0871-14230826，邮件 wang@anxinkunming.com.cn",
                       "Visit Wang Wei, +86 138 1234 5678, order 12345 on 2026-03-01", None])
    out = mask_text(notes, names=pd.Series(["昆明安信科技有限公司", "Wang Wei", "王"])).tolist()
    assert out[0] == "昆********* 王经理 087****0826，邮件 w***@***.cn"  # a one-character name is ignored
    assert out[1] == "Visit W*** W**, 861****5678, order 12345 on 2026-03-01"
    assert pd.isna(out[2])
    assert mask_email(pd.Series(["s.li@anxinkunming.com.cn"])).tolist() == ["s***@***.cn"]


@pytest.mark.slow
def test_masked_batch_leaks_no_name_phone_or_email(tmp_path, capsys):
    from crm_lib import sample

    tables = sample.generate(120, seed=11, start="2025-01-01", end="2026-06-30")
    cust, inter = tables["customers"], tables["interactions"]
    top = tables["transactions"].groupby("customer_id")["amount"].sum().sort_values(ascending=False).index[:2]
    for cid in top:  # what a sales rep writes: the company's name, a landline, an address
        row = cust.loc[cust["customer_id"] == cid].iloc[0]
        idx = inter.index[inter["customer_id"] == cid]
        inter.loc[idx, "note"] = (f"Met {row['name']} at 0871-1423{cid[-4:]}, mail {row['email']}")
    tables["interactions"] = inter
    data = tmp_path / "data"
    sample.write(tables, data)
    out = tmp_path / "reports"
    code = report.main(["--data", str(data), "--out", str(out), "--month", "2026-05", "--mask-pii",
                        "--notebooks", "00_data_quality,10_customer_analysis,41_supervisor_review",
                        "--cards", "top:2", "--jobs", "2", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".csv", ".json"}
    assert len(list((out / "2026-05" / "cards").glob("*.html"))) == 2
    secrets = {*cust["name"].dropna(), *cust["email"].dropna(), *cust["phone"].dropna(),
               *cust["email"].dropna().str.split("@").str[1]}
    secrets |= {f"1423{cid[-4:]}" for cid in top}
    secrets = {s for s in secrets if len(s) >= 4}
    leaks = {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found = sorted(s for s in secrets if s in text)
        if found:
            leaks[path.relative_to(out).as_posix()] = found[:5]
    assert leaks == {}


def test_warnings_leave_the_cells_and_become_the_reports_notes_once():
    from nbformat.v4 import new_output

    warn = ("/srv/crm_lib/churn.py:197: DataWarning: 3 customers have no `prob_alive` value: they count as active.\n"
            "  status = crm.churn.customer_status(ds.transactions)\n")
    nb = new_notebook(cells=[
        new_code_cell("a", outputs=[new_output("stream", name="stderr", text=warn * 3)]),
        new_code_cell("b", outputs=[new_output("stream", name="stderr", text=warn + "real error text\n"),
                                    new_output("stream", name="stdout", text="hello\n")]),
    ])
    notes = report.take_warnings(nb)
    assert notes == ["3 customers have no `prob_alive` value: they count as active."]
    assert nb.cells[0].outputs == []
    assert [o["text"] for o in nb.cells[1].outputs] == ["real error text\n", "hello\n"]
    banner = report._notes_banner(notes, "zh")
    assert "分析说明" in banner and "/srv/crm_lib" not in banner


def test_a_computed_result_without_rows_is_a_note_that_keeps_the_report_ok():
    # nobody to win back, one group to compare: the section was computed and found nothing
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="str"), "sales": pd.Series(dtype="float")})
    bundle = plots.table(empty, lang="zh", title="churn_value_at_risk_title")._repr_mimebundle_()
    assert bundle["text/plain"] == crm.labels.label("note_empty", "zh") == "报告日本部分没有可显示的内容。"
    assert SKIPPED_MIME not in bundle and "crm-empty" in bundle["text/html"]
    matrix = pd.DataFrame(columns=pd.Index([], name="periods_since"))
    assert plots.retention_heatmap(matrix, lang="en")._repr_mimebundle_()["text/plain"] == (
        "Nothing to show for this part on the report day.")
    curves = pd.DataFrame(columns=["survival_time", "survival", "survival_lower", "survival_upper"])
    assert SKIPPED_MIME not in plots.survival_chart(curves)._repr_mimebundle_()
    # a table with rows is still a table
    assert plots.table(empty.reindex([0]).fillna({"customer_id": "a"})).data[0].cells.values[0] == ["a"]


def test_loading_raises_no_python_warning():
    """pandera imports pyspark.pandas, which warns on pandas >= 3; it must not reach the reports."""
    code = f"import crm_lib; crm_lib.load_dataset({str(ROOT / 'data' / 'sample')!r})"
    run = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
