"""The embedded sample company: a realistic, internally consistent CRM dataset from a known process.

``python -m crm_lib.sample --customers 3000 --seed 42 --out data/sample`` writes the ten tables of
the canonical data model plus ``TRUTH.json``, the true generating parameters, so that models can be
tested for recovering them. See ``docs/sample.md`` for the process in full.

The purchase process is the BG/NBD model of Fader, Hardie & Lee (2005), in days, exactly:

* customer ``i`` makes its first purchase on ``acquired_on`` (time 0);
* while alive, repeat purchases follow a Poisson process with rate ``lambda_i ~ Gamma(r, rate alpha)``
  per day;
* after each *repeat* purchase the customer drops out with probability ``p_i ~ Beta(a, b)``;
* the value of each order is ``Gamma(p, rate nu_i)`` with ``nu_i ~ Gamma(q, rate v)`` (Gamma-Gamma).

The day is the unit: a customer places at most one order a day. Purchase times are drawn in
continuous time (days since the first purchase), each is put on its nearest day, and a customer's
days are then made distinct in order (see :func:`_distinct_days`), so the number of repeat
purchases is exactly the process's and a daily summary sees every order as one purchase day.

Everything is drawn from one ``np.random.default_rng(seed)``, vectorised over customers and orders;
the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special

from crm_lib._errors import DataError, require_one_of
from crm_lib.schema import LOSS_REASONS, REFERENCE_LOSS_SHARES, SATISFACTION_FACTORS

__all__ = [
    "BGNBD",
    "COLUMNS",
    "DEFAULT_END",
    "DEFAULT_START",
    "GAMMA_GAMMA",
    "LOSS_REASON_SHARES",
    "SampleCompany",
    "TABLES",
    "expected_repeat_purchases",
    "generate",
    "main",
    "write",
]

DEFAULT_START = "2024-01-01"
DEFAULT_END = "2026-10-31"

#: BG/NBD parameters, per day: mean purchase rate r/alpha = 1/30 per day while alive,
#: mean dropout probability a/(a+b) = 0.072 after each repeat purchase.
BGNBD = MappingProxyType({"r": 0.9, "alpha": 27.0, "a": 0.7, "b": 9.0})
#: Gamma-Gamma parameters of the order value: mean order value p*v/(q-1) = 300.
GAMMA_GAMMA = MappingProxyType({"p": 6.0, "q": 4.0, "v": 150.0})
#: Reasons of lost customers and their shares: the course's reference shares, "other" 0.
LOSS_REASON_SHARES = MappingProxyType(
    {reason: float(REFERENCE_LOSS_SHARES.get(reason, 0.0)) for reason in LOSS_REASONS})
#: Probability of 1, 2 or 3 lines per order.
LINES_PER_ORDER = (0.3, 0.4, 0.3)
#: Share of purchase lines that are partly or fully returned later (1-30 days after the order).
RETURN_SHARE = 0.02
#: Share of customers who never buy ("potential" customers: no transactions, no acquired_on).
POTENTIAL_SHARE = 0.03
#: Share of dropped-out customers whose loss the company records in lost_customers.
LOST_RECORDED_SHARE = 0.8
#: Correlation between the latent loyalty (which sets the dropout p) and survey satisfaction.
SATISFACTION_LOYALTY_CORRELATION = 0.6
#: Probability that an order leads to a complaint, for a customer of average loyalty; it is
#: multiplied by exp(-COMPLAINT_LOYALTY_EFFECT * loyalty score), so less loyal customers complain
#: more. About 2.5-3 % of buying customers complain over the default history, so the course's
#: iceberg (26 silent unhappy customers per complainant) fits in the customer base.
COMPLAINT_RATE = 0.0033
COMPLAINT_LOYALTY_EFFECT = 0.8
#: Shape of each customer's Gamma(shape, mean 1) proneness to complain, a further factor of the
#: probability: small shapes concentrate the complaints on fewer customers (repeat complainers).
COMPLAINT_PRONENESS_SHAPE = 0.3

TABLES = (
    "customers", "transactions", "products", "complaints", "surveys", "lost_customers",
    "service_calls", "interactions", "invoices", "targets",
)
COLUMNS = MappingProxyType({
    "customers": (
        "customer_id", "name", "kind", "region", "industry", "channel", "acquired_on", "sales_rep",
        "credit_limit", "credit_rating", "blacklisted", "phone", "email", "card_updated_on",
        "age", "gender", "income_band", "size", "decision_maker", "parent_company",
    ),
    "transactions": ("order_id", "customer_id", "date", "product_id", "quantity", "amount", "cost"),
    "products": ("product_id", "name", "category", "unit_price", "unit_cost", "avg_inventory_cost"),
    "complaints": (
        "complaint_id", "customer_id", "opened_at", "category", "channel", "severity",
        "first_response_at", "resolved_at", "handled_by", "handoffs", "steps_done", "reopened",
        "satisfied_after", "product_id", "order_id",
    ),
    "surveys": ("response_id", "customer_id", "date", "nps", "csat")
    + tuple(f"{kind}_{f}" for f in SATISFACTION_FACTORS for kind in ("exp", "perc", "imp")),
    "lost_customers": ("customer_id", "lost_on", "reason"),
    "service_calls": ("call_id", "customer_id", "at", "wait_seconds", "answered"),
    "interactions": ("interaction_id", "customer_id", "date", "type", "sales_rep", "note"),
    "invoices": ("invoice_id", "customer_id", "issued_on", "due_on", "amount", "paid_on"),
    "targets": ("customer_id", "region", "period", "expected_sales"),
})

# ---------------------------------------------------------------------------------------------
# Word lists (pinyin, hanzi)
_SURNAMES = (
    ("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"),
    ("Huang", "黄"), ("Zhao", "赵"), ("Wu", "吴"), ("Zhou", "周"), ("Xu", "徐"), ("Sun", "孙"),
    ("Ma", "马"), ("Zhu", "朱"), ("Hu", "胡"), ("Guo", "郭"), ("He", "何"), ("Lin", "林"),
    ("Luo", "罗"), ("Gao", "高"), ("Zheng", "郑"), ("Liang", "梁"), ("Xie", "谢"), ("Song", "宋"),
)
_GIVEN_F = (
    ("Fang", "芳"), ("Na", "娜"), ("Min", "敏"), ("Jing", "静"), ("Li", "丽"), ("Yan", "艳"),
    ("Juan", "娟"), ("Xiuying", "秀英"), ("Xia", "霞"), ("Hui", "慧"), ("Ting", "婷"),
    ("Xue", "雪"), ("Lan", "兰"), ("Qian", "倩"), ("Yuting", "雨婷"), ("Meilin", "美琳"),
)
_GIVEN_M = (
    ("Wei", "伟"), ("Qiang", "强"), ("Lei", "磊"), ("Jun", "军"), ("Yang", "洋"), ("Yong", "勇"),
    ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"), ("Gang", "刚"), ("Ping", "平"),
    ("Jianhua", "建华"), ("Zhiqiang", "志强"), ("Haoran", "浩然"), ("Zihan", "子涵"),
)
#: (region, share, cities as (pinyin, hanzi, phone area code))
_REGIONS = (
    ("East", 0.30, (("Shanghai", "上海", "021"), ("Hangzhou", "杭州", "0571"),
                    ("Nanjing", "南京", "025"), ("Suzhou", "苏州", "0512"))),
    ("South", 0.20, (("Guangzhou", "广州", "020"), ("Shenzhen", "深圳", "0755"),
                     ("Xiamen", "厦门", "0592"))),
    ("North", 0.15, (("Beijing", "北京", "010"), ("Tianjin", "天津", "022"),
                     ("Jinan", "济南", "0531"))),
    ("Central", 0.12, (("Wuhan", "武汉", "027"), ("Changsha", "长沙", "0731"),
                       ("Zhengzhou", "郑州", "0371"))),
    ("Southwest", 0.10, (("Chengdu", "成都", "028"), ("Chongqing", "重庆", "023"),
                         ("Kunming", "昆明", "0871"))),
    ("Northeast", 0.07, (("Shenyang", "沈阳", "024"), ("Dalian", "大连", "0411"),
                         ("Harbin", "哈尔滨", "0451"))),
    ("Northwest", 0.06, (("Xi'an", "西安", "029"), ("Lanzhou", "兰州", "0931"))),
)
_BRANDS = (
    ("Huaxin", "华信"), ("Hengtong", "恒通"), ("Jinda", "金达"), ("Xinyuan", "鑫源"),
    ("Tianhe", "天和"), ("Hongda", "宏达"), ("Ruifeng", "瑞丰"), ("Zhongtai", "中泰"),
    ("Yongsheng", "永盛"), ("Baoli", "宝利"), ("Changjiang", "长江"), ("Dongfang", "东方"),
    ("Kaiyuan", "开元"), ("Fuda", "富达"), ("Jiahe", "嘉禾"), ("Longxin", "隆鑫"),
    ("Mingyang", "明阳"), ("Shengshi", "盛世"), ("Anxin", "安信"), ("Boya", "博雅"),
)
#: (industry, share among companies, pinyin word, hanzi word)
_INDUSTRIES = (
    ("manufacturing", 0.22, "Manufacturing", "制造"), ("retail", 0.18, "Trading", "商贸"),
    ("wholesale", 0.12, "Supply Chain", "供应链"), ("construction", 0.10, "Construction", "建设"),
    ("hospitality", 0.10, "Catering", "餐饮"), ("healthcare", 0.08, "Medical", "医疗"),
    ("education", 0.06, "Education", "教育"), ("technology", 0.09, "Technology", "科技"),
    ("logistics", 0.05, "Logistics", "物流"),
)
_MOBILE_PREFIXES = ("130", "131", "135", "136", "138", "139", "150", "151", "158", "159", "186",
                    "187", "188", "189")
_MAIL_DOMAINS = ("163.com", "qq.com", "126.com", "sina.com", "139.com", "gmail.com")
_COMPANY_MAILBOXES = ("info", "sales", "purchase", "contact", "service")
#: (category, number of products, median price, price sigma, cost/price ratio, stock turnover a year)
_CATEGORIES = (
    ("beverages", 20, 18.0, 0.5, 0.62, 14.0),
    ("snacks", 20, 12.0, 0.5, 0.55, 12.0),
    ("household", 25, 35.0, 0.6, 0.50, 8.0),
    ("personal_care", 20, 45.0, 0.6, 0.40, 7.0),
    ("office", 25, 28.0, 0.7, 0.55, 6.0),
    ("electronics", 20, 420.0, 0.8, 0.78, 5.0),
    ("furniture", 10, 950.0, 0.6, 0.62, 3.0),
)
_PRODUCT_NOUNS = MappingProxyType({
    "beverages": ("Green Tea", "Oolong Tea", "Jasmine Tea", "Mineral Water", "Soy Milk",
                  "Coffee Beans", "Orange Juice", "Herbal Drink"),
    "snacks": ("Sunflower Seeds", "Rice Crackers", "Dried Mango", "Peanuts", "Mooncakes",
               "Walnut Cookies", "Beef Jerky", "Seaweed Snack"),
    "household": ("Detergent", "Paper Towels", "Storage Box", "Mop Set", "Dish Soap",
                  "Laundry Pods", "Trash Bags", "Thermos"),
    "personal_care": ("Shampoo", "Toothpaste", "Face Cream", "Body Wash", "Hand Lotion",
                      "Sunscreen", "Razor Blades", "Lip Balm"),
    "office": ("A4 Paper", "Gel Pens", "Stapler", "Binder Set", "Desk Organizer", "Notebook",
               "Toner Cartridge", "Whiteboard"),
    "electronics": ("Bluetooth Speaker", "Desk Lamp", "Power Bank", "Router", "Headphones",
                    "Smart Watch", "Monitor", "Rice Cooker"),
    "furniture": ("Office Chair", "Standing Desk", "Bookshelf", "Filing Cabinet",
                  "Meeting Table", "Sofa"),
})
_PRODUCT_LINES = ("Classic", "Premium", "Eco", "Pro", "Lite", "Plus", "Max", "Home")
_COMPLAINT_CATEGORIES = (("quality", 0.40), ("transport", 0.25), ("service", 0.20),
                         ("contract", 0.15))
_COMPLAINT_CHANNELS = (("phone", 0.40), ("email", 0.20), ("web", 0.25), ("visit", 0.10),
                       ("letter", 0.05))
_SEVERITIES = (("low", 0.50), ("medium", 0.35), ("high", 0.15))
_INTERACTION_TYPES = ("visit", "call", "email", "meeting", "event")
_INTERACTION_MIX = MappingProxyType({
    "company": (0.30, 0.30, 0.22, 0.13, 0.05),
    "individual": (0.03, 0.50, 0.30, 0.02, 0.15),
})
_NOTES = MappingProxyType({
    "visit": ("Quarterly business review", "Site visit, checked stock", "Introduced new range"),
    "call": ("Follow-up on last order", "Price enquiry", "Delivery date confirmed",
             "电话回访"),
    "email": ("Sent new catalogue", "Quotation sent", "Invoice copy sent"),
    "meeting": ("Annual contract negotiation", "Product demo", "Met purchasing manager"),
    "event": ("Trade fair invitation", "Customer day", "新品发布会邀请"),
})
# Service gaps by factor (mean perception minus expectation at average satisfaction, 1-7 scale)
# and the mean importance of each factor.
_FACTOR_GAP = (-0.4, -1.1, -0.2, -0.5, -0.9, -0.6, 0.0, 0.2, -0.7, 0.3)
_FACTOR_IMPORTANCE = (6.3, 5.9, 5.5, 5.0, 5.6, 5.1, 5.4, 4.8, 5.2, 4.2)


class SampleCompany(dict):
    """The ten tables of a generated company (a ``dict`` of DataFrames) and its ``truth``."""

    truth: dict

    def __init__(self, tables: Mapping[str, pd.DataFrame], truth: dict):
        super().__init__(tables)
        self.truth = truth


# ---------------------------------------------------------------------------------------------
# Small vectorised helpers

def _str(values) -> pd.Series:
    """A pandas "str" Series from a pyarrow array (no per-element Python objects)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pd.Series(pd.array(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


#: "0000".."9999" as four ASCII bytes each, viewed as one uint32 per number.
_DIGITS4 = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode("ascii"),
                        dtype=np.uint32)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids like ``C00042``: ``prefix`` then ``numbers`` zero-padded to ``width`` digits.

    Built as fixed-width ASCII bytes, four digits at a time, straight into an Arrow string
    array (fast at 20M rows).
    """
    x = np.asarray(numbers, dtype=np.int64)
    if len(x) and (x.min() < 0 or x.max() >= 10**width):
        raise ValueError(f"ids of prefix {prefix!r} need more than {width} digits")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    chunks = -(-width // 4)
    digits = np.empty((len(x), chunks), dtype=np.uint32)
    rest = x.copy()
    for j in range(chunks - 1, -1, -1):  # over groups of four digits, not rows
        digits[:, j] = _DIGITS4[rest % 10_000]
        rest //= 10_000
    buf = np.empty((len(x), size), dtype=np.uint8)
    buf[:, : len(head)] = head
    buf[:, len(head):] = digits.view(np.uint8).reshape(len(x), 4 * chunks)[:, 4 * chunks - width:]
    offsets = np.arange(0, (len(x) + 1) * size, size, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), len(x),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def _take(words, idx: np.ndarray) -> pa.Array:
    return pa.array(list(words), type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def _where(mask: np.ndarray, yes: pa.Array, no: pa.Array | None) -> pa.Array:
    if no is None:
        no = pa.nulls(len(mask), type=pa.string())
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**width, n)), pa.string()),
                        width=width, padding="0")


def _choice(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    """Index drawn with probabilities ``probs`` (inverse CDF of one uniform each)."""
    cdf = np.cumsum(np.asarray(probs, dtype=float))
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(n), side="right").clip(0, len(cdf) - 1)


def _dates(start: np.datetime64, days: np.ndarray) -> np.ndarray:
    """Day offsets from ``start`` (int, or float with NaN) -> datetime64[ns] at midnight (NaT for NaN)."""
    return _datetimes(start, np.asarray(days) * 86400)


def _datetimes(start: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    """Whole seconds since ``start`` (int, or float with NaN) -> datetime64[ns] (NaT for NaN)."""
    seconds = np.asarray(seconds)
    base = start.astype("datetime64[s]").astype(np.int64)
    if seconds.dtype.kind == "f":
        missing = np.isnan(seconds)
        ns = (np.where(missing, 0, seconds).astype(np.int64) + base) * 10**9
        ns[missing] = np.iinfo(np.int64).min  # NaT
    else:
        ns = (seconds.astype(np.int64) + base) * 10**9
    return ns.view("datetime64[ns]")


def _group_starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _rank_within(group: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within consecutive groups of sizes ``counts`` (``group`` = np.repeat index)."""
    return np.arange(len(group)) - np.repeat(_group_starts(counts), counts)


def _distinct_days(t: np.ndarray, group: np.ndarray, counts: np.ndarray,
                   T: np.ndarray) -> np.ndarray:
    """Whole days 1..T, distinct and in order within each group, for sorted times ``t`` in (0, T].

    ``t`` holds consecutive groups (``group`` = the np.repeat index, ``counts`` their sizes, at
    most ``T`` each). Each time goes to its nearest day; then, in order, a day is moved to the
    day after the previous one when it is not later (the first day after day 0, the first
    purchase), and at the end back to the day before the next one when it would fall after
    ``T``. The order and the number of times are kept; a day moves only to make room.
    """
    k = _rank_within(group, counts) + 1                              # 1..X within the group
    last = np.repeat(np.asarray(T, dtype=np.int64), counts)
    x = np.repeat(np.asarray(counts, dtype=np.int64), counts)
    # d_k = max(day_k, d_(k-1) + 1) with d_0 = 0, i.e. d_k - k = running max of (day_k - k)
    # within the group, and at least 0; an offset per group keeps the running max inside it
    span = 4 * (int(last.max(initial=0)) + int(x.max(initial=0)) + 2)
    off = group.astype(np.int64) * span
    e = np.maximum(np.maximum.accumulate(np.rint(t).astype(np.int64) - k + off) - off, 0)
    # then d_k = min(d_k, d_(k+1) - 1) with d_(X+1) = T + 1: a running min from the end
    e = np.minimum(e, last - x)
    e = np.minimum.accumulate((e + off)[::-1])[::-1] - off
    return e + k


def _clip01(u: np.ndarray) -> np.ndarray:
    return np.clip(u, 1e-12, 1 - 1e-12)


def expected_repeat_purchases(t, *, r: float = BGNBD["r"], alpha: float = BGNBD["alpha"],
                              a: float = BGNBD["a"], b: float = BGNBD["b"]) -> np.ndarray:
    """Expected number of repeat purchases in ``(0, t]`` of a new customer under BG/NBD.

    Closed form E[X(t)] of Fader, Hardie & Lee (2005), eq. 9, in the same time unit as ``alpha``.

    Parameters
    ----------
    t : float or array
        Length of the observation after the first purchase (days for the default parameters).
    r, alpha, a, b : float
        BG/NBD parameters; default the generator's :data:`BGNBD`.

    Returns
    -------
    ndarray
        E[X(t)] for each ``t``.

    Examples
    --------
    >>> round(float(expected_repeat_purchases(365.0)), 2)  # repeat purchases in a first year
    7.69
    """
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    bracket = 1.0 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1.0, z)
    return (a + b - 1.0) / (a - 1.0) * bracket + 0.0  # + 0.0: no -0.0 at t = 0


