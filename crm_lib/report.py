"""The monthly report batch: every analysis notebook, executed with papermill, as offline HTML.

``python -m crm_lib report --month 2026-10 --data data/sample --out reports`` (or the ``crm-report``
console script) checks everything first (data folder, month, notebook names, each notebook's
``parameters`` cell, the kernel), then runs the notebooks in worker processes and writes, per
month, ``reports/<month>/``:

* ``<notebook>.html`` -- the report: code hidden, plotly.js embedded (opens offline);
* ``<notebook>.ipynb`` -- the executed notebook; ``<notebook>.failed.ipynb`` when it failed;
* ``<notebook>.<table>.csv`` -- the key tables the notebook exported with
  :func:`crm_lib._notebook.export_table` (UTF-8 with BOM, formula cells neutralised);
* ``cards/<customer_id>.html`` -- customer information cards with ``--cards``;
* ``index.html`` -- every report with its status, run time and the data-quality summary, and
  ``manifest.json`` -- the same as data.

Every file is written under a temporary folder and renamed into place, so an interrupted run never
leaves a half-written report; a failed notebook keeps the previous good report of that month and
stores its executed notebook for inspection. Each report is ok, partial (sections skipped, listed
at its top and on the index), not applicable (a table it needs is absent) or failed. Exit status:
0 nothing failed, 1 some report failed, 2 nothing ran (bad arguments, no space left on the disk).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import functools
import html
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from crm_lib import _cache
from crm_lib._errors import DataError
from crm_lib._notebook import BATCH_ENV, EXPORT_DIR_ENV, SKIPPED_MIME
from crm_lib.labels import MISSING_ENV

SHARED_PARAMETERS: tuple[str, ...] = ("data_dir", "mapping", "month", "lang", "mask_pii")
"""Parameters every notebook declares in its ``parameters`` cell (docs/conventions.md)."""

LANGS: tuple[str, ...] = ("en", "zh")
KERNEL = "crm-workbook"
EXECUTION_TIMEOUT = 600
"""Seconds a single cell may run before the notebook counts as failed."""
TIMEOUT_MARGIN = 0.95
"""A cell that ran this share of the timeout or longer counts as timed out (even if papermill
reported success: an nbclient bug can let a stalled cell 'succeed' at the timeout)."""
START_TIMEOUT = 120
DEFAULT_TOP_CARDS = 20
KERNEL_ENV = MappingProxyType({BATCH_ENV: "1", "PLOTLY_RENDERER": "notebook"})
"""Environment of every kernel the batch starts: no widgets; plotly.js embedded in each report."""

KERNEL_ARGS: tuple[str, ...] = ("--IPKernelApp.log_level=ERROR",)
"""Keep the kernel's start-up notices (e.g. about its local TCP transport) out of the batch output."""

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
CONFIG_NAME = "batch.yaml"
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CARD_PARAMETER = "customer_id"
CARD_NOTEBOOK = "40_customer_card"


class BatchError(DataError):
    """A problem found before anything runs: one line, printed as ``crm-report: error: …``."""


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchConfig:
    """``notebooks/batch.yaml``: notebook-specific parameters and the batch's knobs."""

    parameters: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    execution_timeout: float = EXECUTION_TIMEOUT
    card_notebook: str = CARD_NOTEBOOK
    card_parameter: str = CARD_PARAMETER
    card_top: int = DEFAULT_TOP_CARDS


def read_config(path: str | Path) -> BatchConfig:
    """Read ``batch.yaml`` (missing file: the defaults).

    Parameters
    ----------
    path : path
        The config file.

    Returns
    -------
    BatchConfig

    Examples
    --------
    >>> read_config("/nonexistent/batch.yaml").card_notebook
    '40_customer_card'
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        return BatchConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BatchError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}).") from None
    known = {"notebooks", "exclude", "execution_timeout", "cards"}
    if not isinstance(raw, dict) or set(raw) - known:
        extra = sorted(set(raw) - known) if isinstance(raw, dict) else type(raw).__name__
        raise BatchError(f"{path}: expected the keys {sorted(known)}, got {extra}.")
    nbs = raw.get("notebooks") or {}
    if not isinstance(nbs, dict) or not all(isinstance(v, dict) or v is None for v in nbs.values()):
        raise BatchError(f"{path}: `notebooks` must map notebook names to {{parameter: value}}.")
    shared = {str(k): sorted(set(v or {}) & set(SHARED_PARAMETERS)) for k, v in nbs.items()}
    clash = {k: v for k, v in shared.items() if v}
    if clash:
        name, params = next(iter(clash.items()))
        raise BatchError(f"{path}: {name} sets the shared parameter(s) {params}; those come from the "
                         "command line.")
    cards = raw.get("cards") or {}
    if not isinstance(cards, dict) or set(cards) - {"notebook", "parameter", "top"}:
        raise BatchError(f"{path}: `cards` takes notebook, parameter and top.")
    timeout = raw.get("execution_timeout", EXECUTION_TIMEOUT)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise BatchError(f"{path}: `execution_timeout` must be a positive number of seconds, got {timeout!r}.")
    exclude = raw.get("exclude") or []
    if not isinstance(exclude, list):
        raise BatchError(f"{path}: `exclude` must be a list of notebook names.")
    card_name = str(cards.get("notebook", CARD_NOTEBOOK)).removesuffix(".ipynb")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", card_name) or ".." in card_name:
        raise BatchError(f"{path}: `cards.notebook` must be the name of a notebook in the notebook "
                         f"folder (no path), got {card_name!r}.")
    return BatchConfig(
        parameters={str(k).removesuffix(".ipynb"): dict(v or {}) for k, v in nbs.items()},
        exclude=tuple(str(x).removesuffix(".ipynb") for x in exclude),
        execution_timeout=float(timeout),
        card_notebook=str(cards.get("notebook", CARD_NOTEBOOK)).removesuffix(".ipynb"),
        card_parameter=str(cards.get("parameter", CARD_PARAMETER)),
        card_top=int(cards.get("top", DEFAULT_TOP_CARDS)),
    )


# --- jobs and results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One notebook execution."""

    notebook: str          # absolute path of the source notebook
    name: str              # report name: notebook stem, or cards/<id>
    month: str
    parameters: Mapping[str, object]
    work: str              # temporary folder of this job
    cwd: str
    kernel: str
    timeout: float
    dataset: str = ""      # the batch's loaded dataset (crm_lib._cache), "" for none


