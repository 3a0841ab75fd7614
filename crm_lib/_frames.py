"""Small vectorised helpers over pandas objects that the analysis modules share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def isin(values: pd.Series | pd.Index, allowed) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array, fast for long text columns.

    pandas' ``isin`` on its pyarrow-backed ``str`` dtype converts ``allowed`` one element at a
    time; with a million ids that dominates a load. This asks pyarrow directly. Missing values
    are never in ``allowed``.

    Examples
    --------
    >>> isin(pd.Series(["a", "b", None]), ["b", "c"]).tolist()
    [False, True, False]
    """
    allowed = pd.Index(allowed)
    if len(allowed) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_string_dtype(values) and pd.api.types.is_string_dtype(allowed):
        arr = pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True) \
            if values.dtype == object else pa.array(values, type=pa.large_string())
        ref = pa.array(allowed.dropna().astype("str"), type=pa.large_string())
        out = pc.is_in(arr, value_set=ref, skip_nulls=True)
        return np.asarray(out.fill_null(False), dtype=bool)
    return np.asarray(pd.Series(values).isin(allowed), dtype=bool)
