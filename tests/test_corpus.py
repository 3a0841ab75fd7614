"""The bad-input corpus of real-export variations: what each case gets, and a re-read of every
file with Python's csv module so that a silent change of rows, ids or amounts fails the suite."""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_lib import DataError, load_dataset
from crm_lib._errors import examples
from crm_lib.data import Dataset, read_mapping

CORPUS = Path(__file__).parent / "bad_inputs"
TODAY = "2026-11-01"


def load(case: str, mapping=None, **kw) -> Dataset:
    d = CORPUS / case
    if mapping is None and (d / "mapping.yaml").exists():
        mapping = d / "mapping.yaml"
    return load_dataset(d, mapping, today=TODAY, **kw)


def finding(ds: Dataset, table: str, check: str) -> pd.Series:
    q = ds.quality
    hit = q[(q["table"] == table) & q["check"].str.contains(check, regex=False)]
    assert len(hit) == 1, f"expected one finding '{check}' in {table}, got:\n{q}"
    return hit.iloc[0]


def no_finding(ds: Dataset, check: str) -> bool:
    return not ds.quality["check"].str.contains(check, regex=False).any()


# --- 1-3: separators, headerless files, encodings, no order id, no amount -----------------------


def test_whitespace_headerless_log_loads_with_columns_in_the_mapping():
    ds = load("cdnow_whitespace")
    tx = ds.transactions
    assert tx["customer_id"].tolist() == ["00001", "00002", "00002", "00003", "00003", "00004", "00005"]
    assert tx["amount"].tolist() == [11.77, 12.0, 77.0, 20.76, 20.76, 29.33, 0.0]
    assert tx["quantity"].tolist() == [1, 1, 5, 2, 2, 2, 2]
    assert tx["date"].iloc[4] == pd.Timestamp("1997-03-30")
    # one order per customer and day: 00002 bought twice on 1997-01-12, which is one order
    assert tx["order_id"].nunique() == 6
    assert tx["order_id"].iloc[1] == tx["order_id"].iloc[2] == "00002 1997-01-12"
    assert finding(ds, "transactions", "no order id")["rows"] == 6
    # the headerless file's first line is row 1
    assert finding(ds, "transactions", "zero amount (kept")["examples"] == "row 7: 0"


def test_id_and_date_only_loads_and_money_analyses_say_so():
    ds = load("id_date_only")
    tx = ds.transactions
    assert len(tx) == 6 and tx["amount"].isna().all()
    assert sorted(ds.customers["customer_id"]) == ["0", "1", "2"]
    assert finding(ds, "transactions", "no amount column")["severity"] == "warning"
    assert ds.require("transactions", analysis="RFM frequency") is tx
    with pytest.raises(DataError, match=r"RFM monetary needs 'amount' in `transactions`.*BG/NBD"):
        ds.require("transactions", analysis="RFM monetary", columns=("amount",))


def test_western_excel_export_is_detected_as_cp1252():
    ds = load("cp1252")
    assert ds.customers["name"].tolist() == ["Café Crème Ltd", "Señor Peña", "Ærø Bådværft"]
    assert ds.transactions["amount"].tolist() == [100.0, 250.5, 300.0]  # '£250.50'
    assert finding(ds, "customers", "Windows-1252")["examples"] == "customers.csv"


def test_mapping_names_the_encoding():
    ds = load("latin1_named")
    assert ds.customers["name"].tolist() == ["Brasserie Stéphane"]
    assert finding(ds, "customers", "the mapping's encoding")["rows"] == 1
    with pytest.raises(DataError, match=r"unknown encoding 'latin-9x'"):
        load("latin1_named", {"read": {"customers": {"encoding": "latin-9x"}}})
    with pytest.raises(DataError, match=r"Cannot read customers.csv as utf-8 \(the mapping's encoding\): byte 32 is b.\\xe9pha."):
        load("latin1_named", {"read": {"customers": {"encoding": "utf-8"}}})