@dataclass
class Result:
    """What one notebook execution produced."""

    name: str
    month: str
    status: str            # one of STATUSES
    seconds: float
    title: str = ""
    error: str = ""
    cell: int | None = None
    files: list[str] = field(default_factory=list)   # relative to the job's work folder
    finished_at: str = ""
    missing_labels: list[str] = field(default_factory=list)  # catalogue keys the notebook lacked
    skipped: list[dict] = field(default_factory=list)  # {"section", "note"} of each skipped section
    notes: list[str] = field(default_factory=list)     # the analyses' warnings, once each


STATUSES: tuple[str, ...] = ("ok", "partial", "not_applicable", "failed")
"""A report is ok, partial (sections skipped, each with its reason), not applicable (a table it
needs is absent: the notebook raised :class:`crm_lib.NotApplicable`) or failed. Only failed makes
the batch exit non-zero."""

WRITTEN: frozenset[str] = frozenset({"ok", "partial"})
"""Statuses whose run wrote an HTML report."""


def skipped_sections(nb) -> list[dict]:
    """The sections an executed notebook skipped, one entry per reason: ``[{"section", "note"}]``
    (``section``: the titles of the charts and tables it replaced, comma-separated).

    Read from the records that :class:`crm_lib.plots._shared.SkippedNote` leaves in the outputs
    (mime type :data:`crm_lib._notebook.SKIPPED_MIME`).
    """
    found: dict[str, list[str]] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            rec = out.get("data", {}).get(SKIPPED_MIME)
            if isinstance(rec, dict):
                sections = found.setdefault(str(rec.get("note", "")), [])
                section = str(rec.get("section", "") or "")
                if section and section not in sections:
                    sections.append(section)
    return [{"section": ", ".join(sections), "note": note} for note, sections in found.items()]


_WARNING_LINE = re.compile(r"^(?P<path>\S.*?):(?P<line>\d+): (?P<cat>[A-Za-z_]*Warning): (?P<msg>.*)$")


def take_warnings(nb) -> list[str]:
    """Take the Python warnings out of an executed notebook's outputs; return their messages, once each.

    A warning printed by a cell (``/path/module.py:123: DataWarning: message`` and the source line
    under it) is removed from the cell's stderr; an output left empty is dropped. ``nb`` is changed
    in place. The messages go to the report's "Notes" box instead (see :func:`_notes_banner`).
    """
    found: dict[str, None] = {}
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines, rest, skip_source = str(out.get("text", "")).splitlines(), [], False
                for line in lines:
                    m = _WARNING_LINE.match(line)
                    if m:
                        found.setdefault(m.group("msg").strip(), None)
                        skip_source = True
                        continue
                    if skip_source and line.startswith((" ", "\t")):
                        skip_source = False
                        continue
                    skip_source = False
                    rest.append(line)
                if not "".join(rest).strip():
                    continue
                out["text"] = "\n".join(rest) + "\n"
            kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept
    return list(found)


def _notes_banner(notes: list[str], lang: str) -> str:
    from crm_lib.labels import label

    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f'<div class="crm-report-notes" style="border:1px solid #9cc3e0;background:#eef5fb;'
            f'padding:.5rem 1rem;margin:1rem 0"><strong>{html.escape(label("report_notes", lang))}'
            f"</strong><ul>{items}</ul></div>")


def _skipped_banner(skipped: list[dict], lang: str) -> str:
    from crm_lib.labels import label

    items = "".join(
        f"<li>{html.escape(s['section'] + ': ' if s['section'] else '')}{html.escape(s['note'])}</li>"
        for s in skipped)
    return (f'<div class="crm-skipped-sections" style="border:1px solid #e0c36b;background:#fdf6e3;'
            f'padding:.5rem 1rem;margin:1rem 0"><strong>{html.escape(label("skipped_sections", lang))}'
            f"</strong><ul>{items}</ul></div>")


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the kernels started inside the block, then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


_CDN_SCRIPTS = re.compile(
    r'<script[^>]*\ssrc="https://cdnjs\.cloudflare\.com/ajax/libs/(?:require\.js|mathjax)/[^"]*"[^>]*>\s*</script>'
)
"""Script tags that load require.js and MathJax from a CDN (nbconvert's template, plotly's figure
HTML). The reports need neither (plotly.js is embedded), and offline they only fail to load."""


_PLOT_DIV = re.compile(r'<div[^>]*class="plotly-graph-div"[^>]*>')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _export_html(nb, title: str) -> str:
    """Standalone HTML with code and prompts hidden; outputs (plotly.js included) kept as they are.

    The random parts are made repeatable, so the same inputs give the same bytes: papermill's
    injected cell gets a fixed id and plotly's random figure ids become ``plot-1``, ``plot-2``, …
    """
    import copy

    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or "report"}})
    body = _CDN_SCRIPTS.sub("", body)
    ids = [uid for div in _PLOT_DIV.findall(body) for uid in _UUID.findall(div)]
    for n, uid in enumerate(dict.fromkeys(ids), start=1):
        body = body.replace(uid, f"plot-{n}")
    return body


_BUNDLE_NOTE = ("<!-- plotly.js (about 5 MB) was removed from this executed notebook; the HTML "
                "report beside it embeds it -->")