# ---------------------------------------------------------------------------------------------
# The generator

def _parse_day(value: str, name: str) -> np.datetime64:
    try:
        return np.datetime64(pd.Timestamp(value).date(), "D")
    except (ValueError, TypeError) as exc:
        raise DataError(f"`{name}` must be a date like 2026-10-31, got {value!r}.") from exc


def generate(customers: int = 3000, *, seed: int = 42, start: str = DEFAULT_START,
             end: str = DEFAULT_END, bgnbd: Mapping[str, float] = BGNBD,
             gamma_gamma: Mapping[str, float] = GAMMA_GAMMA,
             loss_reason_shares: Mapping[str, float] = LOSS_REASON_SHARES) -> SampleCompany:
    """Generate a sample company: the ten tables of the canonical data model and the truth.

    Parameters
    ----------
    customers : int
        Number of customers (buying and potential).
    seed : int
        Seed of ``np.random.default_rng``; the same arguments give the same tables.
    start, end : str
        First and last day of the history (``YYYY-MM-DD``); no date falls outside.
    bgnbd : mapping
        BG/NBD parameters ``r``, ``alpha`` (per day), ``a``, ``b``.
    gamma_gamma : mapping
        Gamma-Gamma parameters ``p``, ``q``, ``v`` of the order value.
    loss_reason_shares : mapping
        Reason -> share of the recorded lost customers.

    Returns
    -------
    SampleCompany
        A dict with keys ``customers``, ``transactions``, ``products``, ``complaints``,
        ``surveys``, ``lost_customers``, ``service_calls``, ``interactions``, ``invoices``,
        ``targets`` (DataFrames with the columns of :data:`COLUMNS`, dtypes as
        ``load_dataset`` gives them) and the attribute ``truth`` (a JSON-ready dict of the
        generating parameters and a few realised counts).

    Examples
    --------
    >>> company = generate(50, seed=1)
    >>> sorted(company) == sorted(TABLES)
    True
    >>> company.truth["bgnbd"]["period"]
    'day'
    """
    if not isinstance(customers, (int, np.integer)) or isinstance(customers, bool) or customers < 1:
        raise DataError(f"`customers` must be a positive integer, got {customers!r}.")
    d0 = _parse_day(start, "start")
    d1 = _parse_day(end, "end")
    if d1 <= d0:
        raise DataError(f"`end` must be after `start`, got start={start!r}, end={end!r}.")
    for label, params, keys in (("bgnbd", bgnbd, ("r", "alpha", "a", "b")),
                                ("gamma_gamma", gamma_gamma, ("p", "q", "v"))):
        bad = [k for k in keys if not (isinstance(params.get(k), (int, float))
                                       and math.isfinite(params[k]) and params[k] > 0)]
        if bad:
            raise DataError(f"`{label}` must give positive numbers for {list(keys)}; "
                            f"got {dict(params)!r} (bad: {bad}).")
    shares = dict(loss_reason_shares)
    for reason in shares:
        require_one_of("loss_reason_shares key", reason, LOSS_REASON_SHARES)
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9) or min(shares.values()) < 0:
        raise DataError(f"`loss_reason_shares` must be non-negative and sum to 1, got sum {total:g}.")

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise DataError(f"`seed` must be a non-negative integer, got {seed!r}.")
    rng = np.random.default_rng(seed)
    n = int(customers)
    horizon = int((d1 - d0).astype(int))  # the last day's offset
    r, alpha, a, b = (float(bgnbd[k]) for k in ("r", "alpha", "a", "b"))
    gp, gq, gv = (float(gamma_gamma[k]) for k in ("p", "q", "v"))

    # --- customers: latent traits -------------------------------------------------------------
    lam = rng.gamma(r, 1.0 / alpha, n)     # purchase rate per day while alive
    p_drop = rng.beta(a, b, n)             # dropout probability after each repeat purchase
    nu = rng.gamma(gq, 1.0 / gv, n)        # Gamma-Gamma scale: order value ~ Gamma(p, rate nu)
    # standard normal scores carrying the ranks of p and nu, used to link other tables:
    # high z_loyal = small p (loyal, more satisfied); high z_spend = small nu (big orders)
    z_loyal = -special.ndtri(_clip01(special.betainc(a, b, p_drop)))
    z_spend = -special.ndtri(_clip01(special.gammainc(gq, nu * gv)))
    z_pay = rng.standard_normal(n)         # high: pays late
    potential = rng.random(n) < POTENTIAL_SHARE
    acq_day = rng.integers(0, horizon + 1, n)
    T = (horizon - acq_day).astype(float)

    arrivals = rng.poisson(lam * T)    # arrivals of the Poisson process in (0, T]
    n_seen = np.minimum(arrivals, T.astype(np.int64))  # at most one order a day
    n_drop = rng.geometric(p_drop)     # the repeat purchase after which the customer drops out
    X = np.minimum(n_seen, n_drop)
    X[potential] = 0
    capped = int(np.count_nonzero((np.minimum(arrivals, n_drop) > X) & ~potential))
    del arrivals
    dropped = (n_drop <= n_seen) & ~potential

    # Repeat purchase times: the first X of n_seen uniform order statistics on (0, T],
    # U_(k) = S_k / S_(n+1) with S_k sums of standard exponentials.
    rep_c = np.repeat(np.arange(n), X)
    e = rng.exponential(1.0, len(rep_c))
    cs = np.cumsum(e)
    ends = np.cumsum(X)
    before = np.concatenate([[0.0], cs])[ends - X]       # cumulative sum before each group
    s_k = cs - np.repeat(before, X)
    s_x = np.where(X > 0, np.concatenate([[0.0], cs])[ends] - before, 0.0)
    s_all = s_x + rng.gamma(np.maximum(n_seen - X, 0) + 1.0, 1.0)
    t_rep = T[rep_c] * s_k / np.repeat(s_all, X)
    rep_off = _distinct_days(t_rep, rep_c, X, T)
    moved = int(np.count_nonzero(rep_off != np.rint(t_rep)))
    rep_day = acq_day[rep_c] + rep_off
    del e, cs, s_k, t_rep, rep_off

    buyers = np.flatnonzero(~potential)
    o_cust = np.concatenate([buyers, rep_c])
    o_day = np.concatenate([acq_day[buyers], rep_day])
    order = np.argsort(o_day * n + o_cust, kind="stable")
    o_cust, o_day = o_cust[order], o_day[order]
    del order, rep_c, rep_day
    n_orders = len(o_cust)
    value = np.maximum(np.round(rng.gamma(gp, 1.0, n_orders) / nu[o_cust], 2), 0.01)
    last_day = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_day, o_cust, o_day)
    sales_per_c = np.bincount(o_cust, weights=value, minlength=n)

    # --- products -----------------------------------------------------------------------------
    products, prod_price, prod_cost, prod_cat = _products(rng)
    n_prod = len(prod_price)
    prod_ids = _ids("P", np.arange(1, n_prod + 1), 4)

    # --- order lines and returns ---------------------------------------------------------------
    width_o = max(6, len(str(n_orders)))
    width_c = max(5, len(str(n)))
    transactions, lines = _transactions(rng, d0, horizon, o_cust, o_day, value, prod_price,
                                        prod_cost, width_o, width_c)
    n_ret, n_lines_total, o_prod, qty_by_prod = (
        lines["returns"], lines["lines"], lines["order_product"], lines["net_quantity"])

    # inventory: a year's cost of goods sold over the category's stock turnover
    years = (horizon + 1) / 365.25
    turnover = np.array([c[5] for c in _CATEGORIES])[prod_cat] * np.exp(rng.normal(0, 0.3, n_prod))
    inv = np.maximum(qty_by_prod, 0) * prod_cost / years / turnover
    products["avg_inventory_cost"] = np.round(np.maximum(inv, prod_cost * 5), 2)

    # --- customers table ----------------------------------------------------------------------
    customers_df, cinfo = _customers(rng, n, d0, horizon, z_spend, z_pay, potential, acq_day,
                                     width_c)
    company = cinfo["company"]
    region_idx = cinfo["region_idx"]

    # --- lost customers -----------------------------------------------------------------------
    delay = 31 + np.floor(rng.gamma(2.0, 45.0, n)).astype(np.int64)
    lost_day = last_day + delay
    recorded = dropped & (lost_day <= horizon) & (rng.random(n) < LOST_RECORDED_SHARE)
    reasons = tuple(LOSS_REASON_SHARES)
    reason_idx = _choice(rng, n, [shares.get(k, 0.0) for k in reasons])
    lost_ids = np.flatnonzero(recorded)
    lost_customers = pd.DataFrame({
        "customer_id": _str(_ids("C", lost_ids + 1, width_c)),
        "lost_on": _dates(d0, lost_day[lost_ids]),
        "reason": _str(_take(reasons, reason_idx[lost_ids])),
    })
    # the end of a customer's active relationship (for contacts, calls and surveys)
    active_end = np.where(recorded, lost_day, np.where(dropped, np.minimum(last_day + 60, horizon),
                                                        horizon))

    # --- tiers by realised order value (service levels) ---------------------------------------
    buyer_rank = np.empty(n)
    order_v = np.argsort(-sales_per_c, kind="stable")
    buyer_rank[order_v] = np.arange(n) / max(n - 1, 1)
    tier = np.where(buyer_rank < 0.2, 0, np.where(buyer_rank < 0.5, 1, 2))

    complaints = _complaints(rng, d0, horizon, o_cust, o_day, o_prod, z_loyal, width_c,
                             prod_ids, width_o)
    surveys = _surveys(rng, n, d0, acq_day, active_end, potential, z_loyal, width_c)
    service_calls = _service_calls(rng, d0, horizon, o_cust, o_day, tier, width_c)
    interactions = _interactions(rng, n, d0, cinfo["first_seen"], active_end, potential,
                                 company, z_spend, width_c, cinfo["sales_rep"])
    invoices = _invoices(rng, d0, horizon, o_cust, o_day, value, company, z_pay, width_c)
    targets = _targets(rng, d0, d1, o_cust, o_day, value, company, acq_day, potential,
                       lam, nu, gp, region_idx, width_c)

    tables = {
        "customers": customers_df,
        "transactions": transactions,
        "products": products,
        "complaints": complaints,
        "surveys": surveys,
        "lost_customers": lost_customers,
        "service_calls": service_calls,
        "interactions": interactions,
        "invoices": invoices,
        "targets": targets,
    }
    n_repeat = n_orders - len(buyers)
    n_complainants = int(complaints["customer_id"].nunique())
    truth = {
        "generator": "crm_lib.sample",
        "customers": n,
        "seed": int(seed),
        "start": str(d0),
        "end": str(d1),
        "bgnbd": {
            "r": r, "alpha": alpha, "a": a, "b": b, "period": "day",
            "time_origin": "acquired_on, the first purchase (T = end - acquired_on in days)",
            "mean_purchase_rate_per_day": r / alpha,
            "mean_dropout_probability": a / (a + b),
            "dropout": "possible only right after a repeat purchase (BG/NBD), never after the first",
            "purchase_times": (
                "drawn in continuous time (days after acquired_on), each put on its nearest "
                "day; then, in order, a day that is not after the previous purchase day moves to "
                "the day after it, and a day after the end moves back to the day before the next "
                "one: at most one order per customer and day, the number of orders unchanged"),
            "orders_per_customer_and_day": 1,
            "moved_orders": moved,
            "moved_share_of_repeat_orders": round(moved / max(n_repeat, 1), 4),
            "capped_customers": capped,
            "capped_note": (
                "A customer whose process draws more repeat purchases than days in (0, T] keeps "
                "T of them (one a day); capped_customers counts them (a few per million "
                "customers with the default parameters)."),
            "daily_summary_note": (
                "Every order is on its own day, so a daily summary (frequency = repeat purchase "
                "days, recency and T in days) sees exactly the repeat counts of the process; "
                "the day rounding moves times by about half a day, which does not bias a fit "
                "measurably (see docs/sample.md)."),
        "returns_note": (
                "Returns are extra rows (negative quantity and amount, same order_id and product, "
                "1-30 days after the order) and are not purchases of the process: fit on rows "
                "with quantity > 0."),
        },
        "gamma_gamma": {
            "p": gp, "q": gq, "v": gv,
            "mean_order_value": gp * gv / (gq - 1.0) if gq > 1 else None,
            "unit": "value of one order (the sum of its lines' amounts, before returns)",
            "independent_of_frequency": True,
        },
        "orders": {
            "lines_per_order_probabilities": list(LINES_PER_ORDER),
            "line_amounts": "order value split by a flat Dirichlet, whole cents, each line >= 0.01",
            "product_choice": ("among products priced at most the line amount, leaning to dearer; "
                               "each product at most once per order (else the next dearer one)"),
            "quantity": "round(line amount / unit_price), at least 1; cost = quantity * unit_cost",
        },
        "returns": {"share_of_lines": RETURN_SHARE, "days_after_order": [1, 30],
                    "rows": int(n_ret)},
        "potential_share": POTENTIAL_SHARE,
        "acquisition": ("acquired_on uniform over the history, start..end; potential customers "
                        "(no transactions) have no acquired_on"),
        "kind": ("company with probability expit(-1.3 + z_spend), z_spend the normal score of "
                 "1/nu: companies place bigger orders; their frequency is not linked"),
        "invoices": {
            "orders_invoiced": "every order of a company, 5% of individuals' orders",
            "due_days": 30,
            "late_probability": "expit(-2.2 + 1.2 z_pay); ratings A-D are quantiles of z_pay",
            "open": "paid_on empty when the payment date falls after the end",
        },
        "interactions": "Poisson, 4 exp(0.5 z_spend) a year for companies, 0.4 for individuals",
        "loss": {
            "reason_shares": {k: shares.get(k, 0.0) for k in reasons},
            "recorded_share_of_dropped": LOST_RECORDED_SHARE,
            "lost_on": "last purchase + 31 + floor(Gamma(2, scale 45)) days; kept if <= end",
        },
        "satisfaction": {
            "loyalty_correlation": SATISFACTION_LOYALTY_CORRELATION,
            "note": ("The normal score of each customer's dropout probability p (its Beta "
                     "quantile, negated: loyalty) is correlated with survey satisfaction at this "
                     "correlation: more satisfied customers drop out less."),
            "factor_gaps": dict(zip(SATISFACTION_FACTORS, _FACTOR_GAP, strict=True)),
            "factor_importance": dict(zip(SATISFACTION_FACTORS, _FACTOR_IMPORTANCE, strict=True)),
        },
        "service_calls": {
            "tiers": "by total order value: top 20%, next 30%, rest",
            "median_wait_seconds_by_tier": [20.0, 45.0, 90.0],
            "patience_seconds_mean": 240.0,
        },
        "complaints": {
            "probability_per_order": (
                f"{COMPLAINT_RATE} x proneness x exp(-{COMPLAINT_LOYALTY_EFFECT} z_loyal), "
                f"proneness ~ Gamma(shape {COMPLAINT_PRONENESS_SHAPE}, mean 1) per customer, "
                "z_loyal the loyalty score (see satisfaction)"),
            "complainants": n_complainants,
            "complainants_share_of_buying_customers": round(
                n_complainants / max(len(buyers), 1), 4),
            "category_shares": dict(_COMPLAINT_CATEGORIES),
            "steps_in_order": True,
            "satisfied_after": "asked only when step 7 'check' is done (steps_done >= 7)",
        },
        "rows": {name: int(len(df)) for name, df in tables.items()},
        "orders_total": int(n_orders),
        "order_lines": int(n_lines_total),
        "dropped_customers": int(dropped.sum()),
    }
    return SampleCompany(tables, truth)


