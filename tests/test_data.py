"""Loading: the bad-input corpus, encodings, mappings, the quality report, months and masking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crm_lib as crm
from crm_lib import DataError, load_dataset
from crm_lib.data import Dataset, mask_email, mask_name, mask_phone, mask_text, read_mapping
from crm_lib.schema import TABLES

CORPUS = Path(__file__).parent / "bad_inputs"
TODAY = "2026-11-01"


def load(case: str, **kw) -> Dataset:
    return load_dataset(CORPUS / case, today=TODAY, **kw)


def finding(ds: Dataset, table: str, check: str) -> pd.Series:
    q = ds.quality
    hit = q[(q["table"] == table) & q["check"].str.contains(check, regex=False)]
    assert len(hit) == 1, f"expected one finding '{check}' in {table}, got:\n{q}"
    return hit.iloc[0]


def test_valid_dataset_types_and_values():
    ds = load("valid")
    tx, cust = ds.transactions, ds.customers
    assert tx["date"].dtype == "datetime64[ns]"
    assert tx["amount"].dtype == "float64"
    assert tx["amount"].tolist() == [100.0, 250.5, 300.0, 100.0]
    assert tx["customer_id"].tolist() == ["C1", "C1", "C2", "C2"]
    assert cust["blacklisted"].dtype == bool
    # "false", "no" and an empty cell (the default) are all False
    assert cust["blacklisted"].tolist() == [False, False, False]
    assert cust["acquired_on"].iloc[1] == pd.Timestamp("2024-02-10")
    assert ds.products is None and ds.complaints is None
    assert set(ds.quality["severity"]) <= {"info"}
    # only the potential customer C3 and the absent tables are reported
    assert finding(ds, "customers", "no transactions")["rows"] == 1


def test_missing_required_column_names_it_and_the_fix():
    with pytest.raises(DataError, match=r"Column 'amount' not found in `transactions` \(transactions.csv\).*'total'.*columns: \{transactions: \{amount: <your column>\}\}"):
        load("missing_column")


def test_wrong_type_names_rows_and_values():
    with pytest.raises(
        DataError,
        match=r"Column 'amount' in `transactions` \(transactions.csv\) must be numeric; 3 rows are not \(rows 6, 7, 8: 'abc', '1,2,3', '—'\)",
    ):
        load("wrong_type")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty_file", r"`transactions` \(transactions.csv\) is empty"),
        ("header_only", r"`transactions` \(transactions.csv\) has a header but no rows"),
        ("duplicate_ids", r"Column 'customer_id' in `customers` \(customers.csv\) must be unique .*2 rows are not \(rows 3, 5: 'C2', 'C2'\)"),
        ("nan_amount", r"Column 'amount' in `transactions` \(transactions.csv\) must be filled in .*1 row is not \(row 6: empty\)"),
        ("bad_date", r"Column 'date' in `transactions` \(transactions.csv\) must be a date .*\(row 6: 'yesterday'\).*date_formats"),
        ("unknown_category", r"Column 'kind' in `customers` \(customers.csv\) must be one of \['individual', 'company'\]; 2 rows are not \(rows 2, 4: '个人', '个人'\).*values:"),
        ("missing_table", r"Required table `transactions` not found .*\['customers.csv'\]"),
    ],
)
def test_refusals(case, message):
    with pytest.raises(DataError, match=message):
        load(case)


def test_dataerror_is_a_valueerror():
    assert issubclass(DataError, ValueError)


def test_header_only_optional_table_loads_empty_and_is_reported():
    ds = load("header_only_optional")
    assert ds.complaints is not None and ds.complaints.empty
    assert list(ds.complaints.columns[:4]) == ["complaint_id", "customer_id", "opened_at", "category"]
    assert finding(ds, "complaints", "header only")["severity"] == "warning"


@pytest.mark.parametrize("case", ["gbk", "semicolon_gbk"])
def test_gbk_exports_are_read(case):
    ds = load(case)
    assert ds.customers["name"].tolist()[0] == "张三"
    assert finding(ds, "customers", "GBK")["severity"] == "info"
    if case == "gbk":
        assert ds.customers["name"].tolist()[1] == "上海贸易有限公司"


def test_bom_is_stripped_from_the_header():
    ds = load("bom")
    assert ds.customers.columns[0] == "customer_id"
    assert ds.customers["name"].iloc[0] == "张三"
    assert finding(ds, "customers", "BOM")["rows"] == 3


def test_unknown_ids_are_kept_and_counted():
    ds = load("unknown_ids")
    assert len(ds.transactions) == 6  # nothing dropped
    unknown = finding(ds, "transactions", "unknown customer")
    assert unknown["rows"] == 1 and "'C9'" in unknown["examples"] and "row 6" in unknown["examples"]
    assert finding(ds, "transactions", "no customer id")["rows"] == 1


def test_returns_and_sign_mismatch():
    ds = load("negative_amounts")
    assert len(ds.transactions) == 6
    assert finding(ds, "transactions", "return")["rows"] == 2
    mismatch = finding(ds, "transactions", "opposite sign")
    assert mismatch["rows"] == 1 and "row 7" in mismatch["examples"]


def test_future_dates_are_kept_and_reported_against_today():
    ds = load("future_dates")
    assert finding(ds, "transactions", "in the future")["rows"] == 1
    assert ds.transactions["date"].max() == pd.Timestamp("2031-01-01")
    later = load_dataset(CORPUS / "future_dates", today="2031-06-01")
    assert not later.quality["check"].str.contains("future").any()


def test_mixed_date_formats_parse():
    ds = load("mixed_date_formats")
    assert ds.transactions["date"].tolist() == list(
        pd.to_datetime(["2024-01-03", "2024-02-03", "2024-02-11", "2024-03-11", "2024-03-12"])
    )
    assert finding(ds, "transactions", "mixed date formats")["rows"] == 5


def _write(d: Path, tx: pd.DataFrame, **others: pd.DataFrame) -> Path:
    pd.DataFrame({"customer_id": ["a"]}).to_csv(d / "customers.csv", index=False)
    tx.to_csv(d / "transactions.csv", index=False)
    for name, df in others.items():
        df.to_csv(d / f"{name}.csv", index=False)
    return d


def test_day_first_is_chosen_when_only_it_fits_and_can_be_forced(tmp_path):
    tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"],
                       "date": ["25/12/2024", "03/01/2025"], "amount": ["1", "2"]})
    _write(tmp_path, tx)
    # 25/12 only fits day-first, so the whole column is read day-first
    ds = load_dataset(tmp_path, today=TODAY)
    assert ds.transactions["date"].tolist() == [pd.Timestamp("2024-12-25"), pd.Timestamp("2025-01-03")]
    both = tx.assign(date=["01/02/2024", "03/04/2024"])
    _write(tmp_path, both)
    assert load_dataset(tmp_path, today=TODAY).transactions["date"].iloc[0] == pd.Timestamp("2024-01-02")
    forced = load_dataset(tmp_path, {"dayfirst": True}, today=TODAY)
    assert forced.transactions["date"].iloc[0] == pd.Timestamp("2024-02-01")
    fmt = load_dataset(tmp_path, {"date_formats": {"transactions.date": "%d/%m/%Y"}}, today=TODAY)
    assert fmt.transactions["date"].iloc[1] == pd.Timestamp("2024-04-03")


def test_cost_is_computed_from_products_when_absent(tmp_path):
    tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"], "date": ["2024-01-01"] * 2,
                       "product_id": ["p", "q"], "quantity": [2, -1], "amount": [10, -4]})
    products = pd.DataFrame({"product_id": ["p", "q"], "unit_cost": [3.0, 2.5]})
    ds = load_dataset(_write(tmp_path, tx, products=products), today=TODAY)
    assert ds.transactions["cost"].tolist() == [6.0, -2.5]
    assert finding(ds, "transactions", "cost computed as quantity")["rows"] == 2


def test_duplicate_lines_are_kept_and_counted():
    ds = load("duplicate_lines")
    assert len(ds.transactions) == 5
    dup = finding(ds, "transactions", "duplicate order line")
    assert dup["rows"] == 1 and "row 6" in dup["examples"]


def test_money_formats_parse():
    ds = load("money_formats")
    assert ds.transactions["amount"].tolist() == [1234.5, 2000.0, -300.0, 99.0]


def test_category_values_mapped_by_mapping_file():
    ds = load("unknown_category", mapping=CORPUS / "unknown_category" / "mapping.yaml")
    assert ds.customers["kind"].tolist() == ["individual", "company", "individual"]


def test_foreign_export_loads_with_its_mapping():
    ds = load("foreign_export", mapping=CORPUS / "foreign_export" / "mapping.yaml")
    tx = ds.transactions
    assert len(tx) == 6  # the seventh line, stock code D (a discount), is no customer sale
    assert tx["order_id"].iloc[0] == "536365"
    assert tx["customer_id"].iloc[0] == "17850"  # "17850.0" from a float column
    assert tx["date"].iloc[0] == pd.Timestamp("2010-12-01")  # US month/day/year with time
    assert tx["date"].iloc[-1] == pd.Timestamp("2010-12-13")
    assert tx["amount"].tolist() == pytest.approx([6 * 2.55, 6 * 3.39, 6 * 1.85, 24 * 3.75, 0.0, 1.25])
    out = ds.excluded_lines
    assert out["product_id"].tolist() == ["D"] and out["amount"].tolist() == [-27.5]
    assert out["row"].tolist() == [5] and out["line_kind"].tolist() == ["non_merchandise"]
    assert finding(ds, "transactions", "non-merchandise lines")["rows"] == 1
    assert sorted(ds.customers["customer_id"]) == ["12583", "14527", "14729", "17850"]
    assert finding(ds, "transactions", "no customer id")["rows"] == 1
    assert finding(ds, "transactions", "no cost column")["severity"] == "warning"
    assert finding(ds, "customers", "derived from transactions")["rows"] == 4


def test_mapping_errors():
    with pytest.raises(DataError, match=r"unknown keys \['colums'\]"):
        read_mapping({"colums": {}})
    with pytest.raises(DataError, match=r"unknown table 'orders'"):
        read_mapping({"columns": {"orders": {}}})
    with pytest.raises(DataError, match=r"maps 'amount' of `transactions` to column 'Total', which is not in transactions.csv"):
        load("valid", mapping={"columns": {"transactions": {"amount": "Total"}}})
    with pytest.raises(DataError, match="Mapping file .* not found"):
        load("valid", mapping=CORPUS / "nope.yaml")


def test_missing_folder():
    with pytest.raises(DataError, match="Data folder .*nowhere not found"):
        load_dataset(CORPUS / "nowhere")


def test_parquet_reads_like_csv(tmp_path):
    ds = load("valid")
    for name, df in ds.tables().items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    again = load_dataset(tmp_path, today=TODAY)
    for name in ds.tables():
        pd.testing.assert_frame_equal(getattr(again, name), getattr(ds, name), check_dtype=True)


def test_every_table_loads_with_its_canonical_dtypes(tmp_path):
    ds = load("valid")
    ds.transactions.to_csv(tmp_path / "transactions.csv", index=False)
    ds.customers.to_csv(tmp_path / "customers.csv", index=False)
    # write one header-only file per optional table: the columns get their canonical dtypes
    for name, spec in TABLES.items():
        if name not in ("customers", "transactions"):
            pd.DataFrame(columns=list(spec.names)).to_csv(tmp_path / f"{name}.csv", index=False)
    again = load_dataset(tmp_path, today=TODAY)
    from crm_lib.schema import DTYPES

    for name, spec in TABLES.items():
        df = getattr(again, name)
        for c in spec.columns:
            assert str(df[c.name].dtype) == DTYPES[c.kind] or (
                df.empty and c.kind == "int"), (name, c.name, df[c.name].dtype)


def test_month_end():
    ds = load("valid")  # transactions 2024-01-03 .. 2024-03-11
    assert ds.month_end("") == pd.Timestamp("2024-02-29")
    assert ds.month_end("2024-03") == pd.Timestamp("2024-03-31")
    assert ds.month_end("2024-01") == pd.Timestamp("2024-01-31")
    with pytest.raises(DataError, match=r"`month` 2024-05 is outside the data, which runs from 2024-01-03 to 2024-03-11"):
        ds.month_end("2024-05")
    with pytest.raises(DataError, match=r"`month` must look like '2026-10', got '2024-13'"):
        ds.month_end("2024-13")
    with pytest.raises(DataError, match=r"got 202403"):
        ds.month_end(202403)


def test_month_end_when_data_ends_on_a_month_end():
    tx = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-03-31"])})
    assert Dataset(customers=pd.DataFrame(), transactions=tx).month_end() == pd.Timestamp("2024-03-31")


def test_require_names_the_analysis():
    ds = load("valid")
    assert ds.require("transactions") is ds.transactions
    with pytest.raises(DataError, match=r"complaint handling needs the `complaints` table.*complaint_id, customer_id, opened_at, category"):
        ds.require("complaints", analysis="complaint handling")


def test_masking_functions():
    assert mask_name(pd.Series(["张三丰", "Wang Wei"])).tolist() == ["张**", "W*** W**"]
    assert mask_phone(pd.Series(["138-1234-5678", "021-5555"])).tolist() == ["138****5678", "********"]
    assert mask_email(pd.Series(["zhang.san@example.com"])).tolist() == ["z***@***.com"]  # the domain names the company
    assert mask_text(pd.Series(["call 13812345678 or mail li@x.cn"])).tolist() == [
        "call 138****5678 or mail l***@***.cn"]
    assert mask_name(pd.Series([None, "A"])).isna().tolist() == [True, False]


def test_mask_pii_dataset_leaves_original_unchanged():
    ds = load("valid")
    before = ds.customers.copy()
    masked = ds.mask_pii()
    pd.testing.assert_frame_equal(ds.customers, before)
    assert masked.customers["name"].tolist() == ["张*", "A*** L**", "李*"]
    assert masked.customers["phone"].iloc[0] == "138****5678"
    assert masked.customers["email"].iloc[0] == "z***@***.com"
    assert not masked.customers["email"].str.contains("zhang").any()
    assert load("valid", mask_pii=True).customers["name"].tolist() == ["张*", "A*** L**", "李*"]


def test_quality_frame_shape():
    q = load("unknown_ids").quality
    assert list(q.columns) == ["table", "check", "severity", "rows", "examples"]
    assert q["rows"].dtype == np.int64
    assert set(q["severity"]) <= {"info", "warning"}


def test_exports_from_package_root():
    assert crm.load_dataset is load_dataset and crm.DataError is DataError


def test_data_model_page_lists_every_column():
    page = (Path(__file__).parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    for name, spec in TABLES.items():
        assert f"## `{name}`" in page
        for c in spec.columns:
            assert f"| {c.name} |" in page or f"| **{c.name}** |" in page, (name, c.name)