def _trim_plotly_bundle(nb) -> bool:
    """Drop the embedded plotly.js from an executed notebook (it stays in the HTML report).

    Returns True when something was removed; ``nb`` is changed in place.
    """
    trimmed = False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html_out = out.get("data", {}).get("text/html", "")
            text = "".join(html_out) if isinstance(html_out, list) else html_out
            if len(text) > 1_000_000 and "plotly.js v" in text:
                out["data"]["text/html"] = _BUNDLE_NOTE
                trimmed = True
    return trimmed


_FIRST_HEADING_END = re.compile(r"</h1>", re.I)


def _insert_banner(body: str, banner: str) -> str:
    """Put ``banner`` right after the report's first heading (at the top of the body without one)."""
    m = _FIRST_HEADING_END.search(body)
    if m is None:
        m = re.search(r"<body[^>]*>", body, re.I)
    if m is None:
        return banner + body
    return body[:m.end()] + banner + body[m.end():]


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text)).strip()
    return text.splitlines()[0] if text else ""


def _slowest_cell(nb, timeout: float) -> tuple[int | None, float] | None:
    """The first cell whose papermill duration reached ``TIMEOUT_MARGIN`` of ``timeout``, if any:
    ``(execution_count, seconds)``."""
    for cell in nb.cells:
        duration = (cell.get("metadata", {}).get("papermill", {}) or {}).get("duration") or 0
        if duration >= TIMEOUT_MARGIN * timeout:
            return cell.get("execution_count"), float(duration)
    return None


def _failed_cell(nb, timeout: float) -> int | None:
    """The execution count of the cell that failed when papermill did not say (e.g. a timeout):
    the first with an error output, else the first that ran into the timeout."""
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("execution_count")
    slow = _slowest_cell(nb, timeout)
    return slow[0] if slow else None


BATCH_ENGINE = "crm-workbook-batch"
"""The papermill engine of the batch (:func:`_register_engine`)."""


@functools.cache
def _register_engine() -> None:
    """Register :data:`BATCH_ENGINE`: papermill's nbclient engine writing the executed notebook once.

    papermill re-writes the output notebook after every cell (``request_save_on_cell_execute``),
    about 13 s of a 90 s month of the sample. This engine runs without that save; papermill itself
    writes the notebook at the end (with the error at the top when a cell failed), and the engine
    writes it when the run stops outside a cell's error handling (a cell timeout, a dead kernel),
    so a failed run always keeps its executed notebook.
    """
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class BatchEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, **kwargs):
            try:
                return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)
            except BaseException:
                if output_path:
                    write_ipynb(nb, output_path)
                raise

    papermill_engines.register(BATCH_ENGINE, BatchEngine)


def run_job(job: Job) -> Result:
    """Execute one notebook with papermill and export it; never raises for a notebook's failure.

    Parameters
    ----------
    job : Job

    Returns
    -------
    Result
        ``status`` "ok" with the HTML, executed notebook and CSV files, or "failed" with the error,
        the failing cell's execution count and the executed notebook (``<name>.failed.ipynb``).
    """
    import logging

    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    # papermill's own parameter parser warns about lines it cannot read (a second "=" in a comment);
    # the batch has already checked the parameters cell with ``declared_parameters``.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    _register_engine()
    work = Path(job.work)
    stem = job.name
    export_dir = work / f"{stem}.csv.d"
    (work / stem).parent.mkdir(parents=True, exist_ok=True)
    executed = work / f"{stem}.ipynb"
    missing = work / f"{stem}.missing-labels.txt"
    env = {**KERNEL_ENV, EXPORT_DIR_ENV: str(export_dir), MISSING_ENV: str(missing),
           _cache.CACHE_ENV: job.dataset}
    result = Result(name=stem, month=job.month, status="ok", seconds=0.0)
    start = time.perf_counter()
    try:
        with _environ(env):
            pm.execute_notebook(job.notebook, str(executed), parameters=dict(job.parameters),
                                engine_name=BATCH_ENGINE, kernel_name=job.kernel, cwd=job.cwd, progress_bar=False,
                                log_output=False, start_timeout=START_TIMEOUT,
                                execution_timeout=job.timeout, extra_arguments=list(KERNEL_ARGS))
    except PapermillExecutionError as exc:
        if exc.ename == "NotApplicable":
            result.status, result.error = "not_applicable", _first_line(exc.evalue)
        else:
            result.status, result.cell = "failed", exc.exec_count
            result.error = f"{exc.ename}: {_first_line(exc.evalue)}"
    except Exception as exc:  # kernel died, kernel missing, timeout outside a cell, ...
        if _no_space(exc):
            raise
        result.status, result.error = "failed", f"{type(exc).__name__}: {_first_line(exc)}"
    result.seconds = round(time.perf_counter() - start, 2)
    nb = nbformat.read(executed, as_version=4) if executed.is_file() else None
    if nb is not None:
        result.title = _title(nb)
    if nb is not None and result.status == "failed" and result.cell is None:
        result.cell = _failed_cell(nb, job.timeout)
    slow = _slowest_cell(nb, job.timeout) if nb is not None and result.status == "ok" else None
    if slow is not None:
        result.status, result.cell = "failed", slow[0]
        result.error = (f"TimeoutError: the cell ran {slow[1]:.1f} s, at the execution timeout of "
                        f"{job.timeout:g} s")
    if result.status == "ok":
        result.notes = take_warnings(nb)
        result.skipped = skipped_sections(nb)
        if result.skipped:
            result.status = "partial"
        lang = str(job.parameters.get("lang", "en"))
        try:
            body = _export_html(nb, result.title)
            if result.notes:
                body = _insert_banner(body, _notes_banner(result.notes, lang))
            if result.skipped:
                body = _insert_banner(body, _skipped_banner(result.skipped, lang))
            (work / f"{stem}.html").write_text(body, encoding="utf-8")
        except Exception as exc:
            if _no_space(exc):
                raise
            result.status, result.error = "failed", f"HTML export: {type(exc).__name__}: {_first_line(exc)}"
    if nb is not None and (_trim_plotly_bundle(nb) or result.notes):
        nbformat.write(nb, executed)
    if result.status in WRITTEN:
        result.files = [f"{stem}.html", f"{stem}.ipynb"]
        if export_dir.is_dir():
            for csv in sorted(export_dir.glob("*.csv")):
                target = work / f"{stem}.{csv.name}"
                os.replace(csv, target)
                result.files.append(target.relative_to(work).as_posix())
    elif result.status == "failed" and executed.is_file():
        failed = work / f"{stem}.failed.ipynb"
        os.replace(executed, failed)
        result.files = [failed.relative_to(work).as_posix()]
    shutil.rmtree(export_dir, ignore_errors=True)
    if missing.is_file():
        result.missing_labels = sorted(set(missing.read_text(encoding="utf-8").split("\n")) - {""})
        missing.unlink()
    result.finished_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return result


