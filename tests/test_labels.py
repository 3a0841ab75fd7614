import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import labels
from crm_lib._errors import DataError
from crm_lib.labels import CATALOGUE_LANGS, LANGS, catalogue, label, localize, read_catalogue

ROOT = Path(__file__).resolve().parents[1]


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_every_entry_has_both_languages_and_files_are_disjoint():
    cat = read_catalogue()  # strict: a key in two files fails here
    assert len(cat) > 100
    for key, texts in cat.items():
        assert set(texts) == set(CATALOGUE_LANGS), key
        assert all(texts[lang].strip() for lang in CATALOGUE_LANGS), key
    # Recount key by key from the raw files: the union has no silent overwrite.
    import yaml
    total = sum(len(yaml.safe_load(p.read_text(encoding="utf-8")) or {})
                for p in (ROOT / "crm_lib" / "catalogue").glob("*.yaml"))
    assert total == len(cat)


def test_label_known_and_unknown():
    assert label("gross_profit") == "Gross profit"
    assert label("gross_profit", "zh") == "毛利"
    assert label("more_rows", "en", n=3) == "… 3 more rows"
    assert label("no_such_key_xyz", "zh") == "no_such_key_xyz"
    assert "no_such_key_xyz" in labels.missing_keys()


def test_label_rejects_unknown_language():
    with pytest.raises(DataError, match=r"`lang` must be one of \['en', 'zh', 'zh\+en'\], got 'fr'"):
        label("gross_profit", "fr")


def test_duplicate_key_across_files(tmp_path):
    write(tmp_path, "a.yaml", 'sales: {en: "Sales", zh: "销售额"}\n')
    write(tmp_path, "b.yaml", 'sales: {en: "Revenue", zh: "收入"}\n')
    with pytest.raises(DataError, match=r"'sales' is defined in both a.yaml and b.yaml"):
        read_catalogue(tmp_path)


def test_duplicate_key_across_files_only_warns_at_run_time(tmp_path):
    from crm_lib._errors import DataWarning

    write(tmp_path, "a.yaml", 'sales: {en: "Sales", zh: "销售额"}\n')
    write(tmp_path, "b.yaml", 'sales: {en: "Revenue", zh: "收入"}\nx: {en: "X", zh: "甲"}\n')
    with pytest.warns(DataWarning, match=r"'sales' is defined in both a.yaml and b.yaml.*Using the text of a.yaml"):
        cat = read_catalogue(tmp_path, strict=False)
    assert cat["sales"]["en"] == "Sales" and cat["x"]["zh"] == "甲"


def test_duplicate_key_within_a_file(tmp_path):
    write(tmp_path, "a.yaml", 'x: {en: "X", zh: "甲"}\ny: {en: "Y", zh: "乙"}\nx: {en: "X2", zh: "甲2"}\n')
    with pytest.raises(DataError, match=r"'x' appears twice in a.yaml \(lines 1 and 3\)"):
        read_catalogue(tmp_path)


@pytest.mark.parametrize("text, match", [
    ('x: {en: "X"}\n', r"'x' in a.yaml must have a text for each of \['en', 'zh'\]"),
    ('x: "X"\n', r"'x' in a.yaml must have a text for each"),
    ('- a\n- b\n', r"a.yaml must map keys to texts, got list"),
    ('x: {en: "X", zh: [\n', r"a.yaml is not valid YAML"),
])
def test_bad_catalogue_files(tmp_path, text, match):
    write(tmp_path, "a.yaml", text)
    with pytest.raises(DataError, match=match):
        read_catalogue(tmp_path)


def test_localize_columns_values_and_index():
    df = pd.DataFrame({"kind": ["company", "individual", "robot"], "sales": [1.0, 2.0, 3.0],
                       "name": ["company", "B", "C"]}).set_index(pd.Index(["b2b", "consumer", "x"],
                                                                           name="channel"))
    before = df.copy()
    out = localize(df, "zh")
    pd.testing.assert_frame_equal(df, before)  # input unchanged
    assert list(out.columns) == ["客户类型", "销售额", "名称"]
    assert out.index.name == "渠道"
    assert out.index.tolist() == ["企业对企业", "消费者", "x"]
    assert out["客户类型"].tolist() == ["企业客户", "个人客户", "robot"]  # unknown value kept
    assert out["名称"].tolist() == ["company", "B", "C"]  # free text never translated
    assert out["销售额"].tolist() == [1.0, 2.0, 3.0]


def test_localize_categorical_keeps_order_and_dtype():
    s = pd.Categorical(["individual", "company", "individual"], categories=["individual", "company"],
                       ordered=True)
    out = localize(pd.DataFrame({"kind": s}), "en")
    assert isinstance(out["Kind"].dtype, pd.CategoricalDtype)
    assert list(out["Kind"].cat.categories) == ["Individual", "Company"]
    assert out["Kind"].tolist() == ["Individual", "Company", "Individual"]


