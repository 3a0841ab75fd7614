"""Shared test set-up: the whole suite runs as the batch does (no widgets, no interactive extras)."""

import os

# Before any crm_lib import: crm_lib.interactive() is False in the tests, as in the report batch.
os.environ["CRM_WORKBOOK_BATCH"] = "1"
# fig.show() in a test must never try to open a browser.
os.environ.setdefault("PLOTLY_RENDERER", "json")
# CSV exports only happen when a test asks for them.
os.environ.pop("CRM_WORKBOOK_EXPORT_DIR", None)


import shutil  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test session (started on first use)."""
    pyspark = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime: .ci/run installs Debian's openjdk-17-jre-headless")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        pyspark.SparkSession.builder.master("local[2]").appName("crm-workbook-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        # the Python workers of mapInPandas run this interpreter (the project's environment)
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