# --- validation ----------------------------------------------------------------------------------


def parse_months(value: str) -> list[str]:
    """``"2026-01..2026-03"`` → ``["2026-01", "2026-02", "2026-03"]``; a single month or a comma list.

    Parameters
    ----------
    value : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> parse_months("2025-11..2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    >>> parse_months("2026-01,2026-03")
    ['2026-01', '2026-03']
    """
    out: list[str] = []
    for part in str(value).split(","):
        part = part.strip()
        if ".." in part:
            a, b = (x.strip() for x in part.split("..", 1))
            for m in (a, b):
                if not MONTH_RE.match(m):
                    raise BatchError(f"`--months` must look like 2026-01..2026-12, got {value!r}.")
            if a > b:
                raise BatchError(f"`--months` runs backwards: {a} is after {b}.")
            out += [str(p) for p in pd.period_range(a, b, freq="M")]
        else:
            if not MONTH_RE.match(part):
                raise BatchError(f"`--months` must look like 2026-01..2026-12 or 2026-01,2026-02, got {value!r}.")
            out.append(part)
    return list(dict.fromkeys(out))


def discover_notebooks(folder: Path, config: BatchConfig) -> list[str]:
    """The notebooks of the monthly batch: every ``*.ipynb`` of ``folder`` except the card notebook
    and the config's ``exclude`` list, in name order."""
    skip = {config.card_notebook, *config.exclude}
    return [p.stem for p in sorted(folder.glob("*.ipynb")) if p.stem not in skip]


def _type_ok(value: object, inferred: str) -> bool:
    checks = {"str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
              "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
    return checks.get(inferred, lambda v: True)(value)


def declared_parameters(path: str | Path) -> dict[str, str]:
    """The names (and annotated types) assigned in a notebook's cell tagged ``parameters``.

    Read with Python's ``ast`` rather than ``papermill.inspect_notebook``, whose line parser skips
    any line with a second ``=`` (e.g. in a comment such as ``("" = canonical names)``).

    Parameters
    ----------
    path : path
        The notebook.

    Returns
    -------
    dict
        ``{name: type}`` in the cell's order; the type is the annotation (``"str"``, ``"bool"``,
        ...) or ``""``. Empty when no cell is tagged ``parameters``.

    Raises
    ------
    BatchError
        The notebook cannot be read, or the parameters cell is not valid Python.
    """
    import ast

    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise BatchError(f"{path.name}: cannot read the notebook ({type(exc).__name__}: "
                         f"{_first_line(exc)}).") from None
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise BatchError(f"{path.name}: the parameters cell is not valid Python (line {exc.lineno}: "
                         f"{exc.msg}).") from None
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, "")
    return out


def check_notebook(path: Path, extra: Mapping[str, object] = MappingProxyType({}),
                   required: Sequence[str] = SHARED_PARAMETERS) -> None:
    """Refuse a notebook whose ``parameters`` cell lacks the shared parameters (or ``extra``).

    Without a cell tagged ``parameters`` papermill would inject the values *before* the defaults,
    which then silently win; this check turns that into an error before the batch runs.

    Raises
    ------
    BatchError
        One line naming the notebook and the missing parameters.
    """
    declared = declared_parameters(path)
    if not declared:
        raise BatchError(f"{path.name} has no code cell tagged 'parameters'; tag the cell that declares "
                         f"{', '.join(required)}.")
    missing = [p for p in [*required, *extra] if p not in declared]
    if missing:
        raise BatchError(f"{path.name}: its parameters cell does not declare {', '.join(missing)}.")
    for name, value in extra.items():
        if not _type_ok(value, declared[name]):
            raise BatchError(f"{CONFIG_NAME}: {path.stem}.{name} must be {declared[name]} (as declared in "
                             f"the notebook), got {value!r}.")


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def typed_value(name: str, text: str, annotation: str, notebook: str = "") -> object:
    """Turn a ``-p name=value`` text into the type the notebook's parameters cell declares.

    Parameters
    ----------
    name, text : str
        The parameter and its value as typed on the command line.
    annotation : str
        The annotation in the parameters cell (``"str"``, ``"int"``, ``"float"``, ``"bool"``,
        ``"list"``); anything else, or none, reads the value as YAML.
    notebook : str
        For the message.

    Returns
    -------
    object

    Raises
    ------
    BatchError
        The value does not read as the declared type.

    Examples
    --------
    >>> typed_value("penalizer", "0.001", "float"), typed_value("month_label", "202610", "str")
    (0.001, '202610')
    >>> typed_value("flag", "false", "bool"), typed_value("sizes", "[0.1, 0.9]", "list")
    (False, [0.1, 0.9])
    """
    import yaml

    where = f" ({notebook} declares {name}: {annotation})" if notebook else ""

    def bad() -> BatchError:
        return BatchError(f"`-p {name}={text}` must be {annotation or 'a YAML value'}{where}.")

    kind = annotation.split("[")[0].strip()
    if kind == "str":
        return text
    if kind == "bool":
        low = text.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise bad()
    if kind == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise bad() from None
    if kind == "float":
        try:
            return float(text.strip())
        except ValueError:
            raise bad() from None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise bad() from None
    if kind in ("list", "tuple") and not isinstance(value, list):
        raise bad()
    if kind == "dict" and not isinstance(value, dict):
        raise bad()
    return value