def test_localize_handles_missing_values_and_options():
    df = pd.DataFrame({"kind": ["company", None]})
    out = localize(df, "en", columns=False)
    assert list(out.columns) == ["kind"]
    assert out["kind"].iloc[0] == "Company" and pd.isna(out["kind"].iloc[1])
    assert localize(df, "en", values=False)["Kind"].iloc[0] == "company"


def test_localize_rejects_non_frame():
    with pytest.raises(DataError, match="`df` must be a pandas DataFrame, got list"):
        localize([1, 2], "en")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["company", "individual", "zzz", "b2b"]), min_size=1, max_size=20))
def test_localize_row_order_independent(values):
    df = pd.DataFrame({"kind": values, "i": range(len(values))})
    out = localize(df, "zh")
    rev = localize(df.iloc[::-1], "zh").iloc[::-1]
    pd.testing.assert_frame_equal(out, rev)
    assert len(out) == len(df)


def _literal_label_keys() -> set[str]:
    """Every literal first argument of label(...) and every literal title=... in crm_lib."""
    keys: set[str] = set()
    for path in (ROOT / "crm_lib").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "label" and node.args and isinstance(node.args[0], ast.Constant):
                keys.add(node.args[0].value)
            for kw in node.keywords:
                if kw.arg == "title" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    keys.add(kw.value.value)
    return keys


def _notebook_title_keys() -> set[str]:
    keys: set[str] = set()
    import nbformat
    for nb_path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                keys |= set(re.findall(r"""(?:title|label\()\s*=?\s*["']([A-Za-z0-9_]+)["']""", cell.source))
    return keys


def test_no_missing_catalogue_keys_in_code_and_notebooks():
    """Every literal key used by crm_lib and the notebooks is in the catalogue."""
    cat = catalogue()
    missing = sorted(k for k in _literal_label_keys() | _notebook_title_keys()
                     if isinstance(k, str) and k not in cat)
    assert missing == [], f"keys missing from crm_lib/catalogue/*.yaml: {missing}"


def test_schema_tables_and_columns_have_labels():
    from crm_lib import schema

    cols = set(schema.TABLES)
    for spec in schema.TABLES.values():
        cols |= set(spec.names)
    missing = sorted(c for c in cols if isinstance(c, str) and not labels.has_label(c)
                     and not c.startswith(("exp_", "perc_", "imp_")))
    assert missing == [], f"data-model tables and columns without a catalogue entry: {missing}"
    values = set(schema.KINDS) | set(schema.CHANNELS) | set(schema.INTERACTION_TYPES)
    assert sorted(v for v in values if not labels.has_label(v)) == []


# ------------------------------------------------------------------ languages, formats, colours

ABBREVIATIONS = {"NPS", "CSAT", "RFM", "VIP", "ABC", "CSV", "R", "F", "M"}


def test_every_catalogue_key_is_translated_into_chinese():
    """A Chinese text is Chinese: it has Chinese characters, and no English word other than the
    course's abbreviations (an entry copied from English fails here)."""
    untranslated = {}
    for key, texts in catalogue().items():
        zh = re.sub(r"\{[^}]*\}", "", texts["zh"])
        words = set(re.findall(r"[A-Za-z]{2,}", zh)) - ABBREVIATIONS
        if words or not (re.search(r"[\u4e00-\u9fff]", zh) or zh.strip() in ABBREVIATIONS | {"、"}):
            untranslated[key] = texts["zh"]
    assert untranslated == {}


def test_sample_category_values_are_all_in_the_catalogue():
    import crm_lib as crm

    ds = crm.load_dataset(ROOT / "data" / "sample")
    cols = {"customers": ["kind", "region", "industry", "channel", "size", "income_band", "gender"],
            "products": ["category"], "complaints": ["category", "channel", "severity"],
            "lost_customers": ["reason"], "interactions": ["type"]}
    missing = {}
    for table, names in cols.items():
        df = getattr(ds, table)
        for col in names:
            shown = localize(df[[col]].drop_duplicates(), "zh", columns=False)[col]
            left = sorted(v for v in shown.dropna() if re.search(r"[A-Za-z]{2,}", str(v)))
            if left:
                missing[f"{table}.{col}"] = left
    assert missing == {}


def test_column_specific_value_keys():
    df = pd.DataFrame({"size": ["small"], "tier": ["small"]})
    out = localize(df, "zh", columns=False)
    assert out.iloc[0].tolist() == ["小型", "小客户"]  # company size is not the customer tier


def test_bilingual_edition():
    assert label("gross_profit", "zh+en") == "毛利（Gross profit）"
    assert label("rfm_r_range", "zh+en") == "R"  # the same in both: shown once
    assert label("more_rows", "zh+en", n=3) == "…… 另有 3 行（… 3 more rows）"
    df = pd.DataFrame({"kind": ["company"]})
    assert localize(df, "zh+en").columns[0] == "客户类型（Kind）"
    assert localize(df, "zh+en").iloc[0, 0] == "企业客户（Company）"


