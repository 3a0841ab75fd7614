"""crm_lib: the scoring and segmentation functions behind the CRM workbook.

The analysis modules (``crm.tiering``, ``crm.rfm``, ``crm.clv``, ``crm.churn``, …) are imported
on first use, so ``import crm_lib`` stays light; nothing runs at import.
"""

from importlib import import_module

from crm_lib._errors import DataError, DataWarning
from crm_lib._notebook import NotApplicable, export_table, interactive, needs, optional
from crm_lib.data import Dataset, load_dataset, read_mapping

_SUBMODULES = (
    "schema", "data", "sample", "summary", "engines", "scoring", "customers", "tiering", "products",
    "card", "rfm", "clv", "churn", "satisfaction", "complaints", "labels", "plots", "tables", "report",
)

__all__ = [
    "DataError", "DataWarning", "Dataset", "load_dataset", "read_mapping", "interactive",
    "export_table", "needs", "optional", "NotApplicable", *_SUBMODULES,
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return import_module(f"crm_lib.{name}")
    raise AttributeError(f"module 'crm_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