def parse_cli_parameters(items: Sequence[str], notebooks: Mapping[str, Path]) -> dict[str, dict[str, object]]:
    """The ``-p name=value`` options, typed per notebook by its parameters cell.

    A parameter goes to every notebook (of ``notebooks``: name → path) that declares it; one that
    no notebook declares, or a shared parameter (``month``, ``lang``, … have their own options),
    is an error.

    Returns
    -------
    dict
        ``{notebook: {name: value}}``.
    """
    out: dict[str, dict[str, object]] = {nb: {} for nb in notebooks}
    declared = {nb: declared_parameters(path) for nb, path in notebooks.items()}
    for item in items:
        name, sep, text = str(item).partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise BatchError(f"`-p` takes name=value, got {item!r}.")
        if name in SHARED_PARAMETERS:
            raise BatchError(f"`-p {name}=…`: {name} is a shared parameter; use --{name.replace('_', '-')}"
                             " (or --data for data_dir).")
        takers = [nb for nb, params in declared.items() if name in params]
        if not takers:
            raise BatchError(f"`-p {name}=…`: no notebook to run declares a parameter {name!r}.")
        for nb in takers:
            out[nb][name] = typed_value(name, text, declared[nb][name], nb)
    return out


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise BatchError(
            f"Jupyter kernel {name!r} not found. Install it with: .venv/bin/python -m ipykernel "
            f"install --sys-prefix --name {name}"
        ) from None


def select_cards(ds, spec: str, *, as_of: pd.Timestamp, top: int = DEFAULT_TOP_CARDS) -> list[str]:
    """The customers whose information cards the batch renders.

    Parameters
    ----------
    ds : Dataset
        The loaded dataset.
    spec : str
        ``"key"`` (key accounts, :func:`crm_lib.tiering.key_accounts` at ``as_of``), ``"top"`` or
        ``"top:N"`` (the N customers with the highest sales in the 12 months to ``as_of``), or a
        comma-separated list of customer ids.
    as_of : Timestamp
        The report month's last day.
    top : int
        N for a bare ``"top"``.

    Returns
    -------
    list of str
        Customer ids in report order.
    """
    from crm_lib import summary

    spec = (spec or "key").strip()
    known = pd.Index(ds.customers["customer_id"].dropna())
    if spec == "key":
        from crm_lib import tiering

        ind = tiering.pyramid_indicators(ds.transactions, ds.customers, as_of=as_of)
        ka = tiering.key_accounts(ind, customers=ds.customers, interactions=ds.interactions, as_of=as_of)
        ka = ka[ka["is_key_account"]].sort_values("sales", ascending=False, kind="stable")
        return [str(x) for x in ka.index]
    m = re.fullmatch(r"top(?::(\d+))?", spec)
    if m:
        n = int(m.group(1) or top)
        if n < 1:
            raise BatchError(f"`--cards top:N` needs N of at least 1, got {n}.")
        start = (as_of.to_period("M") - 11).to_timestamp()
        tot = summary.totals(ds.transactions, start=start, as_of=as_of)
        tot = tot[tot.index.isin(known)].sort_values("sales", ascending=False, kind="stable")
        return [str(x) for x in tot.index[:n]]
    ids = [x.strip() for x in spec.split(",") if x.strip()]
    unknown = [x for x in ids if x not in known]
    if unknown:
        raise BatchError(f"`--cards`: {len(unknown)} customer id(s) not in customers: "
                         f"{', '.join(map(repr, unknown[:5]))}. Use key, top, top:N or customer ids.")
    return list(dict.fromkeys(ids))


def _safe_name(customer_id: str) -> str:
    """A file name for a customer's card: distinct for distinct ids, safe on every file system.

    Ids made only of lower-case ASCII letters, digits, ``_`` and ``-`` (up to 80, not starting
    with ``-``) stay as they are; any other id keeps its safe characters and gets the first 10 hex
    digits of the SHA-256 of the id appended, so that ``C/1``, ``C_1`` and ``C 1`` do not collide,
    nor ``C1`` and ``c1`` on a case-insensitive disk.

    Examples
    --------
    >>> _safe_name("c_1"), _safe_name("C_1"), _safe_name("C/1") != _safe_name("C 1")
    ('c_1', 'C_1-c205c00dfe', True)
    """
    import hashlib

    plain = re.fullmatch(r"[a-z0-9_][a-z0-9_-]{0,79}", customer_id) is not None
    if plain:
        return customer_id
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", customer_id)[:60].lstrip("-") or "_"
    digest = hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:10]
    return f"{stem}-{digest}"


WORK_PREFIX = ".crm-report-"
_PID_FILE = "pid"


def _clean_stale_work(out: Path) -> list[Path]:
    """Remove the ``.crm-report-*`` work folders that killed runs left in ``out``.

    A folder whose run is still alive (its ``pid`` file names a running process) is kept, so two
    batches writing to one folder do not disturb each other.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed = []
    for folder in out.glob(f"{WORK_PREFIX}*"):
        if not folder.is_dir():
            continue
        try:
            pid = int((folder / _PID_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            pid = 0
        alive = False
        if pid > 0 and pid != os.getpid():
            try:
                os.kill(pid, 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:
                alive = True
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _no_space(exc: BaseException | None) -> OSError | None:
    """The "no space left on device" error inside ``exc`` (itself or a cause), if there is one."""
    import errno

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# --- writing a month -----------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _commit(results: list[Result], work: Path, final: Path) -> None:
    """Move a month's finished files into place, one rename per file."""
    final.mkdir(parents=True, exist_ok=True)
    for r in results:
        (final / r.name).parent.mkdir(parents=True, exist_ok=True)
        base = final / r.name
        if r.status in WRITTEN:
            keep = set(r.files)
            for old in base.parent.glob(f"{base.name}.*.csv"):
                if old.relative_to(final).as_posix() not in keep:
                    old.unlink()
            with contextlib.suppress(FileNotFoundError):
                (final / f"{r.name}.failed.ipynb").unlink()
        for rel in r.files:
            (final / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / rel, final / rel)