def test_gzip_export_loads():
    ds = load("gzip")
    assert ds.transactions["amount"].tolist() == [100.0, 250.5]


# --- 4-5: mapping mistakes and duplicate column names -------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("columns:\n  transactions:\n    amount: total\n    amount: value\n",
     r"mapping.yaml line 4: `columns.transactions.amount` is given twice \(first on line 3\)"),
    ("columns:\n  transactions:\n    revenue: amount\n",
     r"mapping.yaml line 3: 'revenue' is no column of `transactions`"),
    ("columns:\n  transactions:\n    order_id: id\n    customer_id: id\n",
     r"mapping.yaml line 4: column 'id' of `transactions` is mapped twice \(to \['order_id', 'customer_id'\]\)"),
    ("dayfirst: true\ncolumn:\n  transactions: {}\n",
     r"mapping.yaml has unknown keys \['column'\] \(line 2\)"),
    ("customers:\n  customer_id: 客户编号\n",
     r"mapping.yaml has unknown keys \['customers'\] \(line 1\).*Table names go under `columns:`"),
    ("read:\n  transactions: {separator: ';'}\n",
     r"mapping.yaml line 2: unknown reading option 'separator'"),
    ("date_formats:\n  transactions.when: '%Y'\n",
     r"mapping.yaml line 2: 'transactions.when' is no date column"),
    ("values:\n  customers: {type: {a: b}}\n",
     r"mapping.yaml line 2: 'type' is no column of `customers`"),
    ("timezone: Mars/Olympus\n", r"mapping.yaml line 1: unknown time zone 'Mars/Olympus'"),
    ("order_status: {paid: sold}\n", r"mapping.yaml line 1: status 'paid' is classed as 'sold'"),
])
def test_mapping_mistakes_name_the_line(tmp_path, text, message):
    p = tmp_path / "mapping.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_mapping(p)


def test_mapping_mistakes_in_a_dict_name_the_entry():
    with pytest.raises(DataError, match=r"the mapping \(`columns.transactions.revenue`\): 'revenue' is no column"):
        read_mapping({"columns": {"transactions": {"revenue": "x"}}})



def test_a_key_given_twice_in_json_is_refused(tmp_path):
    p = tmp_path / "mapping.json"
    p.write_text('{"tables": {"transactions": "a.csv"}, "tables": {"transactions": "b.csv"}}')
    with pytest.raises(DataError, match=r"mapping.json: key 'tables' is given twice"):
        read_mapping(p)


def test_two_source_columns_onto_one_target():
    # the file has 'amount' and the mapping maps 'cost' onto amount as well
    with pytest.raises(DataError, match=r"has a column 'amount' and the mapping maps another column onto 'amount'"):
        load("valid", {"columns": {"transactions": {"amount": "cost"}}})


def test_duplicate_column_names_are_refused():
    with pytest.raises(DataError, match=r"`transactions` \(transactions.csv\) has duplicate column names 'amount' \(columns 4, 6\)"):
        load("duplicate_columns")


# --- 6: time zones ------------------------------------------------------------------------------


