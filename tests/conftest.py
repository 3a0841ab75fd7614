"""Shared test set-up: the whole suite runs as the batch does (no widgets, no interactive extras)."""

import os

# Before any crm_lib import: crm_lib.interactive() is False in the tests, as in the report batch.
os.environ["CRM_WORKBOOK_BATCH"] = "1"
# fig.show() in a test must never try to open a browser.
os.environ.setdefault("PLOTLY_RENDERER", "json")
# CSV exports only happen when a test asks for them.
os.environ.pop("CRM_WORKBOOK_EXPORT_DIR", None)