def _quality_summary(quality: pd.DataFrame) -> dict:
    counts = quality["severity"].value_counts()
    return {"counts": {k: int(v) for k, v in counts.items()},
            "rows": quality.astype({"rows": "int64"}).to_dict(orient="records")}


def _manifest(final: Path) -> dict:
    path = final / "manifest.json"
    if path.is_file():
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("reports"), dict):
                return data
    return {"reports": {}}


_CSS = """
body{font-family:"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",Arial,sans-serif;
margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#1f5f8b;color:#fff}.ok{color:#2e7d32;font-weight:600}.failed{color:#c0392b;font-weight:600}
.partial{color:#b26a00;font-weight:600}.not_applicable{color:#555;font-weight:600}
.error{color:#c0392b;font-size:.85rem}.meta{color:#555;font-size:.9rem}.sev-error{background:#f8d7d4}
.sev-warning{background:#fdf0d0}.sev-info{background:#e8f1f8}.num{white-space:nowrap}
"""


def render_index(month: str, manifest: dict, *, lang: str) -> str:
    """The month's ``index.html``: reports with status and run time, cards, the data-quality summary.

    Every text from notebooks or data is HTML-escaped.
    """
    from crm_lib.labels import has_label, label

    def tr(text: object) -> str:
        """Translate data values that are catalogue keys; anything else as it is."""
        return html.escape(label(str(text), lang) if has_label(str(text)) else str(text))

    def t(key: str, **kw) -> str:
        return html.escape(label(key, lang, **kw))

    def esc(x: object) -> str:
        return html.escape(str(x))

    def link(rel: str, text: str) -> str:
        return f'<a href="{html.escape(rel, quote=True)}">{esc(text)}</a>'

    rows, cards = [], []
    for name, r in sorted(manifest["reports"].items()):
        status = r.get("status", "not_run")
        shown = r.get("title") or name
        if name.startswith("cards/"):
            shown = f"{Path(name).name} · {shown}"
        parts = []
        parts.append(link(f"{name}.html", shown) if status in WRITTEN else esc(shown))
        if status == "failed" and r.get("previous_html"):
            parts.append(f'<br><span class="meta">{link(name + ".html", label("previous_report", lang))}'
                         f' ({esc(r.get("previous_at", ""))})</span>')
        if r.get("error") and status == "not_applicable":
            parts.append(f'<div class="meta">{esc(r["error"])}</div>')
        elif r.get("error"):
            cell = f"[{r['cell']}] " if r.get("cell") is not None else ""
            parts.append(f'<div class="error">{esc(cell + r["error"])}</div>')
        if r.get("skipped"):
            items = "".join(f"<li>{esc(x.get('section') + ': ' if x.get('section') else '')}"
                            f"{esc(x.get('note', ''))}</li>" for x in r["skipped"])
            parts.append(f'<div class="meta">{t("skipped_sections")}:<ul>{items}</ul></div>')
        files = r.get("files", [])
        csvs = " ".join(link(f, Path(f).name.removeprefix(Path(name).name + ".")) for f in files
                        if f.endswith(".csv"))
        nbs = " ".join(link(f, Path(f).name) for f in files if f.endswith(".ipynb"))
        row = (f"<tr><td>{''.join(parts)}</td><td class=\"{esc(status)}\">{t('status_' + status)}</td>"
               f"<td class=\"num\">{r.get('seconds', 0):.1f} s</td><td>{csvs}</td><td>{nbs}</td>"
               f"<td class=\"meta\">{esc(r.get('finished_at', ''))}</td></tr>")
        (cards if name.startswith("cards/") else rows).append(row)
    head = (f"<tr><th>{t('report')}</th><th>{t('status')}</th><th>{t('run_time')}</th>"
            f"<th>{t('csv_files')}</th><th>{t('executed_notebook')}</th><th>{t('generated_at')}</th></tr>")
    q = manifest.get("quality") or {"counts": {}, "rows": []}
    counts = ", ".join(f"{t(sev)}: {q['counts'].get(sev, 0)}" for sev in ("error", "warning", "info"))
    qrows = "".join(
        f'<tr class="sev-{esc(x.get("severity"))}"><td>{tr(x.get("table"))}</td>'
        f"<td>{tr(x.get('check'))}</td><td>{tr(x.get('severity'))}</td>"
        f"<td>{int(x.get('rows') or 0):,}</td><td>{esc(x.get('examples'))}</td></tr>"
        for x in q["rows"])
    qhead = (f"<tr><th>{t('table')}</th><th>{t('check')}</th><th>{t('severity')}</th><th>{t('rows')}</th>"
             f"<th>{t('examples')}</th></tr>")
    meta = manifest.get("run", {})
    lines = [f"{t('data_folder')}: {esc(meta.get('data_dir', ''))}",
             f"{t('language')}: {esc(meta.get('lang', lang))}"]
    if meta.get("mask_pii"):
        lines.append(t("pii_masked"))
    lines.append(f"{t('generated_at')}: {esc(meta.get('finished_at', ''))}")
    card_html = (f"<h2>{t('customer_cards')}</h2><table>{head}{''.join(cards)}</table>" if cards else "")
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t('report_index_title', month=month)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{t('report_index_title', month=month)}</h1><p class=\"meta\">{'<br>'.join(lines)}</p>"
        f"<table>{head}{''.join(rows)}</table>{card_html}"
        f"<h2>{t('data_quality')}</h2><p>{counts}</p>"
        + (f"<table>{qhead}{qrows}</table>" if q["rows"] else f"<p>{t('no_quality_issues')}</p>")
        + "</body></html>\n"
    )


