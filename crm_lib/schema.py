"""The canonical data model: every table, its columns, their types and allowed values.

A dataset is a folder with one file per table. Only ``customers`` and ``transactions`` are
required; every other table is optional and an analysis that needs one says so. The model is
plain data (:data:`TABLES`), from which :func:`pandera_schema` builds the value checks that
:func:`crm_lib.load_dataset` runs after parsing.

Column kinds
------------
``id``        identifier, read as text (``"007"`` keeps its zeros)
``str``       free text
``category``  text from a fixed list (``allowed``); a mapping file translates other spellings
``date``      calendar date (datetime64 at midnight)
``datetime``  date and time
``float``     number (amounts accept thousands separators and currency symbols)
``int``       whole number
``bool``      yes/no (``true/false``, ``yes/no``, ``1/0``, ``是/否``)
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType


@contextlib.contextmanager
def quiet_pandera() -> Iterator[None]:
    """Silence the warning of PySpark that pandera sets off (at its import and on its first
    validation) when PySpark is installed with pandas >= 3; the workbook never uses pyspark.pandas,
    and the warning would reach every report."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                category=FutureWarning)
        yield


with quiet_pandera():
    import pandera.pandas as pa

# --- domain constants -------------------------------------------------------------------------

KINDS = ("individual", "company")
CHANNELS = ("consumer", "b2b", "distributor", "internal")
CREDIT_RATINGS = ("A", "B", "C", "D")
COMPLAINT_CATEGORIES = ("quality", "contract", "transport", "service", "other")
COMPLAINT_SEVERITIES = ("low", "medium", "high")
INTERACTION_TYPES = ("visit", "call", "email", "meeting", "event")
LOSS_REASONS = (
    "died",
    "moved",
    "preference_change",
    "friend_recommendation",
    "cheaper_elsewhere",
    "product_dissatisfaction",
    "staff_indifference",
    "other",
)
#: Why customers are lost, as the course teaches it (shares of all losses).
REFERENCE_LOSS_SHARES = MappingProxyType(
    {
        "died": 0.01,
        "moved": 0.03,
        "preference_change": 0.04,
        "friend_recommendation": 0.05,
        "cheaper_elsewhere": 0.09,
        "product_dissatisfaction": 0.10,
        "staff_indifference": 0.68,
    }
)
#: The ten factors of service quality; surveys carry ``exp_``, ``perc_`` and ``imp_`` per factor.
SATISFACTION_FACTORS = (
    "reliability",
    "responsiveness",
    "competence",
    "access",
    "courtesy",
    "communication",
    "credibility",
    "security",
    "understanding",
    "tangibles",
)
#: The eight steps of complaint handling, in order (``steps_done`` counts how many were done).
HANDLING_STEPS = (
    "thank",  # thank the customer
    "explain",  # explain why the complaint is welcome
    "apologise",  # apologise for the mistake
    "promise",  # promise immediate action
    "gather",  # gather the information needed
    "correct",  # correct the mistake quickly
    "check",  # check the customer's satisfaction
    "prevent",  # prevent it from happening again
)

REQUIRED_TABLES = ("customers", "transactions")


@dataclass(frozen=True)
class Column:
    """One column of the canonical model.

    ``required`` means the column must be present in the file; ``nullable`` whether an empty
    cell is allowed; ``default`` fills empty cells (for flags that exports leave blank).
    """

    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    default: object = None


