"""Small private pieces the domain chart modules share (nothing here is re-exported)."""

from __future__ import annotations

from crm_lib.labels import label
from crm_lib.plots._common import _text

__all__: list[str] = []


def _t(key: str, lang: str, **kw: object) -> str:
    """The catalogue text of ``key`` in ``lang``, escaped for plotly (never markup).

    Examples
    --------
    >>> _t("sales", "en")
    'Sales'
    """
    return _text(label(key, lang, **kw))


def _note(key: str, lang: str, **values: object):
    """An italic note for the reader (an IPython Markdown object) from the catalogue text of
    ``key``; a placeholder value that is text is translated too (a table name, a group).

    Examples
    --------
    >>> _note("churn_note_missing_table", "en", table="lost_customers").data
    '*The table “Lost customers” is not in the data: this part is skipped.*'
    """
    from IPython.display import Markdown

    filled = {k: label(v, lang) if isinstance(v, str) else v for k, v in values.items()}
    return Markdown(f"*{_t(key, lang, **filled)}*")
