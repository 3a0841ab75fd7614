"""Where the transaction log lives: pandas in memory, a DuckDB relation, or a Spark DataFrame.

:mod:`crm_lib.summary` takes the log as any of the three. A pandas DataFrame is aggregated in
process with numpy; a DuckDB relation or a Spark DataFrame stays in its engine: the summary is
written once as SQL (:mod:`crm_lib.engines._sql`, with a small dialect table for the two
engines) and only the small results (one row per customer or group, or a histogram) come back
to pandas. Why SQL and not a dataframe layer over both engines is measured in
``docs/scale.md``.

>>> import pandas as pd
>>> engine_of(pd.DataFrame({"a": [1]}))
'pandas'
"""

from __future__ import annotations

from crm_lib._errors import DataError
from crm_lib.engines._backends import Backend, backend

__all__ = ["ENGINES", "Backend", "backend", "engine_of"]

#: The engines the summary runs on.
ENGINES: tuple[str, ...] = ("pandas", "duckdb", "spark")


def engine_of(table: object) -> str:
    """Name of the engine that holds ``table``: ``"pandas"``, ``"duckdb"`` or ``"spark"``.

    Raises
    ------
    DataError
        When ``table`` is none of a pandas DataFrame, a DuckDB relation or a Spark DataFrame.
    """
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        return "pandas"
    kind = type(table)
    module = kind.__module__ or ""
    if module.startswith("duckdb") and kind.__name__ == "DuckDBPyRelation":
        return "duckdb"
    if module.startswith("pyspark") and kind.__name__ == "DataFrame":
        return "spark"
    raise DataError(
        f"`transactions` must be a pandas DataFrame, a DuckDB relation or a Spark DataFrame, "
        f"got {kind.__name__}."
    )
