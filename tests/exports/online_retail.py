"""A file in the exact format of the public "Online Retail" data set, with its quirks, for tests.

The real file (UCI Machine Learning Repository, 541,909 invoice lines of a UK gift shop,
2010-12 to 2011-12) is not shipped; this writes one of the same shape from a seed:

- columns ``InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country``;
- customer ids written as floats (``17850.0``), about a quarter of them blank;
- cancellations: invoice numbers prefixed ``C`` with negative quantities;
- descriptions in double quotes when they hold a comma (``"SET OF 3 CAKE TINS, PANTRY"``);
- dates as ``12/1/2010 8:26`` (month/day/year, no zero padding, no seconds);
- the non-merchandise stock codes of the real file: ``POST`` and ``DOT`` (postage), ``M`` (manual),
  ``D`` (discount), ``AMAZONFEE``, ``BANK CHARGES``, ``B`` (adjust bad debt), ``C2`` (carriage).

The test computes revenue, customer sales and the non-merchandise total from this file with
pandas alone and compares them with what ``load_dataset`` gives.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

#: The non-merchandise stock codes written, with a description and a typical unit price.
NON_MERCHANDISE = {
    "POST": ("POSTAGE", 18.0),
    "DOT": ("DOTCOM POSTAGE", 569.77),
    "M": ("Manual", 2.55),
    "D": ("Discount", 27.5),
    "AMAZONFEE": ("AMAZON FEE", 13541.33),
    "BANK CHARGES": ("Bank Charges", 15.0),
    "B": ("Adjust bad debt", 11062.06),
    "C2": ("CARRIAGE", 50.0),
}
_WORDS = ("WHITE", "RED", "HEART", "LANTERN", "SET OF 3", "CAKE TINS", "PANTRY", "VINTAGE",
          "JUMBO BAG", "RETROSPOT", "T-LIGHT HOLDER", "ALARM CLOCK", "BAKELIKE", "PINK")

#: The mapping that loads the file as it is (the README's "Online Retail" mapping).
MAPPING = {
    "tables": {"transactions": "Online Retail.csv"},
    "columns": {"transactions": {"order_id": "InvoiceNo", "customer_id": "CustomerID",
                                 "date": "InvoiceDate", "product_id": "StockCode",
                                 "quantity": "Quantity", "unit_price": "UnitPrice"}},
    "non_merchandise": list(NON_MERCHANDISE),
    "derive_customers": True,
}


def write_online_retail(folder: Path, *, invoices: int = 400, seed: int = 0, customers: int = 80,
                        minutes_apart: int = 530) -> Path:
    """Write ``Online Retail.csv`` into ``folder`` and return its path.

    The defaults make a small file (400 invoices over 147 days); ``invoices=25900, customers=4372,
    minutes_apart=21`` has the real file's shape (2010-12-01 to 2011-12-09).
    """
    rng = np.random.default_rng(seed)
    products = [f"{rng.integers(10000, 99999)}{rng.choice(['', 'A', 'B'])}" for _ in range(60)]
    names = {}
    for p in products:
        words = rng.choice(_WORDS, size=rng.integers(2, 4), replace=False)
        sep = ", " if rng.random() < 0.3 else " "
        names[p] = sep.join(words)
    prices = {p: round(float(rng.choice([0.42, 0.85, 1.25, 1.65, 2.55, 3.39, 4.95, 12.75])), 2)
              for p in products}
    customers = [float(c) for c in rng.choice(np.arange(12346, 18288), size=customers, replace=False)]
    countries = ("United Kingdom", "France", "Germany", "EIRE", "Netherlands")
    start = np.datetime64("2010-12-01T08:26")
    rows = []
    for i in range(invoices):
        jitter = rng.integers(0, min(300, minutes_apart))
        when = start + np.timedelta64(int(i * minutes_apart + jitter), "m")
        ts = when.astype("datetime64[m]").item()
        date = f"{ts.month}/{ts.day}/{ts.year} {ts.hour}:{ts.minute:02d}"
        cust = "" if rng.random() < 0.25 else f"{rng.choice(customers)}"
        country = str(rng.choice(countries))
        cancel = rng.random() < 0.08
        invoice = f"{'C' if cancel else ''}{536365 + i}"
        for _ in range(int(rng.integers(1, 6))):
            p = str(rng.choice(products))
            q = int(rng.integers(1, 25)) * (-1 if cancel else 1)
            rows.append([invoice, p, names[p], q, date, prices[p], cust, country])
        if rng.random() < 0.3:
            code = str(rng.choice(list(NON_MERCHANDISE)))
            desc, price = NON_MERCHANDISE[code]
            q = -1 if (cancel or code == "D") else 1
            inv = f"A{536365 + i}" if code == "B" else invoice
            rows.append([inv, code, desc, q, date, price, "" if code in ("AMAZONFEE", "B") else cust,
                         country])
    path = Path(folder) / "Online Retail.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                    "UnitPrice", "CustomerID", "Country"])
        w.writerows(rows)
    return path