@pytest.mark.parametrize("name, values, kind", [
    ("customers", [1586.0, 12.0], "integer"),  # a count read back as float: no decimals
    ("years", [5.0, 3.0], "integer"),
    ("orders", [3, 4], "integer"),
    ("sales_share", [0.52, 0.48], "percent"),
    ("gross_margin", [0.3], "percent"),
    ("churn_rate", [0.1], "percent"),
    ("sales", [1.0], "currency"),
    ("net_profit", [-3.0], "currency"),
    ("frequency", [1.5], "number"),
    ("region", ["East"], "text"),
])
def test_column_kind(name, values, kind):
    assert labels.column_kind(name, pd.Series(values)) == kind


def test_column_kind_dates_and_flags():
    months = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01"]))
    assert labels.column_kind("period", months) == "month"
    assert labels.column_kind("acquired_on", months) == "date"
    assert labels.column_kind("opened_at", pd.Series(pd.to_datetime(["2026-01-01 10:30"]))) \
        == "datetime"
    assert labels.column_kind("met", pd.Series([True, False])) == "flag"


def test_format_values_by_kind():
    fv = labels.format_values
    assert fv(pd.Series([1586.0, np.nan]), name="customers").tolist() == ["1,586", ""]
    # shares: exact whole percentages without decimals, else one decimal (0.476176 -> 47.6%)
    assert fv(pd.Series([0.52, 0.48]), "percent").tolist() == ["52%", "48%"]
    assert fv(pd.Series([0.476176]), "percent").tolist() == ["47.6%"]
    # amounts: the currency; no cents when the amounts are in the hundreds and more
    assert fv(pd.Series([1234567.4, -2500.0]), "currency").tolist() == ["¥1,234,567", "-¥2,500"]
    assert fv(pd.Series([12.5]), "currency", currency="USD").tolist() == ["$12.50"]
    assert fv(pd.Series([3.0]), "currency", currency="").tolist() == ["3.00"]
    # numbers: decimals by size (thousands: none; hundreds: one; below: two)
    assert fv(pd.Series([1234.5678]), "number").tolist() == ["1,235"]
    assert fv(pd.Series([123.45678]), "number").tolist() == ["123.5"]
    assert fv(pd.Series([0.12345]), "number").tolist() == ["0.12"]
    assert fv(pd.Series([True, False]), "flag").tolist() == ["✓", ""]
    d = pd.Series(pd.to_datetime(["2026-10-31", None]))
    assert fv(d, "date", lang="en").tolist() == ["2026-10-31", ""]
    assert fv(d, "date", lang="zh").tolist() == ["2026年10月31日", ""]
    assert fv(d, "month", lang="zh+en").tolist() == ["2026年10月", ""]
    assert fv(pd.Series(["personal_care", "not a key"]), "text", lang="zh").tolist() == \
        ["个人护理", "not a key"]
    with pytest.raises(DataError, match=r"`kind` must be one of \['text', 'integer'"):
        fv(pd.Series([1]), "money")
    for kind in labels.KINDS:  # an empty column (a card's empty section) gives an empty column
        assert fv(pd.Series([], dtype=float), kind).tolist() == []


def test_date_axis_formats_have_no_month_names():
    assert labels.date_tickformat("zh") == "%Y年%-m月"
    assert labels.date_tickformat("zh+en") == "%Y年%-m月"
    for lang in LANGS:
        for kind in ("month", "date"):
            assert not re.search(r"%[bBaA]", labels.date_tickformat(lang, kind=kind))


def test_one_colour_per_key_and_warning_colours():
    assert labels.color_for("lost") == labels.color_for("churned") == "#c0392b"
    assert labels.color_for("at_risk") == labels.color_for("rfm_at_risk") == "#e69f00"
    greens = {"#3a9d5d", "#1f6f43", "#6cc1a0"}
    assert labels.color_for("lost") not in greens and labels.color_for("rfm_lost") not in greens
    # a key outside the table keeps one colour, never a warning colour
    for key in ("Atlantis", "R07", "some_group"):
        assert labels.color_for(key) == labels.color_for(key)
        assert labels.color_for(key) not in labels.WARNING_COLORS.values()
    # tiers are a blue scale, best darkest (luminance rises VIP -> small)
    def luminance(hex_):
        r, g, b = (int(hex_[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    tiers = [labels.color_for(t) for t in ("VIP", "major", "ordinary", "small")]
    assert [luminance(c) for c in tiers] == sorted(luminance(c) for c in tiers)
    assert labels.color_map(["lost", "VIP"], "en") == {"Lost": "#c0392b", "VIP": "#0b3c5d"}