def _update_manifest(final: Path, results: list[Result], quality: dict, run: dict) -> dict:
    manifest = _manifest(final)
    for r in results:
        old = manifest["reports"].get(r.name, {})
        entry = {k: v for k, v in asdict(r).items() if k not in ("name", "month")}
        if r.status == "failed":
            had = old.get("status") in WRITTEN or old.get("previous_html")
            if had and (final / f"{r.name}.html").is_file():
                entry["previous_html"] = True
                entry["previous_at"] = old.get("finished_at") if old.get("status") in WRITTEN \
                    else old.get("previous_at", "")
                entry["files"] = sorted(set(entry["files"]) | {f for f in old.get("files", [])
                                                                if not f.endswith(".failed.ipynb")})
        manifest["reports"][r.name] = entry
    manifest["quality"] = quality
    manifest["run"] = run
    return manifest


# --- the command ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything validated, ready to run."""

    jobs: list[Job]
    months: list[str]
    out: Path
    work: Path
    quality: dict
    run: dict
    lang: str


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="crm-report",
        description="Run the analysis notebooks for a month and write offline HTML reports.",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--month", default="", help="report month YYYY-MM (default: the latest complete "
                      "month in the data)")
    when.add_argument("--months", default="", help="several months: 2026-01..2026-12 or 2026-01,2026-03")
    p.add_argument("--data", default="data/sample", help="dataset folder (default: data/sample)")
    p.add_argument("--mapping", default="", help="mapping file for your own export")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--lang", choices=LANGS, default="en", help="report language")
    p.add_argument("--mask-pii", action="store_true", help="mask names, phones and emails")
    p.add_argument("--notebooks", default="", help="comma-separated subset of notebooks (names without "
                   ".ipynb)")
    p.add_argument("--cards", nargs="?", const="key", default=None, metavar="WHICH",
                   help="also render customer cards: key (key accounts, the default), top, top:N, or "
                   "comma-separated customer ids")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="set a notebook parameter, typed as its parameters cell declares it (e.g. "
                   "-p penalizer=0.001); goes to every notebook that declares NAME; repeatable")
    p.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel (processes)")
    p.add_argument("--notebook-dir", default=str(NOTEBOOKS_DIR), help="folder of the notebooks "
                   "(default: the workbook's notebooks/)")
    p.add_argument("--config", default="", help=f"batch config (default: <notebook dir>/{CONFIG_NAME})")
    p.add_argument("--kernel", default=KERNEL, help=f"Jupyter kernel (default: {KERNEL})")
    p.add_argument("--timeout", type=float, default=None, help="seconds a cell may run (default: "
                   f"from the config, else {EXECUTION_TIMEOUT})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-shared-load", action="store_true", help="every notebook loads and validates "
                   "the data itself (by default the batch loads it once and shares it)")
    return p


def plan(args: argparse.Namespace) -> Plan:
    """Validate the arguments, the data and the notebooks; build the jobs. Runs nothing.

    Raises
    ------
    BatchError or DataError
        One line saying what is wrong.
    """
    from crm_lib.data import load_dataset

    nb_dir = Path(args.notebook_dir).resolve()
    if not nb_dir.is_dir():
        raise BatchError(f"Notebook folder {nb_dir} not found.")
    config = read_config(Path(args.config) if args.config else nb_dir / CONFIG_NAME)
    if args.jobs < 1:
        raise BatchError(f"`--jobs` must be at least 1, got {args.jobs}.")
    timeout = float(args.timeout) if args.timeout is not None else config.execution_timeout
    if timeout <= 0:
        raise BatchError(f"`--timeout` must be positive, got {args.timeout}.")
    data = Path(args.data).resolve()
    if not data.is_dir():
        raise BatchError(f"Data folder {args.data} not found.")
    mapping = str(Path(args.mapping).resolve()) if args.mapping else ""
    if mapping and not Path(mapping).is_file():
        raise BatchError(f"Mapping file {args.mapping} not found.")

    available = discover_notebooks(nb_dir, config)
    if args.notebooks:
        wanted = [x.strip().removesuffix(".ipynb") for x in args.notebooks.split(",") if x.strip()]
        unknown = [x for x in wanted if x not in available]
        if unknown:
            raise BatchError(f"Unknown notebook(s) {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(available) or 'none'}.")
        names = list(dict.fromkeys(wanted))
    else:
        names = available
    stray = sorted(set(config.parameters) - set(available) - {config.card_notebook})
    if stray:
        raise BatchError(f"{CONFIG_NAME} sets parameters for {', '.join(stray)}, which is not a notebook "
                         f"in {nb_dir.name}/.")
    if not names and not args.cards:
        raise BatchError(f"No notebooks to run in {nb_dir}.")
    for name in names:
        check_notebook(nb_dir / f"{name}.ipynb", config.parameters.get(name, {}))
    card_nb = nb_dir / f"{config.card_notebook}.ipynb"
    targets = {n: nb_dir / f"{n}.ipynb" for n in names}
    if args.cards and card_nb.is_file():
        targets[config.card_notebook] = card_nb
    cli = parse_cli_parameters(getattr(args, "parameter", []) or [], targets)
    if args.cards:
        if not card_nb.is_file():
            raise BatchError(f"`--cards` needs {card_nb.name} in {nb_dir.name}/, which is missing.")
        check_notebook(card_nb, config.parameters.get(config.card_notebook, {}),
                       required=(*SHARED_PARAMETERS, config.card_parameter))
    _check_kernel(args.kernel)

    key = _cache.cache_key(data, mapping or None, args.mask_pii, None)  # of the files before the load
    ds = load_dataset(data, mapping=mapping or None, mask_pii=args.mask_pii)
    if args.months:
        months = parse_months(args.months)
    elif args.month:
        if not MONTH_RE.match(args.month):
            raise BatchError(f"`--month` must look like 2026-10, got {args.month!r}.")
        months = [args.month]
    else:
        months = [ds.month_end("").strftime("%Y-%m")]
    as_of = {m: ds.month_end(m) for m in months}  # DataError outside the data

    cards = {m: select_cards(ds, args.cards, as_of=as_of[m], top=config.card_top) if args.cards else []
             for m in months}

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clean_stale_work(out)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=out))
    (work / _PID_FILE).write_text(str(os.getpid()), encoding="ascii")
    cache = None
    if not getattr(args, "no_shared_load", False):
        cache = _cache.write(ds, work / "dataset.pickle", key)
    dataset = str(cache) if cache else ""
    jobs: list[Job] = []
    for month in months:
        shared = {"data_dir": str(data), "mapping": mapping, "month": month, "lang": args.lang,
                  "mask_pii": bool(args.mask_pii)}
        for name in names:
            jobs.append(Job(str(nb_dir / f"{name}.ipynb"), name, month,
                            {**shared, **config.parameters.get(name, {}), **cli.get(name, {})},
                            str(work / month),
                            str(nb_dir), args.kernel, timeout, dataset))
        for cid in cards[month]:
            params = {**shared, **config.parameters.get(config.card_notebook, {}),
                      **cli.get(config.card_notebook, {}), config.card_parameter: cid}
            jobs.append(Job(str(card_nb), f"cards/{_safe_name(cid)}", month, params,
                            str(work / month), str(nb_dir), args.kernel, timeout, dataset))
        (work / month / "cards").mkdir(parents=True, exist_ok=True)
    run = {"data_dir": str(args.data), "lang": args.lang, "mask_pii": bool(args.mask_pii)}
    return Plan(jobs, months, out, work, _quality_summary(ds.quality), run, args.lang)


