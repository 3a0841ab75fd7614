"""The batch's one load, shared with the notebooks: the same dataset as a fresh load, the same reports."""

import dataclasses
import os
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crm_lib import _cache, data, report, sample
from crm_lib.data import load_dataset

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-07-15"


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    sample.write(sample.generate(120, seed=11, start="2025-01-01", end="2026-06-30"), folder)
    return folder


def assert_same_dataset(a: data.Dataset, b: data.Dataset) -> None:
    """Every attribute of the Dataset: tables (with their attrs), the quality report, the source."""
    for f in dataclasses.fields(data.Dataset):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f.name)
            assert x.attrs == y.attrs, f.name
        else:
            assert x == y, f.name


def _cached(folder, tmp_path, monkeypatch, **kw) -> Path:
    """Store the dataset the way the batch does and point the environment at it."""
    key = _cache.cache_key(folder, kw.get("mapping"), kw.get("mask_pii", False), TODAY)
    ds = load_dataset(folder, **kw, today=TODAY)
    path = _cache.write(ds, tmp_path / "dataset.pickle", key)
    monkeypatch.setenv(_cache.CACHE_ENV, str(path))
    return path


def _no_loading(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("loaded the files instead of the shared dataset")
    monkeypatch.setattr(data, "_load_table", refuse)


@pytest.mark.parametrize("mask_pii", [False, True])
def test_shared_dataset_is_the_fresh_one(company, tmp_path, monkeypatch, mask_pii):
    monkeypatch.delenv(_cache.CACHE_ENV, raising=False)
    fresh = load_dataset(company, mask_pii=mask_pii, today=TODAY)
    _cached(company, tmp_path, monkeypatch, mask_pii=mask_pii)
    with monkeypatch.context() as m:
        _no_loading(m)
        shared = load_dataset(str(company), mask_pii=mask_pii, today=pd.Timestamp(TODAY) + pd.Timedelta("3h"))
    assert shared is not fresh
    assert_same_dataset(shared, fresh)
    assert not shared.quality.empty


def test_other_arguments_or_changed_files_load_afresh(company, tmp_path, monkeypatch):
    _cached(company, tmp_path, monkeypatch)
    calls = []
    real = data._load_table
    monkeypatch.setattr(data, "_load_table", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    load_dataset(company, today=TODAY)
    assert calls == []
    masked = load_dataset(company, mask_pii=True, today=TODAY)                 # other mask_pii
    assert masked.customers["name"].ne(load_dataset(company, today=TODAY).customers["name"]).any()
    assert "customers" in calls
    calls.clear()
    load_dataset(company, today="2026-07-16")                                   # another day
    assert "transactions" in calls
    copy = tmp_path / "copy"
    shutil.copytree(company, copy)
    calls.clear()
    load_dataset(copy, today=TODAY)                                             # another folder
    assert "transactions" in calls
    edited = tmp_path / "edited"
    shutil.copytree(company, edited)
    key = _cache.cache_key(edited, None, False, TODAY)
    _cache.write(load_dataset(edited, today=TODAY), tmp_path / "dataset.pickle", key)
    st = (edited / "transactions.csv").stat()
    os.utime(edited / "transactions.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    calls.clear()
    load_dataset(edited, today=TODAY)                                           # a file touched
    assert "transactions" in calls
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path / "missing.pickle"))
    calls.clear()
    load_dataset(company, today=TODAY)                                          # no such file
    assert "transactions" in calls


def _probe_notebook(path: Path) -> None:
    params = ('data_dir: str = ""\nmapping: str = ""\nmonth: str = ""\nlang: str = "en"\n'
              'mask_pii: bool = False')
    nb = new_notebook(cells=[
        new_markdown_cell("# Probe"),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell("from crm_lib import _cache\n"
                      "assert _cache.shared(data_dir, mapping or None, mask_pii, None) is not None"),
    ], metadata={"kernelspec": {"name": "crm-workbook", "display_name": "crm-workbook",
                                "language": "python"}})
    nbformat.write(nb, path)


def _outputs(month: Path) -> dict[str, bytes]:
    return {p.relative_to(month).as_posix(): p.read_bytes() for p in sorted(month.rglob("*"))
            if p.suffix in (".html", ".csv") and p.name != "index.html"}


@pytest.mark.slow
def test_batch_outputs_are_the_same_bytes_with_and_without_the_shared_load(company, tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    for name in ("00_data_quality", "50_rfm"):
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", nbs)
    shutil.copy(ROOT / "notebooks" / "batch.yaml", nbs)
    _probe_notebook(nbs / "01_probe.ipynb")
    base = ["--data", str(company), "--notebook-dir", str(nbs), "--month", "2026-05", "--jobs", "2",
            "--no-progress"]
    assert report.main([*base, "--out", str(tmp_path / "shared")]) == 0
    assert report.main([*base, "--out", str(tmp_path / "own"), "--no-shared-load",
                        "--notebooks", "00_data_quality,50_rfm"]) == 0
    shared, own = _outputs(tmp_path / "shared" / "2026-05"), _outputs(tmp_path / "own" / "2026-05")
    assert {"00_data_quality.html", "50_rfm.html", "01_probe.html"} <= set(shared)
    assert any(k.endswith(".csv") for k in own)
    del shared["01_probe.html"]
    assert shared.keys() == own.keys()
    for name in own:
        assert shared[name] == own[name], name
