"""The monthly batch: validation before anything runs, and the batch end to end on a small company."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crm_lib import report, sample
from crm_lib._errors import DataError
from crm_lib._notebook import csv_safe, export_table, interactive, write_csv

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
PARAMS = '''data_dir: str = "../data/sample"  # dataset folder
mapping: str = ""                 # mapping file ("" = canonical names)
month: str = ""                   # report month YYYY-MM
lang: str = "en"                  # "en" or "zh"
mask_pii: bool = False            # hide names, phones and emails'''


def notebook(path: Path, *cells: str, title: str = "Test report", params: str = PARAMS,
             tagged: bool = True) -> Path:
    nb = new_notebook(cells=[
        new_markdown_cell(f"# {title}"),
        new_code_cell(params, metadata={"tags": ["parameters"]} if tagged else {}),
        *[new_code_cell(c) for c in cells],
    ], metadata={"kernelspec": {"name": "crm-workbook", "display_name": "crm-workbook",
                                "language": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    """A small generated company whose first customer is named like a script tag."""
    folder = tmp_path_factory.mktemp("company")
    tables = sample.generate(120, seed=7, start="2025-01-01", end="2026-06-30")
    cust = tables["customers"]
    cust.loc[cust.index[0], "name"] = HOSTILE
    tables["customers"] = cust
    sample.write(tables, folder)
    return folder


@pytest.fixture()
def nb_dir(tmp_path) -> Path:
    return _make_nb_dir(tmp_path / "notebooks")


def run(args, capsys):
    code = report.main([*map(str, args), "--no-progress"])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- validation: one-line errors, nothing runs -----------------------------------------------------


@pytest.mark.parametrize("extra, message", [
    (["--month", "2026-13"], r"`--month` must look like 2026-10, got '2026-13'"),
    (["--month", "2030-01"], r"`month` 2030-01 is outside the data, which runs from 2025-01-\d\d to 2026-06-\d\d"),
    (["--months", "2026-05..2026-02"], r"`--months` runs backwards: 2026-05 is after 2026-02"),
    (["--months", "2026-5"], r"`--months` must look like"),
    (["--notebooks", "00_data_quality,99_nope"], r"Unknown notebook\(s\) '99_nope'; known: 00_data_quality, 10_names, 20_broken"),
    (["--jobs", "0"], r"`--jobs` must be at least 1, got 0"),
    (["--cards", "C9999999"], r"`--cards`: 1 customer id\(s\) not in customers: 'C9999999'"),
    (["--kernel", "no-such-kernel"], r"Jupyter kernel 'no-such-kernel' not found. Install it with"),
])
def test_bad_arguments_fail_before_anything_runs(company, nb_dir, tmp_path, capsys, extra, message):
    out = tmp_path / "reports"
    code, _, err = run(["--data", company, "--out", out, "--notebook-dir", nb_dir, *extra], capsys)
    assert code == 2
    assert err.startswith("crm-report: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert not out.exists() or not any(out.iterdir())  # nothing written, no temp folder left


def test_missing_data_folder(tmp_path, nb_dir, capsys):
    code, _, err = run(["--data", tmp_path / "nowhere", "--out", tmp_path / "r", "--notebook-dir", nb_dir],
                       capsys)
    assert code == 2 and "Data folder" in err and "nowhere not found" in err


def test_unwritable_output_folder(company, nb_dir, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(["--data", company, "--out", blocker / "reports", "--notebook-dir", nb_dir], capsys)
    assert code == 2 and err.startswith("crm-report: error: ") and err.count("\n") == 1


def test_notebook_without_parameters_tag_or_shared_parameter(company, nb_dir, tmp_path, capsys):
    notebook(nb_dir / "30_untagged.ipynb", "x = 1", tagged=False)
    code, _, err = run(["--data", company, "--out", tmp_path / "r", "--notebook-dir", nb_dir], capsys)
    assert code == 2 and "30_untagged.ipynb has no code cell tagged 'parameters'" in err
    notebook(nb_dir / "30_untagged.ipynb", "x = 1", params='data_dir: str = ""\nlang: str = "en"')
    code, _, err = run(["--data", company, "--out", tmp_path / "r", "--notebook-dir", nb_dir], capsys)
    assert code == 2 and "30_untagged.ipynb: its parameters cell does not declare mapping, month, mask_pii" in err


def test_declared_parameters_survive_equals_signs_in_comments(nb_dir):
    # papermill.inspect_notebook skips these lines (a second '=' in the comment); ours does not.
    declared = report.declared_parameters(nb_dir / "10_names.ipynb")
    assert declared == {"data_dir": "str", "mapping": "str", "month": "str", "lang": "str",
                        "mask_pii": "bool"}


@pytest.mark.parametrize("text, message", [
    ("notebooks:\n  99_nope: {a: 1}\n", r"batch.yaml sets parameters for 99_nope, which is not a notebook"),
    ("notebooks:\n  00_data_quality: {lang: zh}\n", r"00_data_quality sets the shared parameter\(s\) \['lang'\]"),
    ("notebooks:\n  00_data_quality: {history_months: twelve}\n",
     r"batch.yaml: 00_data_quality.history_months must be int \(as declared in the notebook\), got 'twelve'"),
    ("notebooks:\n  00_data_quality: {not_declared: 1}\n",
     r"00_data_quality.ipynb: its parameters cell does not declare not_declared"),
    ("execution_timeout: -1\n", r"`execution_timeout` must be a positive number of seconds, got -1"),
    ("colour: red\n", r"expected the keys \['cards', 'exclude', 'execution_timeout', 'notebooks'\], got \['colour'\]"),
])
def test_bad_config(company, nb_dir, tmp_path, capsys, text, message):
    (nb_dir / "batch.yaml").write_text(text, encoding="utf-8")
    code, _, err = run(["--data", company, "--out", tmp_path / "r", "--notebook-dir", nb_dir], capsys)
    assert code == 2 and re.search(message, err), err


def test_parse_months():
    assert report.parse_months("2025-11..2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert report.parse_months("2026-03,2026-01,2026-03") == ["2026-03", "2026-01"]
    with pytest.raises(DataError, match=r"`--months` must look like"):
        report.parse_months("2026-01..26-02")


def test_plan_picks_latest_complete_month_and_injects_parameters(company, nb_dir, tmp_path):
    args = report._parser().parse_args(["--data", str(company), "--out", str(tmp_path / "r"),
                                        "--notebook-dir", str(nb_dir), "--lang", "zh", "--mask-pii"])
    last = pd.to_datetime(pd.read_csv(company / "transactions.csv")["date"]).max()
    complete = last.to_period("M") if last.is_month_end else last.to_period("M") - 1
    p = report.plan(args)
    try:
        assert p.months == [str(complete)]
        assert [j.name for j in p.jobs] == ["00_data_quality", "10_names", "20_broken"]
        dq = p.jobs[0].parameters
        assert dq == {"data_dir": str(company.resolve()), "mapping": "", "month": str(complete), "lang": "zh",
                      "mask_pii": True, "history_months": 24}
        assert all(j.cwd == str(nb_dir.resolve()) for j in p.jobs)
    finally:
        shutil.rmtree(p.work)


def test_select_cards(company):
    import crm_lib as crm

    ds = crm.load_dataset(company)
    as_of = ds.month_end("2026-06")
    top = report.select_cards(ds, "top:3", as_of=as_of)
    totals = crm.summary.totals(ds.transactions, start="2025-07-01", as_of=as_of)
    assert top == totals["sales"].sort_values(ascending=False).index[:3].tolist()
    first = ds.customers["customer_id"].iloc[0]
    assert report.select_cards(ds, f"{first}, {first}", as_of=as_of) == [first]
    ind = crm.tiering.pyramid_indicators(ds.transactions, ds.customers, as_of=as_of)
    ka = crm.tiering.key_accounts(ind, customers=ds.customers, interactions=ds.interactions, as_of=as_of)
    key = report.select_cards(ds, "key", as_of=as_of)
    assert set(key) == set(ka.index[ka["is_key_account"]]) and len(key) > 0
    with pytest.raises(DataError, match=r"`--cards top:N` needs N of at least 1, got 0"):
        report.select_cards(ds, "top:0", as_of=as_of)
    with pytest.raises(DataError, match=r"1 customer id\(s\) not in customers: 'nobody'"):
        report.select_cards(ds, f"{first},nobody", as_of=as_of)


# --- CSV export and the batch switch ---------------------------------------------------------------


def test_csv_safe_neutralises_formulas_only_in_text():
    df = pd.DataFrame({"note": ["=SUM(A1)", "+1", "-x", "@cmd", "\tx", "ok", None],
                       "n": [-1.0, 2, 3, 4, 5, 6, 7], "=head": ["a"] * 7})
    before = df.copy()
    out = csv_safe(df)
    pd.testing.assert_frame_equal(df, before)
    assert out["note"].tolist()[:6] == ["'=SUM(A1)", "'+1", "'-x", "'@cmd", "'\tx", "ok"]
    assert pd.isna(out["note"].iloc[6])
    assert out["n"].tolist() == df["n"].tolist()
    assert list(out.columns) == ["note", "n", "'=head"]


def test_write_csv_has_bom_and_reads_back_in_chinese(tmp_path):
    df = pd.DataFrame({"客户": ["张三", "=cmd"]}, index=pd.Index(["C1", "C2"], name="customer_id"))
    path = write_csv(df, tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back.columns.tolist() == ["customer_id", "客户"]
    assert back["客户"].tolist() == ["张三", "'=cmd"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_table_writes_only_in_batch(tmp_path, monkeypatch):
    df = pd.DataFrame({"a": [1]})
    assert export_table(df, "x") is df and not list(tmp_path.iterdir())
    monkeypatch.setenv("CRM_WORKBOOK_EXPORT_DIR", str(tmp_path / "exp"))
    export_table(df, "top_customers")
    assert (tmp_path / "exp" / "top_customers.csv").is_file()
    with pytest.raises(DataError, match=r"`name` must be letters, digits.*got '../evil'"):
        export_table(df, "../evil")


def test_interactive_only_in_a_live_kernel(monkeypatch):
    class Shell:
        kernel = object()

    class FakeIPython:
        @staticmethod
        def get_ipython():
            return Shell()

    monkeypatch.setitem(sys.modules, "IPython", FakeIPython)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("CRM_WORKBOOK_LIVE", raising=False)
    assert interactive() is False  # CRM_WORKBOOK_BATCH=1 from conftest
    monkeypatch.setenv("CRM_WORKBOOK_BATCH", "0")
    assert interactive() is False  # a kernel, but no front end: papermill, nbconvert, nbval
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/notebooks/20_tiering.ipynb")
    assert interactive() is True  # jupyter-server started the kernel for an open notebook
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setenv("CRM_WORKBOOK_LIVE", "1")
    assert interactive() is True  # make lab
    monkeypatch.setenv("CRM_WORKBOOK_BATCH", "1")
    assert interactive() is False  # the batch always wins
    monkeypatch.setenv("CRM_WORKBOOK_BATCH", "0")
    Shell.kernel = None
    assert interactive() is False


def test_index_escapes_titles_and_errors():
    manifest = {"reports": {"10_x": {"status": "failed", "seconds": 1.0, "title": HOSTILE,
                                      "error": f"ValueError: {HOSTILE}", "cell": 3, "files": []}},
                "quality": {"counts": {"warning": 1}, "rows": [
                    {"table": "customers", "check": "c", "severity": "warning", "rows": 2,
                     "examples": f"rows 2: {HOSTILE!r}"}]}}
    page = report.render_index("2026-06", manifest, lang="zh")
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[3] ValueError" in page and "失败" in page and "2026-06 月度报告" in page


def test_a_cell_near_the_timeout_counts_as_timed_out():
    nb = new_notebook(cells=[new_code_cell("a", metadata={"papermill": {"duration": 1.0}}, execution_count=1),
                             new_code_cell("b", metadata={"papermill": {"duration": 9.6}}, execution_count=2)])
    assert report._slowest_cell(nb, 10) == (2, 9.6)
    assert report._slowest_cell(nb, 11) is None


@pytest.mark.slow
def test_run_job_times_out(company, nb_dir, tmp_path):
    path = notebook(nb_dir / "30_slow.ipynb", "import time\ntime.sleep(30)", title="Slow")
    params = {"data_dir": str(company), "mapping": "", "month": "2026-05", "lang": "en", "mask_pii": False}
    job = report.Job(str(path), "30_slow", "2026-05", params, str(tmp_path), str(nb_dir), report.KERNEL, 2)
    result = report.run_job(job)
    assert result.status == "failed" and result.cell == 3, result
    assert "timed out" in result.error.lower() or "timeout" in result.error.lower(), result.error
    assert result.files == ["30_slow.failed.ipynb"] and result.seconds < 25


# --- end to end --------------------------------------------------------------------------------------


def _has_bundle(page: str) -> bool:
    return bool(re.search(r"plotly\.js v\d+\.\d+\.\d+", page)) and "Plotly.newPlot" in page


def _make_nb_dir(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "00_data_quality.ipynb", folder)
    shutil.copy(ROOT / "notebooks" / "batch.yaml", folder)
    notebook(folder / "10_names.ipynb",
             "import crm_lib as crm\nfrom crm_lib import plots\nimport pandas as pd\n"
             "ds = crm.load_dataset(data_dir, mask_pii=mask_pii)\nas_of = ds.month_end(month)\n"
             "names = ds.customers[['customer_id', 'name']].head(3).assign(note=['=1+2', '@x', 'ok'])",
             "crm.export_table(names, 'names')",
             "plots.table(names, lang=lang, title='test_missing_title_key')",
             "names.style.format(escape='html')",
             "assert not mask_pii, 'this report needs the names'",
             title="Customer names / 客户名称")
    notebook(folder / "20_broken.ipynb", "x = 1", "y = x / 0", "z = 2", title="Broken")
    notebook(folder / "40_customer_card.ipynb",
             "import crm_lib as crm\nds = crm.load_dataset(data_dir, mask_pii=mask_pii)\n"
             "ds.customers[ds.customers['customer_id'] == customer_id]",
             params=PARAMS + '\ncustomer_id: str = ""  # the customer', title="Card")
    return folder


@pytest.fixture(scope="module")
def batch(company, tmp_path_factory):
    """One Chinese batch of three notebooks (one of them failing) with two workers."""
    base = tmp_path_factory.mktemp("batch")
    nbs = _make_nb_dir(base / "notebooks")
    out = base / "reports"
    args = ["--data", company, "--out", out, "--notebook-dir", nbs, "--month", "2026-05", "--jobs", "2",
            "--lang", "zh"]
    code = report.main([*map(str, args), "--no-progress", "--cards", "top:2"])
    return {"code": code, "out": out, "args": args, "notebooks": nbs}


@pytest.mark.slow
def test_batch_end_to_end(batch, capfd):
    out, month = batch["out"], batch["out"] / "2026-05"
    assert batch["code"] == 1
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    status = {k: v["status"] for k, v in manifest["reports"].items()}
    cards = sorted(k for k in status if k.startswith("cards/"))
    assert len(cards) == 2 and all(status[c] == "ok" for c in cards)
    assert all((month / f"{c}.html").is_file() for c in cards)
    status = {k: v for k, v in status.items() if k not in cards}
    assert status == {"00_data_quality": "ok", "10_names": "ok", "20_broken": "failed"}
    broken = manifest["reports"]["20_broken"]
    assert broken["cell"] == 4 and broken["error"] == "ZeroDivisionError: division by zero"
    assert manifest["reports"]["10_names"]["missing_labels"] == ["test_missing_title_key"]
    assert manifest["reports"]["00_data_quality"]["missing_labels"] == []
    assert (month / "20_broken.failed.ipynb").is_file() and not (month / "20_broken.html").exists()
    failed_nb = nbformat.read(month / "20_broken.failed.ipynb", as_version=4)
    assert any(o.get("ename") == "ZeroDivisionError" for c in failed_nb.cells for o in c.get("outputs", []))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # temp folder removed

    # The HTML report: embedded plotly.js, nothing loaded from the internet, no code.
    page = (month / "00_data_quality.html").read_text(encoding="utf-8")
    assert _has_bundle(page) and not re.search(r"<script[^>]* src=\"https?://", page)
    assert "load_dataset" not in page and "jp-InputArea-editor\"" not in page
    executed = nbformat.read(month / "00_data_quality.ipynb", as_version=4)
    assert (month / "00_data_quality.ipynb").stat().st_size < 1_000_000  # plotly.js only in the HTML
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'month = "2026-05"' in injected[0].source and 'lang = "zh"' in injected[0].source

    # Customer text is escaped in DataFrame, plotly-table and Styler output.
    names = (month / "10_names.html").read_text(encoding="utf-8")
    assert HOSTILE not in names
    assert names.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2

    # CSV beside the report: BOM, formulas neutralised.
    csv = month / "10_names.names.csv"
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(csv, encoding="utf-8-sig")["note"].tolist() == ["'=1+2", "'@x", "ok"]
    assert (month / "00_data_quality.quality.csv").is_file()

    # index.html lists each report with status, run time and the data-quality summary, in Chinese.
    index = (month / "index.html").read_text(encoding="utf-8")
    assert 'href="00_data_quality.html"' in index and 'href="20_broken.failed.ipynb"' in index
    assert "[4] ZeroDivisionError: division by zero" in index
    assert "数据质量" in index and "成功" in index and "失败" in index and HOSTILE not in index
    assert "客户资料卡" in index and f'href="{cards[0]}.html"' in index


@pytest.mark.slow
def test_rerun_keeps_last_good_report(batch, tmp_path, capsys):
    out = tmp_path / "reports"
    shutil.copytree(batch["out"], out)
    month = out / "2026-05"
    before = (month / "10_names.html").read_bytes()
    args = [a if a != batch["out"] else out for a in batch["args"]]
    code, stdout, err = run([*args, "--notebooks", "10_names", "--mask-pii"], capsys)
    assert code == 1
    assert "FAILED 2026-05 10_names: cell 7: AssertionError: this report needs the names" in err
    assert "2026-05: 0 of 1 reports written (0 ok, 0 partial), 0 not applicable, 1 failed" in stdout
    assert (month / "10_names.html").read_bytes() == before
    assert (month / "00_data_quality.html").is_file() and (month / "10_names.names.csv").is_file()
    assert (month / "10_names.failed.ipynb").is_file()
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["10_names"]["status"] == "failed"
    assert manifest["reports"]["10_names"]["previous_html"] is True
    assert manifest["reports"]["00_data_quality"]["status"] == "ok"  # not re-run, kept
    index = (month / "index.html").read_text(encoding="utf-8")
    assert "上一次成功的报告" in index and 'href="10_names.html"' in index


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _render(page: Path, tmp_path: Path) -> dict:
    """Open a copy of ``page`` in headless chromium; return its JS errors and rendered plots."""
    src = page.read_text(encoding="utf-8")
    probe = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
             "window.__errors.push(String(e.message))});"
             "window.alert=function(m){window.__errors.push('alert: '+m)};</script>")
    report_js = ("<script>window.addEventListener('load',function(){setTimeout(function(){"
                 "var d=document.createElement('pre');d.id='__probe';d.textContent=JSON.stringify("
                 "{errors:window.__errors,plots:document.querySelectorAll('.js-plotly-plot').length,"
                 "text:Array.from(document.querySelectorAll('.js-plotly-plot text')).map(function(t){"
                 "return t.textContent}).join('|')});document.body.appendChild(d)},1000)});</script>")
    head = src.index("<head>") + len("<head>")
    copy = page.with_name(f"probe-{page.name}")
    copy.write_text(src[:head] + probe + src[head:].replace("</body>", report_js + "</body>"),
                    encoding="utf-8")
    try:
        dom = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", copy.as_uri()],
            capture_output=True, text=True, timeout=90, check=True).stdout
    finally:
        copy.unlink()
    found = re.search(r'<pre id="__probe">(.*?)</pre>', dom, re.S)
    assert found, "the page did not finish loading"
    import html
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (apt-get install -y chromium)")
def test_reports_render_in_a_browser(batch, tmp_path):
    month = batch["out"] / "2026-05"
    index = _render(month / "index.html", tmp_path)
    assert index["errors"] == []
    dq = _render(month / "00_data_quality.html", tmp_path)
    assert dq["errors"] == [] and dq["plots"] >= 5
    assert "数据质量报告" in dq["text"] and "客户类型" in dq["text"]
    names = _render(month / "10_names.html", tmp_path)
    assert names["errors"] == [] and HOSTILE in names["text"]  # shown as text, never run


def test_module_entry_point(capsys):
    from crm_lib.__main__ import main as module_main

    assert module_main([]) == 2 and "usage: python -m crm_lib report" in capsys.readouterr().out
    assert module_main(["--help"]) == 0
    assert module_main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        module_main(["report", "--help"])
    assert exc.value.code == 0 and "--months" in capsys.readouterr().out


def test_html_export_is_repeatable_and_offline():
    import plotly.graph_objects as go
    from plotly.io._renderers import renderers

    def executed():
        fig = go.Figure(go.Bar(x=["a"], y=[1]))
        bundle = renderers["notebook"].to_mimebundle(fig.to_dict())  # a random div id each time
        nb = new_notebook(cells=[new_markdown_cell("# T", id="head"),
                                 new_code_cell("x", metadata={"tags": ["injected-parameters"]}),
                                 new_code_cell("fig", id="fig")])
        nb.cells[2].outputs = [nbformat.v4.new_output("display_data", data=bundle)]
        return nb

    a, b = report._export_html(executed(), "T"), report._export_html(executed(), "T")
    assert a == b and 'id="plot-1"' in a and 'getElementById("plot-1")' in a
    assert not re.search(r"<script[^>]* src=\"https?://", a)