def execute(p: Plan, *, jobs: int = 1, progress: bool = True) -> list[Result]:
    """Run the plan's jobs (in ``jobs`` processes) and commit each month as soon as it is complete.

    Returns
    -------
    list of Result
    """
    from tqdm.auto import tqdm

    pending = {m: sum(j.month == m for j in p.jobs) for m in p.months}
    done: dict[str, list[Result]] = {m: [] for m in p.months}
    results: list[Result] = []
    bar = tqdm(total=len(p.jobs), desc="reports", unit="nb", disable=None if progress else True,
               file=sys.stderr)

    def finish(r: Result) -> None:
        results.append(r)
        done[r.month].append(r)
        bar.update(1)
        if r.status == "not_applicable":
            bar.write(f"not applicable {r.month} {r.name}: {r.error}", file=sys.stderr)
        elif r.status == "failed":
            cell = f"cell {r.cell}: " if r.cell is not None else ""
            kept = f" (executed notebook: {p.out / r.month / r.files[0]})" if r.files else ""
            bar.write(f"FAILED {r.month} {r.name}: {cell}{r.error}{kept}", file=sys.stderr)
        if r.missing_labels:
            more = f" and {len(r.missing_labels) - 8} more" if len(r.missing_labels) > 8 else ""
            bar.write(f"note: {r.month} {r.name}: no catalogue entry (shown as the key) for "
                      f"{', '.join(r.missing_labels[:8])}{more}", file=sys.stderr)
        if len(done[r.month]) == pending[r.month]:
            _finish_month(p, r.month, done[r.month])

    for m in p.months:
        if pending[m] == 0:
            _finish_month(p, m, [])
    try:
        if jobs == 1 or len(p.jobs) <= 1:
            for job in p.jobs:
                finish(run_job(job))
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                futures = {pool.submit(run_job, job): job for job in p.jobs}
                for fut in cf.as_completed(futures):
                    job = futures[fut]
                    try:
                        r = fut.result()
                    except Exception as exc:  # a worker process died
                        if _no_space(exc):
                            raise
                        r = Result(job.name, job.month, "failed", 0.0,
                                   error=f"{type(exc).__name__}: {_first_line(exc)}")
                    finish(r)
    finally:
        bar.close()
        shutil.rmtree(p.work, ignore_errors=True)
    return results


def _finish_month(p: Plan, month: str, results: list[Result]) -> None:
    final = p.out / month
    _commit(results, p.work / month, final)
    run = {**p.run, "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}
    manifest = _update_manifest(final, results, p.quality, run)
    _write_atomic(final / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    _write_atomic(final / "index.html", render_index(month, manifest, lang=p.lang))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``crm-report`` command (also ``python -m crm_lib report``).

    Returns
    -------
    int
        0 when no report failed (ok, partial or not applicable), 1 when some notebook failed, 2 when
        nothing ran or the disk is full.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        p = plan(args)
    except DataError as exc:
        print(f"crm-report: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"crm-report: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
    try:
        results = execute(p, jobs=args.jobs, progress=not args.no_progress)
    except OSError as exc:
        full = _no_space(exc)
        if full is None:
            raise
        print(f"crm-report: error: no space left while writing {full.filename or p.out}; free some "
              "space and run again.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crm-report: interrupted; finished months are written, the rest is discarded.",
              file=sys.stderr)
        return 130
    failed = [r for r in results if r.status == "failed"]
    for month in p.months:
        mine = [r for r in results if r.month == month]
        count = {s: sum(r.status == s for r in mine) for s in STATUSES}
        print(f"{month}: {count['ok'] + count['partial']} of {len(mine)} reports written "
              f"({count['ok']} ok, {count['partial']} partial), {count['not_applicable']} not applicable, "
              f"{count['failed']} failed -> {p.out / month / 'index.html'}")
    if failed:
        print(f"crm-report: {len(failed)} notebook run(s) failed: "
              + ", ".join(f"{r.month}/{r.name}" for r in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
