"""Public exports load with a mapping alone: the CDNOW purchase log, lifetimes' two-column
example, and a file in the exact format of the "Online Retail" data set.

``exports/CDNOW_master.txt.gz`` and ``exports/example_transactions.csv.gz`` are the files that the
lifetimes package (0.11.3, MIT licence) ships in ``lifetimes/datasets/``, compressed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from exports.online_retail import MAPPING, NON_MERCHANDISE, write_online_retail

from crm_lib import DataError, load_dataset

EXPORTS = Path(__file__).parent / "exports"
TODAY = "2026-11-01"

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def readme_mapping(after: str) -> dict:
    """The first YAML block of the README after the sentence ``after``."""
    block = README.split(after, 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


#: The README's CDNOW mapping: the file as lifetimes ships it (a header line, whitespace-separated),
#: here compressed.
CDNOW = readme_mapping("The CDNOW purchase log")
CDNOW["tables"]["transactions"] += ".gz"
CDNOW_HEADERLESS = readme_mapping("and as it was first published")
RETAIL = readme_mapping('This one loads the public "Online Retail" export')


@pytest.fixture(scope="module")
def cdnow():
    return load_dataset(EXPORTS, CDNOW, today=TODAY)


@pytest.fixture(scope="module")
def cdnow_raw():
    # the same file read independently: whitespace-separated, ids as text
    return pd.read_csv(EXPORTS / "CDNOW_master.txt.gz", sep=r"\s+", dtype={"customer_id": str})


def test_cdnow_loads_with_a_mapping_alone(cdnow, cdnow_raw):
    tx = cdnow.transactions
    # the published description of the master log: 23,570 customers who first bought in
    # 1997-Q1, 69,659 purchase lines, 1997-01-01 to 1998-06-30
    assert len(tx) == 69_659 == len(cdnow_raw)
    assert tx["customer_id"].nunique() == 23_570 == len(cdnow.customers)
    assert (tx["date"].min(), tx["date"].max()) == (pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30"))
    assert tx["amount"].sum() == pytest.approx(cdnow_raw["dollar_value"].sum(), abs=1e-6)
    assert tx["quantity"].sum() == cdnow_raw["number_of_cds"].sum()
    assert tx["customer_id"].iloc[0] == "00001"  # leading zeros kept
    assert cdnow.excluded_lines.empty and cdnow.skipped_rows.empty


def test_cdnow_orders_are_customer_days(cdnow, cdnow_raw):
    orders = cdnow_raw.drop_duplicates(["customer_id", "date"])
    assert cdnow.transactions["order_id"].nunique() == len(orders)
    q = cdnow.quality
    derived = q[q["check"].str.startswith("no order id")].iloc[0]
    assert derived["rows"] == len(orders)


def test_cdnow_zero_amount_customers_are_counted(cdnow, cdnow_raw):
    spend = cdnow_raw.groupby("customer_id")["dollar_value"].sum()
    only_zero = int((spend == 0).sum())
    assert only_zero == 68
    q = cdnow.quality
    f = q[q["check"].str.contains("only purchases are $0", regex=False)].iloc[0]
    assert f["rows"] == only_zero
    # they stay in the data: every customer of the log is a customer of the dataset
    assert set(cdnow.customers["customer_id"]) == set(cdnow_raw["customer_id"])


def test_cdnow_as_published_headerless(tmp_path, cdnow):
    import gzip

    lines = gzip.decompress((EXPORTS / "CDNOW_master.txt.gz").read_bytes()).decode().splitlines()
    (tmp_path / "CDNOW_master.txt").write_text("\n".join(lines[1:]) + "\n")
    ds = load_dataset(tmp_path, CDNOW_HEADERLESS, today=TODAY)
    pd.testing.assert_frame_equal(ds.transactions, cdnow.transactions)


def test_lifetimes_id_date_example_loads():
    ds = load_dataset(EXPORTS, {
        "tables": {"transactions": "example_transactions.csv.gz"},
        "columns": {"transactions": {"customer_id": "id"}},
        "derive_customers": True}, today=TODAY)
    raw = pd.read_csv(EXPORTS / "example_transactions.csv.gz", dtype={"id": str})
    tx = ds.transactions
    assert len(tx) == len(raw) and tx["customer_id"].nunique() == raw["id"].nunique() == 5000
    assert tx["amount"].isna().all()
    assert tx["order_id"].nunique() == len(raw.drop_duplicates(["id", "date"]))
    with pytest.raises(DataError, match=r"needs 'amount' in `transactions`"):
        ds.require("transactions", analysis="RFM monetary", columns=("amount",))


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    d = tmp_path_factory.mktemp("retail")
    path = write_online_retail(d, invoices=600, seed=7)
    assert set(MAPPING["non_merchandise"]) <= set(RETAIL["non_merchandise"])
    return load_dataset(d, RETAIL, today=TODAY), path


def test_online_retail_file_has_its_quirks(retail):
    _, path = retail
    text = path.read_text(encoding="utf-8")
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    assert ".0," in text and "12/1/2010 " in text and '"' in text
    assert 0.2 < raw["CustomerID"].isna().mean() < 0.35
    assert raw["InvoiceNo"].str.startswith("C").any()
    assert set(NON_MERCHANDISE) <= set(raw["StockCode"])


def test_online_retail_totals_agree_with_pandas(retail):
    ds, path = retail
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    raw["value"] = raw["Quantity"] * raw["UnitPrice"]
    fee = raw["StockCode"].isin(list(NON_MERCHANDISE))
    revenue = raw["value"].sum()
    non_merchandise = raw.loc[fee, "value"].sum()
    sales = raw.loc[~fee, "value"].sum()
    customer_sales = raw.loc[~fee & raw["CustomerID"].notna()].groupby(
        raw["CustomerID"].astype("Int64").astype(str))["value"].sum()

    tx, out = ds.transactions, ds.excluded_lines
    assert len(tx) + len(out) == len(raw)
    assert tx["amount"].sum() + out["amount"].sum() == pytest.approx(revenue)
    assert out["amount"].sum() == pytest.approx(non_merchandise)
    assert tx["amount"].sum() == pytest.approx(sales)
    mine = tx.dropna(subset=["customer_id"]).groupby("customer_id")["amount"].sum()
    pd.testing.assert_series_equal(mine.sort_index(), customer_sales.sort_index(), check_names=False)
    q = ds.quality
    f = q[q["check"].str.startswith("non-merchandise lines")].iloc[0]
    assert f["rows"] == int(fee.sum())
    assert f"amount {round(non_merchandise, 2):.2f}".rstrip("0").rstrip(".") in f["check"]
    # cancellations stay in the sales as returns, netted
    assert (tx["order_id"].str.startswith("C") == (tx["quantity"] < 0)).all()