def _transactions(rng, d0, horizon, o_cust, o_day, value, prod_price, prod_cost, width_o,
                  width_c):
    """Split each order into 1-3 lines, pick products, add returns: the transactions table.

    Orders are sorted by day; rows come out sorted by date, then order, then line.
    """
    n_orders, n_prod = len(o_cust), len(prod_price)
    n_lines = (_choice(rng, n_orders, LINES_PER_ORDER) + 1).astype(np.int64)
    l_order = np.repeat(np.arange(n_orders), n_lines)
    # line amounts: a flat Dirichlet split of the order value in whole cents, each >= 1 cent
    w = rng.exponential(1.0, len(l_order))
    w /= np.repeat(np.bincount(l_order, weights=w, minlength=n_orders), n_lines)
    cents = np.round(value * 100).astype(np.int64)
    l_cents = 1 + np.floor(np.repeat(np.maximum(cents - n_lines, 0), n_lines) * w).astype(np.int64)
    del w
    last = np.cumsum(n_lines) - 1
    l_cents[last] = 0
    l_cents[last] = cents - np.bincount(l_order, weights=l_cents, minlength=n_orders).astype(np.int64)
    l_amount = l_cents / 100.0
    del l_cents, cents, last
    # product: among those priced at most the line amount, leaning to the dearer ones
    order_p = np.argsort(prod_price, kind="stable")
    top = np.searchsorted(prod_price[order_p], l_amount, side="right")
    pick = np.minimum(np.floor(np.sqrt(rng.random(len(l_order))) * top).astype(np.int64),
                      n_prod - 1)
    del top
    # each product at most once per order: a line whose product an earlier line of the order
    # already has takes the next dearer one (loops over the 2 later line ranks, not rows)
    first_line = np.repeat(_group_starts(n_lines), n_lines)
    rank = np.arange(len(l_order)) - first_line
    for r in range(1, int(n_lines.max(initial=1))):
        idx = np.flatnonzero(rank == r)
        for _ in range(r):
            clash = np.zeros(len(idx), dtype=bool)
            for q in range(r):
                clash |= pick[idx] == pick[first_line[idx] + q]
            pick[idx[clash]] = (pick[idx[clash]] + 1) % n_prod
    del first_line, rank
    l_prod = order_p[pick]
    del pick
    l_qty = np.maximum(np.round(l_amount / prod_price[l_prod]), 1.0)
    l_cost = np.round(l_qty * prod_cost[l_prod], 2)

    # returns: a later row of the same order and product with negative quantity and amount
    ret = np.flatnonzero(rng.random(len(l_order)) < RETURN_SHARE)
    r_qty = np.ceil(rng.random(len(ret)) * l_qty[ret])
    r_day = o_day[l_order[ret]] + rng.integers(1, 31, len(ret))
    keep = r_day <= horizon
    ret, r_qty, r_day = ret[keep], r_qty[keep], r_day[keep]
    r_key = r_day * (n_orders + 1) + l_order[ret]
    r_sort = np.argsort(r_key, kind="stable")
    ret, r_qty, r_day, r_key = ret[r_sort], r_qty[r_sort], r_day[r_sort], r_key[r_sort]
    r_amount = -np.round(l_amount[ret] * r_qty / l_qty[ret], 2)
    r_cost = -np.round(r_qty * prod_cost[l_prod[ret]], 2)
    # where the returns go among the lines (lines are sorted by the same key: day, order)
    pos = np.searchsorted(o_day[l_order] * (n_orders + 1) + l_order, r_key, side="right")

    info = {
        "returns": int(len(ret)),
        "lines": int(len(l_order)),
        "order_product": l_prod[np.cumsum(n_lines) - n_lines],
        "net_quantity": (np.bincount(l_prod, weights=l_qty, minlength=n_prod)
                         - np.bincount(l_prod[ret], weights=r_qty, minlength=n_prod)),
    }
    # the numbers go straight into one float block (no consolidation copy by pandas)
    total = len(l_order) + len(ret)
    is_ret = np.zeros(total, dtype=bool)
    is_ret[pos + np.arange(len(pos))] = True
    block = np.empty((3, total))  # pandas keeps (columns, rows): each column contiguous
    for j, (line_vals, ret_vals) in enumerate(((l_qty, -r_qty), (l_amount, r_amount),
                                               (l_cost, r_cost))):
        block[j, ~is_ret] = line_vals
        block[j, is_ret] = ret_vals
    del l_qty, l_amount, l_cost
    df = pd.DataFrame(block.T, columns=["quantity", "amount", "cost"], copy=False)
    del block
    t_order = np.insert(l_order, pos, l_order[ret])
    del l_order
    df.insert(0, "order_id", _str(_ids("O", t_order + 1, width_o)))
    df.insert(1, "customer_id", _str(_ids("C", o_cust[t_order] + 1, width_c)))
    date = _dates(d0, o_day[t_order])
    del t_order
    date[is_ret] = _dates(d0, r_day)
    df.insert(2, "date", date)
    del date
    df.insert(3, "product_id", _str(_ids("P", np.insert(l_prod, pos, l_prod[ret]) + 1, 4)))
    return df, info


