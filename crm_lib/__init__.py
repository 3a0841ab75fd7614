"""crm_lib: the scoring and segmentation functions behind the CRM workbook.

Nothing runs at import but the imports below. The analyses live in their own modules
(``crm_lib.tiering``, ``crm_lib.rfm``, ``crm_lib.clv``, …).
"""

from crm_lib._errors import DataError, DataWarning
from crm_lib.data import Dataset, load_dataset, read_mapping

__all__ = ["DataError", "DataWarning", "Dataset", "load_dataset", "read_mapping"]
