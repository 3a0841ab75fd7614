"""A dataset loaded once per report batch and shared with the notebooks' kernels.

The batch loads and validates the data before anything runs (:func:`crm_lib.report.plan`); it
writes that :class:`~crm_lib.data.Dataset` to a pickle in its work folder and passes the file to
every kernel in :data:`CACHE_ENV`. :func:`crm_lib.data.load_dataset` returns the stored dataset
when the call's key matches the file's (:func:`cache_key`: the resolved data folder, the mapping
file, ``mask_pii``, the day of the "date in the future" check, and the size and modification time
of every file in the data folder and of the mapping file); any other call loads as usual. The
stored dataset is the loaded one, pickled: every table, attribute and the quality report are the
same as a fresh load's.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

CACHE_ENV = "CRM_WORKBOOK_DATASET_CACHE"
"""Environment variable naming the dataset file a batch shares with its kernels."""


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def cache_key(path, mapping, mask_pii: bool, today) -> tuple | None:
    """The key of a ``load_dataset`` call, or None when it cannot be cached (a mapping given as a
    dict, a folder that cannot be read).

    Examples
    --------
    >>> cache_key("/nonexistent", None, False, None) is None
    True
    """
    if mapping is not None and not isinstance(mapping, (str, os.PathLike)):
        return None
    try:
        folder = Path(path).resolve()
        files = tuple(sorted((p.relative_to(folder).as_posix(), *_stat(p))
                             for p in folder.rglob("*") if p.is_file()))
        mapped = None
        if mapping is not None and str(mapping):
            m = Path(mapping).resolve()
            mapped = (str(m), *_stat(m))
    except OSError:
        return None
    if not files:
        return None
    day = (pd.Timestamp(today) if today is not None else pd.Timestamp.today()).normalize()
    return (str(folder), mapped, bool(mask_pii), day.isoformat(), files)


def write(ds, target: Path, key: tuple | None) -> Path | None:
    """Store ``ds`` under ``key`` in ``target`` (written through a temporary file); None when the
    key is None."""
    if key is None:
        return None
    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(key, f, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(ds, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)
    return target


def shared(path, mapping, mask_pii: bool, today, environ: Mapping[str, str] = os.environ):
    """The dataset stored in the file named by :data:`CACHE_ENV` when it was loaded with these
    arguments from the same files, else None (also when the variable is not set: nothing is read).

    Examples
    --------
    >>> shared("data/sample", None, False, None, environ={}) is None
    True
    """
    name = environ.get(CACHE_ENV, "")
    if not name:
        return None
    key = cache_key(path, mapping, mask_pii, today)
    if key is None:
        return None
    try:
        with open(name, "rb") as f:
            if pickle.load(f) != key:
                return None
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None
