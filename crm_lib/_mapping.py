"""Mapping files: a user's file names, columns, reading options and values onto the model.

Every entry is checked (docs/data.md, "The mapping file"): a mistake is refused with its line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from crm_lib._errors import DataError
from crm_lib._read import _decode
from crm_lib.schema import TABLE_NAMES, TABLES

MAPPING_KEYS = ("tables", "columns", "read", "values", "date_formats", "dayfirst", "timezone",
                "non_merchandise", "order_status", "fill_down", "derive_customers")



#: Per-table reading options a mapping may set under ``read:``.
READ_KEYS = ("sep", "header", "encoding", "decimal")
#: Columns a mapping may map that are not stored as such: ``unit_price`` gives ``amount``
#: (quantity × unit_price); ``status``, ``refund``, ``discount`` and ``postage`` are order
#: cells the loader classes and keeps apart from merchandise sales.
EXTRA_TARGETS = {"transactions": ("unit_price", "status", "refund", "discount", "postage")}
#: The classes of an order status: only ``sale`` counts as customer sales.
STATUS_CLASSES = ("sale", "cancelled", "unpaid", "refunded")
#: Status words of common shop exports (Taobao/Tmall/JD, Shopify, WooCommerce) and their class,
#: compared without case; the mapping's ``order_status`` adds to them or overrides them.
DEFAULT_ORDER_STATUS = MappingProxyType({
    "交易成功": "sale", "已完成": "sale", "已收货": "sale", "已发货": "sale", "卖家已发货": "sale",
    "买家已付款": "sale", "等待卖家发货": "sale", "完成": "sale",
    "交易关闭": "cancelled", "已取消": "cancelled", "订单取消": "cancelled",
    "等待买家付款": "unpaid", "待付款": "unpaid", "未付款": "unpaid",
    "退款成功": "refunded", "已退款": "refunded", "全额退款": "refunded",
    "paid": "sale", "completed": "sale", "complete": "sale", "fulfilled": "sale",
    "processing": "sale", "shipped": "sale", "delivered": "sale", "partially_refunded": "sale",
    "partially refunded": "sale",
    "voided": "cancelled", "cancelled": "cancelled", "canceled": "cancelled", "failed": "cancelled",
    "expired": "cancelled",
    "pending": "unpaid", "on-hold": "unpaid", "on hold": "unpaid", "unpaid": "unpaid",
    "authorized": "unpaid",
    "refunded": "refunded",
})


def _yaml_with_lines(text: str, name: str) -> tuple[object, dict]:
    """YAML → data, and the line of every mapping key by its path; a repeated key is refused."""
    import yaml

    lines: dict[tuple, int] = {}

    class Loader(yaml.SafeLoader):
        pass

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                key = k.value
                line = k.start_mark.line + 1
                if key in seen:
                    where = ".".join(map(str, path + (key,)))
                    raise DataError(
                        f"{name} line {line}: `{where}` is given twice (first on line "
                        f"{seen[key]}); the first would be dropped without a word. Keep one."
                    )
                seen[key] = line
                lines[path + (key,)] = line
                walk(v, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                lines[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    node = yaml.compose(text, Loader=Loader)
    if node is None:
        return None, lines
    walk(node, ())
    return yaml.safe_load(text), lines


def _check_mapping(data: Mapping, where: str, lines: dict) -> None:
    """Refuse every mapping entry that would otherwise be dropped or misread without a word."""

    def at(*path) -> str:
        line = lines.get(tuple(path))
        return f"{where} line {line}" if line else f"{where} (`{'.'.join(map(str, path))}`)"

    for key in ("tables", "columns", "values", "read"):
        block = data.get(key, {}) or {}
        if not isinstance(block, Mapping):
            raise DataError(f"{at(key)}: `{key}` must map table names to settings.")
        for table in block:
            if table not in TABLES:
                raise DataError(
                    f"{at(key, table)}: `{key}` names an unknown table {table!r}; "
                    f"tables are {list(TABLE_NAMES)}."
                )
    for table, cols in (data.get("columns") or {}).items():
        spec = TABLES[table]
        targets = spec.names + EXTRA_TARGETS.get(table, ())
        if isinstance(cols, list):  # a headerless file: the canonical name of each position
            for i, c in enumerate(cols):
                if c is not None and c not in targets:
                    raise DataError(
                        f"{at('columns', table, i)}: column {i + 1} of `{table}` is mapped to "
                        f"{c!r}, which is no column of `{table}` (those are {list(targets)}); "
                        "write null for a column to leave out."
                    )
            named = [c for c in cols if c is not None]
            dups = sorted({c for c in named if named.count(c) > 1})
            if dups:
                raise DataError(f"{at('columns', table)}: {dups} named for two columns of `{table}`.")
            continue
        if not isinstance(cols, Mapping):
            raise DataError(f"{at('columns', table)}: `columns.{table}` must map canonical names "
                            "to your columns, or list the columns of a headerless file.")
        for canonical, theirs in cols.items():
            if canonical not in targets:
                raise DataError(
                    f"{at('columns', table, canonical)}: {canonical!r} is no column of `{table}`; "
                    f"the mapping goes canonical name: your column, and the canonical names are "
                    f"{list(targets)}."
                )
            if not isinstance(theirs, str) or not theirs:
                raise DataError(f"{at('columns', table, canonical)}: map {canonical!r} to one "
                                f"column name, got {theirs!r}.")
        by_source: dict[str, list[str]] = {}
        for canonical, theirs in cols.items():
            by_source.setdefault(theirs, []).append(canonical)
        for theirs, canon in by_source.items():
            if len(canon) > 1:
                raise DataError(
                    f"{at('columns', table, canon[1])}: column {theirs!r} of `{table}` is mapped "
                    f"twice (to {canon}); map each of your columns once."
                )
    for table, opts in (data.get("read") or {}).items():
        if not isinstance(opts, Mapping):
            raise DataError(f"{at('read', table)}: `read.{table}` must be a mapping of {list(READ_KEYS)}.")
        for k in opts:
            if k not in READ_KEYS:
                raise DataError(f"{at('read', table, k)}: unknown reading option {k!r}; "
                                f"expected some of {list(READ_KEYS)}.")
        if opts.get("decimal") not in (None, ".", ","):
            raise DataError(f"{at('read', table, 'decimal')}: decimal must be '.' or ','.")
    for key in (data.get("date_formats") or {}):
        table, _, column = str(key).partition(".")
        if table not in TABLES or column not in TABLES[table].names or \
                TABLES[table].column(column).kind not in ("date", "datetime"):
            raise DataError(f"{at('date_formats', key)}: {key!r} is no date column; write "
                            "<table>.<column>, e.g. transactions.date.")
    for table, cols in (data.get("values") or {}).items():
        for column in cols or {}:
            if column not in TABLES[table].names:
                raise DataError(f"{at('values', table, column)}: {column!r} is no column of `{table}`.")
    nm = data.get("non_merchandise")
    if nm is not None and not (isinstance(nm, list) and all(isinstance(x, str) for x in nm)):
        raise DataError(f"{at('non_merchandise')}: `non_merchandise` must be a list of product "
                        "ids (or 're:' patterns).")
    os_ = data.get("order_status")
    if os_ is not None:
        if not isinstance(os_, Mapping):
            raise DataError(f"{at('order_status')}: `order_status` must map your status words to "
                            f"one of {list(STATUS_CLASSES)}.")
        for word, cls in os_.items():
            if cls not in STATUS_CLASSES:
                raise DataError(f"{at('order_status', word)}: status {word!r} is classed as "
                                f"{cls!r}; the classes are {list(STATUS_CLASSES)}.")
    fd = data.get("fill_down")
    if fd is not None:
        if not isinstance(fd, Mapping):
            raise DataError(f"{at('fill_down')}: `fill_down` must list columns per table, e.g. "
                            "fill_down: {transactions: [order_id, date, customer_id]}.")
        for table, cols in fd.items():
            if table not in TABLES:
                raise DataError(f"{at('fill_down', table)}: unknown table {table!r}.")
            targets = TABLES[table].names + EXTRA_TARGETS.get(table, ())
            for c in cols or []:
                if c not in targets:
                    raise DataError(f"{at('fill_down', table)}: {c!r} is no column of `{table}`.")
    tz = data.get("timezone")
    if tz is not None:
        try:
            pd.Timestamp("2024-01-01", tz=tz)
        except Exception:
            raise DataError(f"{at('timezone')}: unknown time zone {tz!r} (e.g. Asia/Shanghai, "
                            "Europe/London, UTC).") from None


def read_mapping(mapping: str | Path | Mapping | None) -> dict:
    """Read a mapping (YAML or JSON file, or a dict) and check its shape.

    A mapping has up to nine keys::

        tables:           # file per table, when not named <table>.csv
          transactions: online_retail.csv
        columns:          # canonical name: your column, per table
          transactions: {order_id: InvoiceNo, customer_id: CustomerID, date: InvoiceDate,
                         product_id: StockCode, quantity: Quantity, unit_price: UnitPrice}
                          # or, for a headerless file, the canonical name of each column:
                          # transactions: [customer_id, date, quantity, amount]
        read:             # how to read a table's file, when the guess is not enough
          transactions: {sep: whitespace, header: false, encoding: cp1252, decimal: ","}
        values:           # your category values onto canonical ones, per table and column
          customers: {kind: {个人: individual, 企业: company}}
        date_formats:     # strptime format per table.column, when the guess is not enough
          transactions.date: "%m/%d/%Y %H:%M"
        dayfirst: false   # how to read 03/04/2024 when both readings are valid
        timezone: Asia/Shanghai   # convert dates with an offset to this zone's calendar day
        non_merchandise: [POST, DOT, M, "re:^AMAZON"]   # product ids that are no customer sales
        derive_customers: true   # no customers file: take the ids from transactions

    Every entry is checked: an unknown key, table, column or option, a key given twice, and
    a column mapped twice are refused with the line of the mapping file.

    Examples
    --------
    >>> read_mapping({"columns": {"transactions": {"customer_id": "CustomerID"}}})["columns"]
    {'transactions': {'customer_id': 'CustomerID'}}
    """
    if mapping is None:
        return {}
    lines: dict = {}
    if isinstance(mapping, Mapping):
        data = dict(mapping)
        where = "the mapping"
    else:
        p = Path(mapping)
        if not p.exists():
            raise DataError(f"Mapping file {p} not found.")
        text, _ = _decode(p.read_bytes(), p)
        where = p.name
        try:
            if p.suffix.lower() == ".json":
                def no_dups(pairs):
                    keys = [k for k, _ in pairs]
                    dup = next((k for k in keys if keys.count(k) > 1), None)
                    if dup is not None:
                        raise DataError(f"{where}: key {dup!r} is given twice; keep one.")
                    return dict(pairs)
                data = json.loads(text, object_pairs_hook=no_dups)
            else:
                data, lines = _yaml_with_lines(text, where)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"Cannot read the mapping file {p.name}: {exc}") from None
        data = data or {}
    if not isinstance(data, Mapping):
        raise DataError(f"{where} must be a mapping of {list(MAPPING_KEYS)}, got {type(data).__name__}.")
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        line = lines.get((unknown[0],))
        at = f" (line {line})" if line else ""
        tables = [k for k in unknown if k in TABLES]
        hint = (f" Table names go under `columns:` (columns: {{{tables[0]}: {{customer_id: ...}}}})."
                if tables else "")
        raise DataError(f"{where} has unknown keys {unknown}{at}; expected some of "
                        f"{list(MAPPING_KEYS)}.{hint}")
    _check_mapping(data, where, lines)
    return data