@dataclass(frozen=True)
class Table:
    """One table of the canonical model; ``key`` is the column that must be unique."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    required: bool = False
    doc: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, kind, *, req=False, null=True, **kw) -> Column:
    return Column(name, kind, required=req, nullable=null, **kw)


def _survey_columns() -> tuple[Column, ...]:
    cols = []
    for f in SATISFACTION_FACTORS:
        cols += [
            _c(f"exp_{f}", "float", min=1, max=7),
            _c(f"perc_{f}", "float", min=1, max=7),
            _c(f"imp_{f}", "float", min=1, max=7),
        ]
    return tuple(cols)


_TABLES = (
    Table(
        "customers",
        (
            _c("customer_id", "id", req=True, null=False),
            _c("name", "str"),
            _c("kind", "category", allowed=KINDS),
            _c("region", "str"),
            _c("industry", "str"),
            _c("channel", "category", allowed=CHANNELS),
            _c("acquired_on", "date"),
            _c("sales_rep", "str"),
            _c("credit_limit", "float", min=0),
            _c("credit_rating", "category", allowed=CREDIT_RATINGS),
            _c("blacklisted", "bool", null=False, default=False),
            _c("phone", "str"),
            _c("email", "str"),
            _c("card_updated_on", "date"),
            # individuals
            _c("age", "float", min=0, max=130),
            _c("gender", "str"),
            _c("income_band", "str"),
            # companies
            _c("size", "str"),
            _c("decision_maker", "str"),
            _c("parent_company", "str"),
        ),
        key="customer_id",
        required=True,
        doc="one row per customer (individual or company)",
    ),
    Table(
        "transactions",
        (
            _c("order_id", "id", req=True, null=False),
            _c("customer_id", "id", req=True),
            _c("date", "date", req=True, null=False),
            _c("product_id", "id"),
            _c("quantity", "float"),
            _c("amount", "float", req=True, null=False),
            _c("cost", "float"),
        ),
        required=True,
        doc="one row per order line; a return is a row with negative quantity and amount",
    ),
    Table(
        "products",
        (
            _c("product_id", "id", req=True, null=False),
            _c("name", "str"),
            _c("category", "str"),
            _c("unit_price", "float", min=0),
            _c("unit_cost", "float", min=0),
            _c("avg_inventory_cost", "float", min=0),
        ),
        key="product_id",
        doc="avg_inventory_cost gives turnover for the cross ratio",
    ),
    Table(
        "complaints",
        (
            _c("complaint_id", "id", req=True, null=False),
            _c("customer_id", "id", req=True),
            _c("opened_at", "datetime", req=True, null=False),
            _c("category", "category", req=True, allowed=COMPLAINT_CATEGORIES),
            _c("channel", "str"),
            _c("severity", "category", allowed=COMPLAINT_SEVERITIES),
            _c("first_response_at", "datetime"),
            _c("resolved_at", "datetime"),
            _c("handled_by", "str"),
            _c("handoffs", "int", null=False, min=0, default=0),
            _c("steps_done", "int", null=False, min=0, max=8, default=0),
            _c("reopened", "bool", null=False, default=False),
            _c("satisfied_after", "nbool"),
            _c("product_id", "id"),
            _c("order_id", "id"),
        ),
        key="complaint_id",
        doc="handoffs counts passes between staff; steps_done the handling steps done (0-8)",
    ),
    Table(
        "surveys",
        (
            _c("response_id", "id", req=True, null=False),
            _c("customer_id", "id", req=True),
            _c("date", "date", req=True, null=False),
            _c("nps", "float", min=0, max=10),
            _c("csat", "float", min=1, max=5),
            *_survey_columns(),
        ),
        key="response_id",
        doc="NPS 0-10, CSAT 1-5, expectation/perception/importance 1-7 per factor",
    ),
    Table(
        "lost_customers",
        (
            _c("customer_id", "id", req=True, null=False),
            _c("lost_on", "date", req=True, null=False),
            _c("reason", "category", req=True, allowed=LOSS_REASONS),
        ),
        key="customer_id",
        doc="customers known to be lost, with the reason",
    ),
    Table(
        "service_calls",
        (
            _c("call_id", "id", req=True, null=False),
            _c("customer_id", "id", req=True),
            _c("at", "datetime", req=True, null=False),
            _c("wait_seconds", "float", req=True, min=0),
            _c("answered", "bool", req=True, null=False),
        ),
        key="call_id",
        doc="service level by tier",
    ),
    Table(
        "interactions",
        (
            _c("interaction_id", "id"),
            _c("customer_id", "id", req=True, null=False),
            _c("date", "date", req=True, null=False),
            _c("type", "category", req=True, allowed=INTERACTION_TYPES),
            _c("sales_rep", "str"),
            _c("note", "str"),
        ),
        doc="the card's contact history",
    ),
    Table(
        "invoices",
        (
            _c("invoice_id", "id", req=True, null=False),
            _c("customer_id", "id", req=True, null=False),
            _c("issued_on", "date", req=True, null=False),
            _c("due_on", "date", req=True),
            _c("amount", "float", req=True, null=False),
            _c("paid_on", "date"),
        ),
        key="invoice_id",
        doc="receivables: an empty paid_on is an open invoice",
    ),
    Table(
        "targets",
        (
            _c("customer_id", "id"),
            _c("region", "str"),
            _c("period", "str", req=True, null=False),
            _c("expected_sales", "float", req=True, null=False),
        ),
        doc="expected sales per customer or region and period ('2026' or '2026-10')",
    ),
)

#: Every table of the canonical model, by name (read-only).
TABLES = MappingProxyType({t.name: t for t in _TABLES})
TABLE_NAMES = tuple(TABLES)

#: pandas dtype of each column kind after loading.
DTYPES = MappingProxyType(
    {
        "id": "str",
        "str": "str",
        "category": "str",
        "date": "datetime64[ns]",
        "datetime": "datetime64[ns]",
        "float": "float64",
        "int": "int64",
        "bool": "bool",
        "nbool": "boolean",
    }
)


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema that checks a parsed table's values (types are parsed beforehand).

    Checks: no empty cell where the column is not nullable, allowed category values, numeric
    ranges, and a unique key. Columns outside the model are allowed and kept.

    Examples
    --------
    >>> import pandas as pd
    >>> pandera_schema("lost_customers").validate(pd.DataFrame({
    ...     "customer_id": ["C1"], "lost_on": pd.to_datetime(["2024-01-02"]), "reason": ["moved"]}))
    ... # doctest: +ELLIPSIS
      customer_id    lost_on reason
    0          C1 2024-01-02  moved
    """
    spec = TABLES[table]
    columns = {}
    for c in spec.columns:
        checks = []
        if c.allowed is not None:
            checks.append(pa.Check.isin(list(c.allowed)))
        if c.min is not None:
            checks.append(pa.Check.ge(c.min))
        if c.max is not None:
            checks.append(pa.Check.le(c.max))
        columns[c.name] = pa.Column(
            None,
            checks=checks,
            nullable=c.nullable,
            unique=(c.name == spec.key),
            required=False,
            report_duplicates="all",
        )
    return pa.DataFrameSchema(columns, strict=False, name=table)