def _products(rng: np.random.Generator):
    cat_idx = np.repeat(np.arange(len(_CATEGORIES)), [c[1] for c in _CATEGORIES])
    n_prod = len(cat_idx)
    med = np.array([c[2] for c in _CATEGORIES])[cat_idx]
    sig = np.array([c[3] for c in _CATEGORIES])[cat_idx]
    ratio = np.array([c[4] for c in _CATEGORIES])[cat_idx]
    price = np.round(med * np.exp(sig * rng.standard_normal(n_prod)), 1)
    price = np.maximum(price, 1.5)
    cost = np.round(price * np.clip(ratio + rng.normal(0, 0.06, n_prod), 0.2, 0.95), 2)
    nouns = [_PRODUCT_NOUNS[c[0]] for c in _CATEGORIES]
    rank = _rank_within(cat_idx, np.array([c[1] for c in _CATEGORIES]))
    names = [
        f"{nouns[ci][rk % len(nouns[ci])]} {_PRODUCT_LINES[(rk // len(nouns[ci]) + ci) % len(_PRODUCT_LINES)]}"
        for ci, rk in zip(cat_idx.tolist(), rank.tolist(), strict=True)
    ]
    products = pd.DataFrame({
        "product_id": _str(_ids("P", np.arange(1, n_prod + 1), 4)),
        "name": _str(pa.array(names)),
        "category": _str(_take([c[0] for c in _CATEGORIES], cat_idx)),
        "unit_price": price,
        "unit_cost": cost,
        "avg_inventory_cost": np.zeros(n_prod),
    })
    return products, price, cost, cat_idx


