"""The two out-of-process engines behind one small interface.

A :class:`Backend` wraps one table of the engine (a DuckDB relation or a Spark DataFrame) and
knows four things: the kind of each column, how to run a query over the table and bring the
(small) result to pandas, how to run it and keep the result in the engine, and the SQL dialect
(:class:`Dialect`) that the queries of :mod:`crm_lib.engines._sql` are written in. The driver
imports neither DuckDB nor PySpark: an engine's table brings its own module along.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd

from crm_lib._errors import DataError

#: Name under which a query sees the wrapped table.
TABLE = "crm_tx"


@dataclass(frozen=True)
class Dialect:
    """What differs between DuckDB's and Spark's SQL in the queries of this package."""

    name: str
    table: str  # how a query names the wrapped table
    quote_char: str

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + str(name).replace(q, q + q) + q

    def day(self, date_expr: str) -> str:
        """Day number since 1970-01-01 of a DATE expression."""
        if self.name == "spark":
            return f"datediff({date_expr}, DATE'1970-01-01')"
        return f"date_diff('day', DATE '1970-01-01', {date_expr})"

    def month_start_day(self, month_expr: str) -> str:
        """Day number of the first day of a month number (months since 1970-01)."""
        year = f"CAST(1970 + floor(({month_expr}) / 12.0) AS INT)"
        month = f"CAST(({month_expr}) - 12 * floor(({month_expr}) / 12.0) + 1 AS INT)"
        return self.day(f"make_date({year}, {month}, 1)")


DUCKDB = Dialect("duckdb", TABLE, '"')
SPARK = Dialect("spark", "{" + TABLE + "}", "`")

_NUMBER = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
    r"FLOAT|DOUBLE|REAL|DECIMAL.*|INT.*|BYTE|SHORT|LONG)$", re.IGNORECASE)


def _kind_of(type_name: str) -> str:
    t = type_name.upper()
    if t.startswith(("DATE", "TIMESTAMP")):
        return "date"
    if _NUMBER.match(t):
        return "number"
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    if t.startswith(("VARCHAR", "STRING", "CHAR", "TEXT")):
        return "string"
    return "other"


class Backend:
    """One table of an engine: its columns, and queries over it."""

    name: str = ""
    dialect: Dialect

    def __init__(self, table: object) -> None:
        self.table = table

    def types(self) -> dict[str, str]:
        """Engine type name of each column, in order."""
        raise NotImplementedError

    def kinds(self) -> dict[str, str]:
        """``date``, ``number``, ``bool``, ``string`` or ``other`` for each column."""
        return {c: _kind_of(t) for c, t in self.types().items()}

    def query(self, sql: str) -> object:
        """Run ``sql`` (naming the table as ``dialect.table``); the result stays in the engine."""
        raise NotImplementedError

    def collect(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and bring its result to pandas."""
        return self.to_pandas(self.query(sql))

    def to_pandas(self, result: object) -> pd.DataFrame:
        raise NotImplementedError

    def write_mapped(self, result: object, fn: Callable[[pd.DataFrame], pd.DataFrame],
                     schema: dict[str, str], path: str, *, batch_rows: int) -> int:
        """Apply ``fn`` to ``result`` batch by batch in the engine and write Parquet to ``path``.

        ``schema`` gives the output columns and their types (``string``, ``double``); returns
        the number of rows written.
        """
        raise NotImplementedError


class DuckDBBackend(Backend):
    name = "duckdb"
    dialect = DUCKDB

    def types(self) -> dict[str, str]:
        return {c: str(t) for c, t in zip(self.table.columns, self.table.types, strict=True)}

    def query(self, sql: str) -> object:
        return self.table.query(TABLE, sql)

    def to_pandas(self, result: object) -> pd.DataFrame:
        return result.to_arrow_table().to_pandas()

    def batches(self, result: object, batch_rows: int) -> Iterator[pd.DataFrame]:
        reader = result.to_arrow_reader(batch_rows)
        for batch in reader:
            yield batch.to_pandas()

    def write_mapped(self, result, fn, schema, path, *, batch_rows):
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow_schema = pa.schema([(c, pa.string() if t == "string" else pa.float64())
                                  for c, t in schema.items()])
        rows = 0
        with pq.ParquetWriter(path, arrow_schema) as writer:
            for part in self.batches(result, batch_rows):
                out = fn(part)
                writer.write_table(pa.Table.from_pandas(out, schema=arrow_schema,
                                                        preserve_index=False))
                rows += len(out)
        return rows


class SparkBackend(Backend):
    name = "spark"
    dialect = SPARK

    def types(self) -> dict[str, str]:
        return {f.name: f.dataType.simpleString() for f in self.table.schema.fields}

    def query(self, sql: str) -> object:
        return self.table.sparkSession.sql(sql, **{TABLE: self.table})

    def to_pandas(self, result: object) -> pd.DataFrame:
        with warnings.catch_warnings():
            # PySpark warns on every conversion that it does not yet list pandas 3 as supported
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas",
                                    FutureWarning)
            return result.toPandas()

    def write_mapped(self, result, fn, schema, path, *, batch_rows):
        ddl = ", ".join(f"`{c}` {'string' if t == 'string' else 'double'}"
                        for c, t in schema.items())

        def run(batches):
            for part in batches:
                yield fn(part)

        mapped = result.mapInPandas(run, ddl)
        mapped.write.mode("overwrite").parquet(path)
        return int(result.sparkSession.read.parquet(path).count())


def backend(table: object) -> Backend:
    """The :class:`Backend` for a DuckDB relation or a Spark DataFrame."""
    from crm_lib.engines import engine_of

    name = engine_of(table)
    if name == "duckdb":
        return DuckDBBackend(table)
    if name == "spark":
        return SparkBackend(table)
    raise DataError("A pandas DataFrame is summarised in process, not through an engine backend.")
