"""Every notebook in notebooks/: conventions, stripped outputs, and a papermill run with non-default
parameters (Chinese, PII masked, an earlier month) through the batch's own runner."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from crm_lib import report

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DATA = ROOT / "data" / "sample"
CONFIG = report.read_config(NOTEBOOKS / report.CONFIG_NAME)
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.stem for p in PATHS]
MONTH = "2026-06"  # earlier than the default (the latest complete month of data/sample)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebooks_exist():
    assert "00_data_quality" in IDS


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(_code(nb)) if c.get("outputs") or c.get("execution_count") is not None]
    assert dirty == [], f"{path.name}: code cells {dirty} carry outputs or execution counts; strip them"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_conventions(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in _code(nb) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one code cell must be tagged 'parameters'"
    required = report.SHARED_PARAMETERS
    if path.stem == CONFIG.card_notebook:
        required = (*required, CONFIG.card_parameter)
    report.check_notebook(path, CONFIG.parameters.get(path.stem, {}), required=required)
    code = "\n".join(c.source for c in _code(nb) if c is not tagged[0])
    assert "import crm_lib as crm" in code
    assert not re.search(r"^\s*(def|class)\s", code, re.M), f"{path.name}: no def or class in notebooks"
    assert not re.search(r"[\"'](\.\./|/)[\w/]+\.(csv|parquet|yaml)", code), \
        f"{path.name}: paths belong in the parameters cell"


def _is_interactive_guard(node: ast.AST) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Call)
            and ast.unparse(node.test.func) in ("crm.interactive", "interactive"))


def _unguarded_widget_calls(source: str) -> list[str]:
    """Calls into ipywidgets (or interact/display of widgets) outside ``if crm.interactive():``."""
    tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    found: list[str] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if _is_interactive_guard(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, guarded)
            return
        if isinstance(node, ast.Call) and not guarded:
            name = ast.unparse(node.func)
            if re.match(r"(ipy)?widgets\.|interact(_manual)?$", name):
                found.append(name)
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(tree, False)
    return found


def test_widget_guard_detection():
    assert _unguarded_widget_calls("widgets.interact(f, x=1)") == ["widgets.interact"]
    assert _unguarded_widget_calls("if crm.interactive():\n    widgets.interact(f, x=widgets.IntSlider())") == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_widgets_only_in_live_sessions(path):
    """A kernel-backed widget can stall a papermill run: widgets only under `if crm.interactive():`."""
    nb = nbformat.read(path, as_version=4)
    found = [name for c in _code(nb) for name in _unguarded_widget_calls(c.source)]
    assert found == [], f"{path.name}: widget calls outside `if crm.interactive():`: {found}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_customer_text_cannot_become_markup(path):
    """Reports show customer-supplied text as text: no raw HTML/Markdown displays, and a pandas
    Styler only with escape="html" (DataFrames and crm_lib.plots escape by themselves)."""
    nb = nbformat.read(path, as_version=4)
    for cell in _code(nb):
        src = cell.source
        assert not re.search(r"\b(HTML|Markdown|Javascript)\(", src), \
            f"{path.name}: no IPython.display.HTML/Markdown/Javascript with data; use a table or chart"
        if re.search(r"\.style\b", src):
            assert re.search(r"escape\s*=\s*[\"']html[\"']", src), \
                f"{path.name}: a pandas Styler must format with escape='html'"


def _parameters(path: Path) -> dict:
    params = {"data_dir": str(DATA), "mapping": "", "month": MONTH, "lang": "zh", "mask_pii": True,
              **CONFIG.parameters.get(path.stem, {})}
    if path.stem == CONFIG.card_notebook:
        import crm_lib as crm

        ds = crm.load_dataset(DATA)
        params[CONFIG.card_parameter] = report.select_cards(ds, "top:1", as_of=ds.month_end(MONTH))[0]
    return params


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_with_non_default_parameters(path, tmp_path):
    params = _parameters(path)
    job = report.Job(str(path), path.stem, MONTH, params, str(tmp_path), str(NOTEBOOKS),
                     report.KERNEL, min(CONFIG.execution_timeout, 300))
    result = report.run_job(job)
    assert result.status == "ok", f"{path.name} failed in cell {result.cell}: {result.error}"
    executed = nbformat.read(tmp_path / f"{path.stem}.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1, "papermill injected no parameters cell"
    cells = executed.cells
    position = cells.index(injected[0])
    assert "parameters" in cells[position - 1].metadata.get("tags", []), \
        "the injected cell must follow the cell tagged 'parameters'"
    for name, value in params.items():
        assert f"{name} = {value!r}" in injected[0].source.replace('"', "'") or \
            f"{name} = {value}" in injected[0].source, f"{name} was not injected"
    page = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page or "plotly" not in "".join(c.source for c in _code(executed)), \
        f"{path.name}: a notebook that draws plotly charts must show them in the HTML report"
    assert result.missing_labels == [], (
        f"{path.name} asked for catalogue keys that crm_lib/catalogue/*.yaml lacks: "
        f"{result.missing_labels}")
    errors = [o for c in _code(executed) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