def _customers(rng, n, d0, horizon, z_spend, z_pay, potential, acq_day, width_c):
    company = rng.random(n) < special.expit(-1.3 + 1.0 * z_spend)
    indiv = ~company
    region_idx = _choice(rng, n, [r_[1] for r_ in _REGIONS])
    city_counts = np.array([len(r_[2]) for r_ in _REGIONS])
    city_off = _group_starts(city_counts)
    city_idx = city_off[region_idx] + np.floor(rng.random(n) * city_counts[region_idx]).astype(int)
    cities = [c for r_ in _REGIONS for c in r_[2]]
    ind_idx = _choice(rng, n, [i[1] for i in _INDUSTRIES])
    hanzi = rng.random(n) < 0.35

    # individuals
    female = rng.random(n) < 0.5
    sur = rng.integers(0, len(_SURNAMES), n)
    giv = rng.integers(0, len(_GIVEN_F), n)
    given_py = _where(female, _take([g[0] for g in _GIVEN_F], giv), _take([g[0] for g in _GIVEN_M], giv))
    given_hz = _where(female, _take([g[1] for g in _GIVEN_F], giv), _take([g[1] for g in _GIVEN_M], giv))
    sur_py = _take([s[0] for s in _SURNAMES], sur)
    person_py = _join(sur_py, given_py, sep=" ")
    person_hz = _join(_take([s[1] for s in _SURNAMES], sur), given_hz)
    # companies
    brand = rng.integers(0, len(_BRANDS), n)
    brand_py = _take([b_[0] for b_ in _BRANDS], brand)
    city_py = _take([c[0] for c in cities], city_idx)
    firm_py = _join(city_py, brand_py, _take([i[2] for i in _INDUSTRIES], ind_idx),
                    pa.scalar("Co., Ltd."), sep=" ")
    firm_hz = _join(_take([c[1] for c in cities], city_idx), _take([b_[1] for b_ in _BRANDS], brand),
                    _take([i[3] for i in _INDUSTRIES], ind_idx), pa.scalar("有限公司"))
    name = _where(company, _where(hanzi, firm_hz, firm_py), _where(hanzi, person_hz, person_py))

    # channel
    u = rng.random(n)
    channel_idx = np.where(company, np.where(u < 0.68, 1, 2), np.where(u < 0.97, 0, 3))
    channel = _take(("consumer", "b2b", "distributor", "internal"), channel_idx)

    # sales reps: a few per region, about one per 120 customers
    per_region = max(1, math.ceil(n / 120 / len(_REGIONS)))
    rep_num = region_idx * per_region + rng.integers(0, per_region, n) + 1
    sales_rep = _ids("SR", rep_num, max(3, len(str(len(_REGIONS) * per_region))))

    # credit
    rating_idx = np.searchsorted(special.ndtri(np.array([0.3, 0.7, 0.9])), z_pay, side="right")
    rating = _take(("A", "B", "C", "D"), rating_idx)
    blacklisted = (rating_idx == 3) & (rng.random(n) < 0.15)
    exp_order = GAMMA_GAMMA["p"] * GAMMA_GAMMA["v"] / (GAMMA_GAMMA["q"] - 1.0)
    spend_scale = np.exp(0.6 * z_spend)
    credit_limit = np.where(company,
                            np.round(exp_order * 4 * spend_scale * (1.5 - 0.3 * rating_idx), -2),
                            0.0)
    credit_limit = np.maximum(credit_limit, np.where(company, 500.0, 0.0))

    # contact data
    phone_mobile = _join(_take(_MOBILE_PREFIXES, rng.integers(0, len(_MOBILE_PREFIXES), n)),
                         _digits(rng, n, 8))
    phone_land = _join(_take([c[2] for c in cities], city_idx), _digits(rng, n, 8), sep="-")
    phone = _where(rng.random(n) < 0.95, _where(company, phone_land, phone_mobile), None)
    mail_user = _join(pc.utf8_lower(given_py), pc.utf8_lower(sur_py), sep=".")
    mail_num = pc.cast(pa.array(rng.integers(1, 1000, n)), pa.string())
    mail_user = _where(rng.random(n) < 0.5, _join(mail_user, mail_num), mail_user)
    person_mail = _join(mail_user, _take(_MAIL_DOMAINS, rng.integers(0, len(_MAIL_DOMAINS), n)),
                        sep="@")
    slug = pc.utf8_lower(_join(brand_py, pc.replace_substring(city_py, "'", "")))
    firm_mail = _join(_take(_COMPANY_MAILBOXES, rng.integers(0, len(_COMPANY_MAILBOXES), n)),
                      _join(slug, pa.scalar("com.cn"), sep="."), sep="@")
    email = _where(rng.random(n) < 0.92, _where(company, firm_mail, person_mail), None)

    # card updates: some cards never touched since acquisition (stale)
    base = np.where(potential, rng.integers(0, horizon + 1, n), acq_day)
    stale = rng.random(n) < 0.3
    card_day = np.where(stale, base, base + np.floor(rng.random(n) * (horizon - base + 1)))
    card_day = np.minimum(card_day, horizon)

    # individual and company attributes
    age = np.where(indiv, np.clip(np.round(42 + 13 * rng.standard_normal(n)), 18, 85), np.nan)
    gender = _where(indiv, _where(female, pa.scalar("F"), pa.scalar("M")), None)
    inc = np.searchsorted([-0.6, 0.7], 0.6 * z_spend + 0.8 * rng.standard_normal(n))
    income_band = _where(indiv, _take(("low", "middle", "high"), inc), None)
    size_idx = np.searchsorted([-0.2, 1.0], z_spend + 0.5 * rng.standard_normal(n))
    size = _where(company, _take(("small", "medium", "large"), size_idx), None)
    dm_sur = rng.integers(0, len(_SURNAMES), n)
    dm_giv = rng.integers(0, len(_GIVEN_M) + len(_GIVEN_F), n)
    decision_maker = _where(company, _join(_take([s[0] for s in _SURNAMES], dm_sur),
                                           _take([g[0] for g in _GIVEN_M + _GIVEN_F], dm_giv),
                                           sep=" "), None)
    # groups: about a quarter of companies belong to a group of about four
    n_comp = int(company.sum())
    n_groups = max(1, round(n_comp * 0.25 / 4))
    combos = len(_BRANDS) * len(cities)
    perm = rng.permutation(combos)[: min(n_groups, combos)]
    g_brand, g_city = perm % len(_BRANDS), perm // len(_BRANDS)
    g_names = _join(_take([c[0] for c in cities], g_city), _take([b_[0] for b_ in _BRANDS], g_brand),
                    pa.scalar("Group"), sep=" ")
    in_group = company & (rng.random(n) < 0.25)
    g_pick = rng.integers(0, len(perm), n)
    parent = _where(in_group, g_names.take(pa.array(g_pick)), None)

    industry = _where(company, _take([i[0] for i in _INDUSTRIES], ind_idx), None)
    customers_df = pd.DataFrame({
        "customer_id": _str(_ids("C", np.arange(1, n + 1), width_c)),
        "name": _str(name),
        "kind": _str(_where(company, pa.scalar("company"), pa.scalar("individual"))),
        "region": _str(_take([r_[0] for r_ in _REGIONS], region_idx)),
        "industry": _str(industry),
        "channel": _str(channel),
        "acquired_on": _dates(d0, np.where(potential, np.nan, acq_day.astype(float))),
        "sales_rep": _str(sales_rep),
        "credit_limit": credit_limit,
        "credit_rating": _str(rating),
        "blacklisted": blacklisted,
        "phone": _str(phone),
        "email": _str(email),
        "card_updated_on": _dates(d0, card_day.astype(np.int64)),
        "age": age,
        "gender": _str(gender),
        "income_band": _str(income_band),
        "size": _str(size),
        "decision_maker": _str(decision_maker),
        "parent_company": _str(parent),
    })
    return customers_df, {"company": company, "region_idx": region_idx, "sales_rep": sales_rep,
                          "first_seen": base}