def test_offset_dates_keep_their_local_day():
    ds = load("offset_dates")
    # 2024-01-01T00:30+08:00 is 1 January where it was written (16:30 UTC on 31 December)
    assert ds.transactions["date"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-31", "2024-02-01"]))
    assert finding(ds, "transactions", "UTC offset +08:00")["rows"] == 3
    assert ds.month_end("") == pd.Timestamp("2024-01-31")


def test_mixed_offsets_are_refused_without_a_timezone_and_converted_with_one():
    with pytest.raises(DataError, match=r"Column 'date' in `transactions` \(transactions.csv\) mixes UTC offsets \(\+08:00: 2, \+00:00: 1, -05:00: 1\); 2 rows differ from \+08:00 \(rows 3, 4: '2024-01-31T23:30:00Z', '2024-02-01T07:59-05:00'\).*timezone:"):
        load("mixed_offsets", {})
    ds = load("mixed_offsets")  # its mapping: timezone: Asia/Shanghai
    # 23:30 UTC on 31 January is 07:30 on 1 February in Shanghai; 07:59-05:00 is 20:59 there
    assert ds.transactions["date"].tolist() == list(pd.to_datetime(
        ["2024-01-01", "2024-02-01", "2024-02-01", "2024-02-02"]))
    assert finding(ds, "transactions", "converted to Asia/Shanghai")["rows"] == 4


# --- 7: numbers and missing-value words ----------------------------------------------------------


@pytest.mark.parametrize(("case", "message"), [
    ("infinite_amount", r"Column 'amount' in `transactions` \(transactions.csv\) must be a finite number .*2 rows are not \(rows 3, 4: 'Infinity', 'inf'\)"),
    ("nan_text_amount", r"Column 'amount' .* must be a finite number .*\(row 3: 'NaN'\)"),
    ("overflow_amount", r"Column 'amount' .* must be a finite number .*\(row 3: '1e309'\)"),
    ("infinite_quantity", r"Column 'quantity' .* must be a finite number .*\(row 2: '-inf'\)"),
])
def test_non_finite_numbers_are_refused(case, message):
    with pytest.raises(DataError, match=message):
        load(case)


def test_non_finite_parquet_numbers_are_refused(tmp_path):
    ds = load("valid")
    ds.customers.to_parquet(tmp_path / "customers.parquet")
    ds.transactions.assign(cost=[1.0, np.inf, 2.0, 3.0]).to_parquet(tmp_path / "transactions.parquet")
    with pytest.raises(DataError, match=r"Column 'cost' .* must be a finite number .*\(row 2: inf\)"):
        load_dataset(tmp_path, today=TODAY)


def test_missing_words_are_missing_in_numbers_and_dates_only():
    ds = load("missing_words")
    cust, tx = ds.customers, ds.transactions
    # text keeps its words: a customer named None, a region called NA
    assert cust["name"].tolist() == ["None", "Null Island Trading", "N/A"]
    assert cust["region"].tolist() == ["NA", "null", "Nanjing"]
    # numbers and dates: N/A, n/a, NULL, null, #N/A, na, None are all empty, whatever the case
    assert tx["cost"].isna().all()
    assert tx["quantity"].isna().tolist() == [False, False, True, False]
    assert cust["acquired_on"].isna().all() and cust["age"].isna().tolist() == [True, False, True]


def test_excel_day_numbers_are_read_when_the_mapping_says_so():
    ds = load("excel_serial_dates")
    # days since 1899-12-30: 45296 is 2024-01-05, 36526 is 2000-01-01 (a .75 is 18:00, cut to the day)
    assert ds.transactions["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05", "2024-01-06", "2000-01-01"]
    with pytest.raises(DataError, match=r"rows 2, 3, 4: '45296', '45297.75', '36526'.*look like Excel day numbers.*"
                                        r"date_formats: \{transactions.date: excel\}"):
        load("excel_serial_dates", mapping={"derive_customers": True})


def test_european_decimal_comma():
    ds = load("european_decimal")
    assert ds.transactions["amount"].tolist() == [1234.5, 99.99, -1000000.0]
    assert ds.transactions["cost"].tolist() == [600.0, 50.0, 0.5]
    assert finding(ds, "transactions", "return")["examples"] == "row 4: -1000000"



def test_a_point_with_decimal_comma_is_refused_not_guessed(tmp_path):
    _copy_valid(tmp_path)
    (tmp_path / "transactions.csv").write_text(
        "order_id;customer_id;date;amount\nO1;C1;2024-01-03;1,5\nO2;C1;2024-01-04;1.5\n")
    with pytest.raises(DataError, match=r"must be numeric; 1 row is not \(row 3: '1\.5'\)\. The mapping reads it with decimal ','"):
        load_dataset(tmp_path, {"read": {"transactions": {"decimal": ","}}}, today=TODAY)


# --- 8: row shape, repeated headers, totals rows ------------------------------------------------


def test_trailing_delimiter_does_not_shift_columns():
    ds = load("trailing_delimiter")
    tx = ds.transactions
    assert tx["order_id"].tolist() == ["O1", "O2", "O3"]
    assert tx["amount"].tolist() == [100.0, 250.5, 300.0]
    assert finding(ds, "transactions", "trailing delimiter")["examples"] == "rows 2, 3, 4"


def test_a_row_with_more_cells_is_refused():
    with pytest.raises(DataError, match=r"`transactions` \(transactions.csv\): 1 row has more cells than the header's 7 \(row 3: 8 cells\)"):
        load("extra_cells")


def test_short_rows_are_kept_and_named():
    ds = load("short_rows")
    assert len(ds.transactions) == 3 and np.isnan(ds.transactions["cost"].iloc[1])
    assert finding(ds, "transactions", "short rows")["examples"] == "row 3"


def test_repeated_header_is_left_out_and_counted():
    ds = load("repeated_header")
    assert ds.transactions["order_id"].tolist() == ["O1", "O2", "O3"]
    assert finding(ds, "transactions", "repeated header rows")["examples"] == "row 4"
    assert ds.skipped_rows["row"].tolist() == [4]
    assert ds.skipped_rows["reason"].tolist() == ["repeated header row"]


def test_totals_rows_are_left_out_and_counted():
    ds = load("totals_rows")
    tx = ds.transactions
    # 100 + 250.5 + 300: the 合计, Total and Grand total rows would double it
    assert tx["amount"].sum() == 650.5
    assert tx["order_id"].tolist() == ["O1", "O2", "O3"]
    f = finding(ds, "transactions", "totals rows")
    # the last two carry the word under the date and the quantity, with no id at all
    assert f["rows"] == 5 and f["examples"] == "rows 4, 6, 7, 8, 9"
    assert ds.skipped_rows["text"].iloc[0].startswith("合计 |")


# --- 9-10: non-merchandise lines, zero amounts ---------------------------------------------------


def test_non_merchandise_lines_are_kept_apart():
    ds = load("non_merchandise")
    tx, out = ds.transactions, ds.excluded_lines
    assert tx["product_id"].tolist() == ["85123A", "22728", "GIFTWRAP"]
    assert tx["amount"].sum() == pytest.approx(6 * 2.55 + 24 * 3.75 + 1.25)
    assert sorted(out["product_id"]) == ["AMAZONFEE", "B", "BANK CHARGES", "DOT", "M", "POST"]
    total = 18 + 569.77 - 27.5 + 13541.33 + 15 + 11062.06
    assert out["amount"].sum() == pytest.approx(total)
    f = finding(ds, "transactions", "non-merchandise lines")
    assert f["rows"] == 6 and "amount 25178.66" in f["check"]
    assert "'B': 1 line, 11062.06" in f["examples"]
    # a code that looks like a fee but is not named stays in the sales, with a word
    assert "'GIFTWRAP': 1 line, 1.25" in finding(ds, "transactions", "look like fees")["examples"]


def test_non_merchandise_can_be_switched_off_and_products_win():
    m = read_mapping(CORPUS / "non_merchandise" / "mapping.yaml")
    ds = load("non_merchandise", {**m, "non_merchandise": []})
    assert len(ds.transactions) == 9 and ds.excluded_lines.empty
    # by default, the known codes are kept out unless `products` lists them
    ds = load("foreign_export", CORPUS / "foreign_export" / "mapping.yaml")
    assert ds.excluded_lines["product_id"].tolist() == ["D"]


def test_zero_amount_customers_are_counted():
    ds = load("zero_amount_customers")
    assert len(ds.transactions) == 5  # kept: a $0 line is an order
    f = finding(ds, "transactions", "only purchases are $0")
    assert f["rows"] == 1 and f["examples"] == "customers 'C2'"
    assert finding(ds, "transactions", "zero amount (kept")["rows"] == 3


# --- 11: files that are not regular files --------------------------------------------------------


def _copy_valid(d: Path) -> None:
    for f in ("customers.csv", "transactions.csv"):
        (d / f).write_bytes((CORPUS / "valid" / f).read_bytes())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_at_once(tmp_path):
    _copy_valid(tmp_path)
    os.mkfifo(tmp_path / "complaints.csv")
    with pytest.raises(DataError, match=r"The file for `complaints`, .*complaints.csv, is a FIFO"):
        load_dataset(tmp_path, today=TODAY)


def test_a_broken_symlink_is_refused(tmp_path):
    _copy_valid(tmp_path)
    (tmp_path / "products.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DataError, match=r"`products`, .*products.csv, is a broken symbolic link"):
        load_dataset(tmp_path, today=TODAY)
    (tmp_path / "products.csv").unlink()
    (tmp_path / "products.csv").mkdir()
    with pytest.raises(DataError, match=r"is a folder"):
        load_dataset(tmp_path, today=TODAY)


# --- 12-13: diagnostics and values that deserve a finding ----------------------------------------


def test_examples_are_shown_as_written():
    # the row is the spreadsheet row; the value is quoted as the file has it
    with pytest.raises(DataError, match=r"Column 'cost' in `transactions` \(transactions.csv\) must be numeric; 1 row is not \(row 3: 'x'\)"):
        load("written_as_is")
    # parsed numbers are shown with the digits they were written with, whole numbers as such
    assert examples(pd.Series([-11062.06, 23502.0, -0.0]))[1] == "rows 0, 1, 2: -11062.06, 23502, 0"



def test_findings_quote_values_as_written(tmp_path):
    _copy_valid(tmp_path)
    (tmp_path / "transactions.csv").write_text(
        "order_id,customer_id,date,amount\nO1,C1,2024-01-03,-11062.06\nO2,C1,2024-01-04,23502\n")
    ds = load_dataset(tmp_path, today=TODAY)
    f = finding(ds, "transactions", "return")
    assert f["examples"] == "row 2: -11062.06" and isinstance(f["rows"], (int, np.integer))


def test_placeholder_dates_and_zero_quantity_get_findings():
    ds = load("placeholder_dates")
    f = finding(ds, "transactions", "'date' before 1990")
    assert f["rows"] == 2 and f["examples"] == "rows 2, 4: 1900-01-01, 2099-12-31"
    assert finding(ds, "transactions", "quantity 0")["examples"] == "row 3: 0"


def test_survey_scores_out_of_range_are_refused():
    with pytest.raises(DataError, match=r"Column 'nps' in `surveys` \(surveys.csv\) must be at most 10; 1 row is not \(row 3: 11\).*'csat'.*at least 1.*\(row 4: 0\)"):
        load("survey_out_of_range")


def test_complaint_resolved_before_opened_gets_a_finding():
    ds = load("resolved_before_opened")
    assert finding(ds, "complaints", "resolved_at before opened_at")["examples"] == "row 3: 2024-01-04T09:00:00"


# --- 14: orders as shops export them -------------------------------------------------------------


def test_shop_order_report():
    ds = load("shop_orders")
    tx, out = ds.transactions, ds.excluded_lines
    # the line item SKU2 of the first order gets its order cells from the row above
    assert tx["order_id"].tolist() == ["2045678901234567", "2045678901234567", "2045678901234570"]
    assert tx["customer_id"].tolist() == ["tb_lily", "tb_lily", "tb_zhao"]
    # 177 - 59 refunded; discounts and postage stay apart from the merchandise amount
    assert tx["amount"].tolist() == [198.0, 59.0, 118.0]
    assert tx["postage"].sum() == 10.0 and tx["discount"].sum() == 20.0
    assert out["line_kind"].tolist() == ["cancelled", "unpaid", "refunded"]
    assert out["row"].tolist() == [4, 5, 7]
    assert finding(ds, "transactions", "cancelled orders")["examples"] == "row 4"
    assert finding(ds, "transactions", "Excel text wrappers")["rows"] == 6
    assert finding(ds, "transactions", "filled down")["rows"] == 4


def test_unknown_order_status_is_refused():
    with pytest.raises(DataError, match=r"Column 'status' in `transactions` \(transactions.csv\) must be an order status .*\(row 3: 'on the way'\).*order_status: \{<your word>: sale\}"):
        load("unknown_status")
    ds = load("unknown_status", {"order_status": {"on the way": "sale"}})
    assert len(ds.transactions) == 2


def test_excel_wrappers_and_email_ids():
    ds = load("excel_wrappers")
    assert ds.transactions["order_id"].tolist() == ["2045678901234567", "2045678901234568", "2045678901234569"]
    assert finding(ds, "transactions", "Excel text wrappers")["rows"] == 3
    ds = load("email_ids")
    assert ds.transactions["customer_id"].tolist() == ["zhang.san@example.com", "zhang.san@example.com", "li@x.cn"]
    assert no_finding(ds, "unknown customer")  # LI@X.CN in customers is li@x.cn


# --- every corpus file, re-read with the csv module ----------------------------------------------

#: Cases refused as a whole (the re-read does not apply).
REFUSED = {"wrong_type", "empty_file", "header_only", "duplicate_ids", "nan_amount", "bad_date",
           "missing_table", "missing_column", "duplicate_columns",
           "infinite_amount", "nan_text_amount", "overflow_amount", "infinite_quantity",
           "extra_cells", "survey_out_of_range", "unknown_status", "written_as_is"}
_WRAP = re.compile(r'^(?:="(.*)"|\'(.*)|\t(.*))$', re.DOTALL)


def _cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def _plain_number(text: str, decimal: str) -> float:
    """An amount as an accountant reads it: currency, grouping and (negatives) removed."""
    t = re.sub(r"[¥￥$€£\s]|RMB|CNY|USD|EUR|元", "", text)
    neg = t.startswith("(") and t.endswith(")")
    t = t.strip("()")
    t = t.replace(".", "").replace(",", ".") if decimal == "," else t.replace(",", "")
    return -float(t) if neg else float(t)


def _id(text: str) -> str:
    t = text.strip()
    m = _WRAP.match(text)
    if m:
        t = next(g for g in m.groups() if g is not None).strip()
    t = t[:-2] if re.fullmatch(r"\d+\.0", t) else t
    return t.lower() if "@" in t else t


def _reread(case: str):
    """(data rows, customer ids, amounts) of a case's transactions file, by the csv module."""
    d = CORPUS / case
    m = read_mapping(d / "mapping.yaml") if (d / "mapping.yaml").exists() else {}
    name = (m.get("tables") or {}).get("transactions") or next(
        p.name for p in d.iterdir() if p.name.startswith("transactions."))
    data = (d / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    opts = (m.get("read") or {}).get("transactions") or {}
    for enc in [opts.get("encoding"), "utf-8-sig", "utf-16", "cp1252"]:
        try:
            text = data.decode(enc) if enc else None
            if text is not None:
                break
        except (UnicodeDecodeError, TypeError):
            continue
    cols = (m.get("columns") or {}).get("transactions") or {}
    if isinstance(cols, list):  # headerless, whitespace
        rows = [line.split() for line in text.splitlines() if line.strip()]
        head = cols
    else:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|")
        rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
        head = [c.strip() for c in rows[0]]
        rows = rows[1:]
        back = {v: k for k, v in cols.items()}
        head = [back.get(h, h) for h in head]
    rows = [r for r in rows if [c.strip() for c in r[:len(head)]] != head[:len(r)]]  # repeated header
    rec = [dict(zip(head, r, strict=False)) for r in rows]
    first = head[0]
    totals = re.compile(r"^(合计|小计|总计|共计)|^(grand total|sub-?total|total|sum)\s*[:：]?$", re.IGNORECASE)

    def is_total(r):
        if not any(str(r.get(c, "")).strip() for c in ("order_id", "customer_id", "product_id")):
            return any(totals.match(str(v).strip()) for v in r.values())  # no id: any cell
        return any(totals.match(str(r.get(c, "")).strip())
                   for c in {first, "order_id", "customer_id", "product_id", "date"})
    rec = [r for r in rec if not is_total(r)]
    if "fill_down" in m:
        last: dict = {}
        for r in rec:
            for c in m["fill_down"]["transactions"]:
                if str(r.get(c, "")).strip():
                    last[c] = r[c]
                else:
                    r[c] = last.get(c, "")
    ids = {_id(r["customer_id"]) for r in rec if r.get("customer_id", "").strip()}
    decimal = opts.get("decimal", ".")
    if "amount" in head:
        amounts = [_plain_number(r["amount"], decimal) for r in rec]
    elif "unit_price" in head:
        amounts = [float(r["quantity"]) * float(r["unit_price"]) for r in rec]
    else:
        amounts = None
    if amounts is not None and "refund" in head:
        amounts = [a - (float(r["refund"]) if r["refund"].strip() else 0.0) for a, r in zip(amounts, rec, strict=True)]
    return len(rec), ids, amounts


@pytest.mark.parametrize("case", _cases())
def test_every_corpus_file_reads_as_the_csv_module_reads_it(case):
    if case in REFUSED:
        with pytest.raises(DataError):
            load(case)
        return
    ds = load(case)
    n, ids, amounts = _reread(case)
    tx = pd.concat([ds.transactions, ds.excluded_lines], ignore_index=True)
    assert len(tx) == n, "a transaction row was dropped or invented"
    assert set(tx["customer_id"].dropna()) == ids
    if amounts is None:
        assert tx["amount"].isna().all()
    else:
        assert tx["amount"].sum() == pytest.approx(sum(amounts), abs=1e-6)
        assert sorted(tx["amount"].round(6)) == pytest.approx(sorted(np.round(amounts, 6)))


def test_encoding_detection_on_the_corpus():
    from crm_lib._read import _decode

    found = {}
    for p in sorted(CORPUS.rglob("*.csv")):
        raw = p.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            found[f"{p.parent.name}/{p.name}"] = _decode(raw, p)[1]
    assert found == {"cp1252/customers.csv": "cp1252", "cp1252/transactions.csv": "cp1252",
                     "gbk/customers.csv": "gb18030", "latin1_named/customers.csv": "cp1252",
                     "semicolon_gbk/customers.csv": "gb18030"}


def test_headerless_list_with_a_header_line_replaces_the_names(tmp_path):
    _copy_valid(tmp_path)
    (tmp_path / "t.csv").write_text("a,b,c\nO1,C1,2024-01-03\n")
    ds = load_dataset(tmp_path, {"tables": {"transactions": "t.csv"},
                                 "columns": {"transactions": ["order_id", "customer_id", "date"]},
                                 "read": {"transactions": {"header": True}}}, today=TODAY)
    assert ds.transactions["order_id"].tolist() == ["O1"] and ds.transactions["amount"].isna().all()


def test_totals_rows_are_found_under_the_export_s_own_column_names(tmp_path):
    _copy_valid(tmp_path)
    (tmp_path / "orders.csv").write_text(
        "Datum,Auftrag,Kunde,Betrag\n2024-01-03,A1,C1,100\n2024-01-04,A2,C2,50\n"
        ",Total:,,150\nDatum,Auftrag,Kunde,Betrag\n2024-02-01,A3,C1,20\n")
    ds = load_dataset(tmp_path, {"tables": {"transactions": "orders.csv"}, "columns": {"transactions": {
        "date": "Datum", "order_id": "Auftrag", "customer_id": "Kunde", "amount": "Betrag"}}},
        today=TODAY)
    assert ds.transactions["amount"].tolist() == [100.0, 50.0, 20.0]
    assert ds.skipped_rows["reason"].tolist() == ["repeated header row", "totals row"]
    assert ds.skipped_rows["row"].tolist() == [5, 4]