def _complaints(rng, d0, horizon, o_cust, o_day, o_prod, z_loyal, width_c, prod_ids, width_o):
    # each order may lead to a complaint; less loyal customers complain more
    k = COMPLAINT_PRONENESS_SHAPE
    prone = rng.gamma(k, 1.0 / k, len(z_loyal))
    prob = np.minimum(COMPLAINT_RATE * prone * np.exp(-COMPLAINT_LOYALTY_EFFECT * z_loyal), 1.0)[o_cust]
    idx = np.flatnonzero(rng.random(len(o_cust)) < prob)
    day = o_day[idx] + np.minimum(np.floor(rng.exponential(4.0, len(idx))), 30).astype(np.int64)
    keep = day <= horizon
    idx, day = idx[keep], day[keep]
    m = len(idx)
    cat = _choice(rng, m, [c[1] for c in _COMPLAINT_CATEGORIES])
    sev = _choice(rng, m, [s[1] for s in _SEVERITIES])
    chan = _choice(rng, m, [c[1] for c in _COMPLAINT_CHANNELS])
    opened = day * 86400.0 + rng.integers(8 * 3600, 20 * 3600, m)
    # first response: faster for high severity (median 6h, 3h, 1h)
    med_resp = np.array([6.0, 3.0, 1.0])[sev] * 3600
    resp = opened + np.round(med_resp * np.exp(0.9 * rng.standard_normal(m)))
    handoffs = rng.negative_binomial(1.2, 0.6, m)
    steps = rng.binomial(8, np.clip(0.78 - 0.05 * handoffs + 0.05 * rng.standard_normal(m), 0.05, 0.99))
    dur = 36 * 3600 * np.exp(0.8 * rng.standard_normal(m)) * (1 + 0.5 * handoffs)
    resolved = resp + np.round(dur)
    reopened = rng.random(m) < 0.05 + 0.06 * (handoffs > 2) + 0.05 * (steps < 5)
    limit = (horizon + 1) * 86400.0
    still_open = (resolved >= limit) | (rng.random(m) < 0.01)
    resp = np.where(resp >= limit, np.nan, resp)
    resolved = np.where(still_open | np.isnan(resp), np.nan, resolved)
    checked = steps >= 7
    logit = (-0.3 + 0.5 * (steps - 7) - 0.4 * handoffs - 0.6 * reopened + 0.5 * z_loyal[o_cust[idx]]
             - 0.15 * np.log1p(np.nan_to_num(resolved - opened, nan=0) / 86400))
    sat = rng.random(m) < special.expit(logit)
    satisfied = pd.array(np.where(checked & ~still_open, sat, False), dtype="boolean")
    satisfied[~(checked & ~still_open)] = pd.NA
    # product and order: quality and transport are about a product of an order; contract about
    # an order; service about neither
    has_order = cat != 2
    has_prod = (cat == 0) | (cat == 1)
    staff = rng.integers(1, 13, m)
    return pd.DataFrame({
        "complaint_id": _str(_ids("CP", np.arange(1, m + 1), max(5, len(str(m))))),
        "customer_id": _str(_ids("C", o_cust[idx] + 1, width_c)),
        "opened_at": _datetimes(d0, opened),
        "category": _str(_take([c[0] for c in _COMPLAINT_CATEGORIES], cat)),
        "channel": _str(_take([c[0] for c in _COMPLAINT_CHANNELS], chan)),
        "severity": _str(_take([s[0] for s in _SEVERITIES], sev)),
        "first_response_at": _datetimes(d0, resp),
        "resolved_at": _datetimes(d0, resolved),
        "handled_by": _str(_ids("ST", staff, 2)),
        "handoffs": handoffs.astype(np.int64),
        "steps_done": steps.astype(np.int64),
        "reopened": reopened,
        "satisfied_after": satisfied,
        "product_id": _str(_where(has_prod, prod_ids.take(pa.array(o_prod[idx])), None)),
        "order_id": _str(_where(has_order, _ids("O", idx + 1, width_o), None)),
    })


def _surveys(rng, n, d0, acq_day, active_end, potential, z_loyal, width_c):
    responds = ~potential & (rng.random(n) < 0.25)
    count = np.where(responds, 1 + (rng.random(n) < 0.2), 0)
    c = np.repeat(np.arange(n), count)
    m = len(c)
    span = np.maximum(active_end[c] - acq_day[c], 0)
    day = acq_day[c] + np.floor(rng.random(m) * (span + 1)).astype(np.int64)
    rho = SATISFACTION_LOYALTY_CORRELATION
    s = rho * z_loyal[c] + math.sqrt(1 - rho**2) * rng.standard_normal(m)
    gaps = np.array(_FACTOR_GAP)
    imp_mean = np.array(_FACTOR_IMPORTANCE)
    exp_ = np.clip(5.2 + 0.5 * rng.standard_normal((m, 1)) + 0.8 * rng.standard_normal((m, 10)), 1, 7)
    perc = np.clip(exp_ + gaps + 0.8 * s[:, None] + 0.8 * rng.standard_normal((m, 10)), 1, 7)
    imp = np.clip(imp_mean + 0.9 * rng.standard_normal((m, 10)), 1, 7)
    exp_i, perc_i, imp_i = (np.round(x) for x in (exp_, perc, imp))
    weighted_gap = ((perc_i - exp_i) * imp_i).sum(axis=1) / imp_i.sum(axis=1)
    quality = 0.7 * s + 0.5 * weighted_gap
    nps = np.clip(np.round(7.6 + 1.6 * quality + 1.0 * rng.standard_normal(m)), 0, 10)
    csat = np.clip(np.round(3.7 + 0.7 * quality + 0.5 * rng.standard_normal(m)), 1, 5)
    cols = {
        "response_id": _str(_ids("SV", np.arange(1, m + 1), max(5, len(str(m))))),
        "customer_id": _str(_ids("C", c + 1, width_c)),
        "date": _dates(d0, day),
        "nps": nps,
        "csat": csat,
    }
    for j, f in enumerate(SATISFACTION_FACTORS):
        cols[f"exp_{f}"] = exp_i[:, j]
        cols[f"perc_{f}"] = perc_i[:, j]
        cols[f"imp_{f}"] = imp_i[:, j]
    df = pd.DataFrame(cols)
    order = np.argsort(day, kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    df["response_id"] = _str(_ids("SV", np.arange(1, m + 1), max(5, len(str(m)))))
    return df


def _service_calls(rng, d0, horizon, o_cust, o_day, tier, width_c):
    count = rng.poisson(0.25, len(o_cust))
    src = np.repeat(np.arange(len(o_cust)), count)
    day = o_day[src] + rng.integers(0, 15, len(src))
    keep = day <= horizon
    src, day = src[keep], day[keep]
    m = len(src)
    c = o_cust[src]
    at = day * 86400.0 + rng.integers(8 * 3600, 19 * 3600, m)
    order = np.argsort(at, kind="stable")
    src, day, c, at = src[order], day[order], c[order], at[order]
    med = np.array([20.0, 45.0, 90.0])[tier[c]]
    wait = med * np.exp(0.8 * rng.standard_normal(m))
    patience = rng.exponential(240.0, m)
    answered = wait <= patience
    wait = np.round(np.where(answered, wait, patience), 1)
    return pd.DataFrame({
        "call_id": _str(_ids("CL", np.arange(1, m + 1), max(6, len(str(m))))),
        "customer_id": _str(_ids("C", c + 1, width_c)),
        "at": _datetimes(d0, at),
        "wait_seconds": wait,
        "answered": answered,
    })


def _interactions(rng, n, d0, first_seen, active_end, potential, company, z_spend, width_c,
                  sales_rep):
    # contacts from the first day the customer is known (acquisition, or the card's creation
    # for potential customers) to the end of the relationship; more for big companies
    span = np.maximum(active_end - first_seen, 0)
    per_year = np.where(company, 4.0 * np.exp(0.5 * z_spend), 0.4)
    per_year = np.where(potential, 1.0, per_year)
    count = rng.poisson(per_year * (span + 1) / 365.25)
    c = np.repeat(np.arange(n), count)
    m = len(c)
    day = first_seen[c] + np.floor(rng.random(m) * (span[c] + 1)).astype(np.int64)
    order = np.lexsort((c, day))
    c, day = c[order], day[order]
    comp = company[c]
    typ = np.where(comp, _choice(rng, m, _INTERACTION_MIX["company"]),
                   _choice(rng, m, _INTERACTION_MIX["individual"]))
    n_notes = np.array([len(_NOTES[t]) for t in _INTERACTION_TYPES])
    note_idx = _group_starts(n_notes)[typ] + np.floor(rng.random(m) * n_notes[typ]).astype(int)
    note = _take([w for t in _INTERACTION_TYPES for w in _NOTES[t]], note_idx)
    rep = sales_rep.take(pa.array(c))
    return pd.DataFrame({
        "interaction_id": _str(_ids("IA", np.arange(1, m + 1), max(6, len(str(m))))),
        "customer_id": _str(_ids("C", c + 1, width_c)),
        "date": _dates(d0, day),
        "type": _str(_take(_INTERACTION_TYPES, typ)),
        "sales_rep": _str(rep),
        "note": _str(note),
    })


def _invoices(rng, d0, horizon, o_cust, o_day, value, company, z_pay, width_c):
    inv = np.flatnonzero(company[o_cust] | (rng.random(len(o_cust)) < 0.05))
    m = len(inv)
    c = o_cust[inv]
    issued = o_day[inv]
    due = issued + 30
    late = rng.random(m) < special.expit(-2.2 + 1.2 * z_pay[c])
    paid = np.where(late, due + 1 + np.floor(rng.gamma(1.5, 20.0, m)),
                    issued + np.floor(rng.random(m) * 31))
    paid = np.where(paid <= horizon, paid, np.nan)
    return pd.DataFrame({
        "invoice_id": _str(_ids("IN", np.arange(1, m + 1), max(6, len(str(m))))),
        "customer_id": _str(_ids("C", c + 1, width_c)),
        "issued_on": _dates(d0, issued),
        "due_on": _dates(d0, due),
        "amount": value[inv],
        "paid_on": _dates(d0, paid),
    })


def _targets(rng, d0, d1, o_cust, o_day, value, company, acq_day, potential, lam, nu,
             gp, region_idx, width_c):
    n = len(company)
    first_year = int(str(d0)[:4])
    last_year = int(str(d1)[:4])
    years = np.arange(first_year, last_year + 1)
    year_start = np.array([(np.datetime64(f"{y}-01-01") - d0).astype(int) for y in years])
    # customer yearly targets for companies acquired before the year: the expected yearly
    # sales of the process (rate * mean order value) with planning noise, in hundreds
    cy = np.repeat(np.arange(n), len(years))
    yi = np.tile(np.arange(len(years)), n)
    ok = company[cy] & ~potential[cy] & (acq_day[cy] < year_start[yi])
    cy, yi = cy[ok], yi[ok]
    expected = lam[cy] * 365.25 * gp / nu[cy] * np.exp(rng.normal(0.0, 0.2, len(cy)))
    cust_part = pd.DataFrame({
        "customer_id": _str(_ids("C", cy + 1, width_c)),
        "region": _str(pa.nulls(len(cy), type=pa.string())),
        "period": _str(pc.cast(pa.array(years[yi]), pa.string())),
        "expected_sales": np.maximum(np.round(expected, -2), 100.0),
    })
    # region monthly targets: realised monthly sales with planning noise, in hundreds
    months = pd.period_range(str(d0)[:7], str(d1)[:7], freq="M")
    o_month = ((d0 + o_day.astype("timedelta64[D]")).astype("datetime64[M]")
               - np.datetime64(str(d0)[:7], "M")).astype(np.int64)
    n_reg = len(_REGIONS)
    key = region_idx[o_cust] * len(months) + o_month
    actual = np.bincount(key, weights=value, minlength=n_reg * len(months))
    plan = np.maximum(np.round(actual * np.exp(rng.normal(0.03, 0.1, len(actual))), -2), 100.0)
    ri = np.repeat(np.arange(n_reg), len(months))
    mi = np.tile(np.arange(len(months)), n_reg)
    reg_part = pd.DataFrame({
        "customer_id": _str(pa.nulls(len(ri), type=pa.string())),
        "region": _str(_take([r_[0] for r_ in _REGIONS], ri)),
        "period": _str(_take([str(p_) for p_ in months], mi)),
        "expected_sales": plan,
    })
    return pd.concat([cust_part, reg_part], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Writing

_FORMATS = ("csv", "parquet")


def _integral_as_int(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns whose values are all whole numbers as nullable integers (``8`` not ``8.0``)."""
    ints = {}
    for col in df.columns:
        if df[col].dtype == np.float64:
            v = df[col].to_numpy()
            ok = v[~np.isnan(v)]
            if np.all(ok == np.round(ok)) and (len(ok) == 0 or np.abs(ok).max() < 2.0**53):
                ints[col] = df[col].astype("Int64")
    return df.assign(**ints) if ints else df


def write(tables: Mapping[str, pd.DataFrame], out: str | Path, format: str = "csv") -> list[Path]:
    """Write the tables (and ``TRUTH.json`` when ``tables`` has a ``truth``) into a folder.

    CSV files are UTF-8 with ``\\n`` line ends; floats are written as Python's shortest
    round-trip repr of the rounded values, dates as ``YYYY-MM-DD`` and datetimes as
    ``YYYY-MM-DD HH:MM:SS``, so the same tables give the same bytes.

    Parameters
    ----------
    tables : mapping
        Table name -> DataFrame, e.g. the result of :func:`generate`.
    out : str or Path
        The folder; created if missing. Existing files of the same names are replaced.
    format : {"csv", "parquet"}
        File format.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     names = sorted(p.name for p in write(generate(20, seed=3), folder))
    >>> names[:2]
    ['TRUTH.json', 'complaints.csv']
    """
    require_one_of("format", format, _FORMATS)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in tables.items():
        path = out / f"{name}.{format}"
        if format == "csv":
            _integral_as_int(df).to_csv(path, index=False, lineterminator="\n",
                                        encoding="utf-8")
        else:
            df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
        written.append(path)
    truth = getattr(tables, "truth", None)
    if truth is not None:
        path = out / "TRUTH.json"
        path.write_text(json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m crm_lib.sample --customers N --seed S --out DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m crm_lib.sample",
        description="Write the sample company: ten CRM tables and TRUTH.json.")
    parser.add_argument("--customers", type=int, default=3000, help="number of customers")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--start", default=DEFAULT_START, help="first day (YYYY-MM-DD)")
    parser.add_argument("--end", default=DEFAULT_END, help="last day (YYYY-MM-DD)")
    parser.add_argument("--format", default="csv", choices=_FORMATS, help="file format")
    args = parser.parse_args(argv)
    try:
        company = generate(args.customers, seed=args.seed, start=args.start, end=args.end)
        write(company, args.out, args.format)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = company.truth["rows"]
    print(f"wrote {len(rows)} tables and TRUTH.json to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
