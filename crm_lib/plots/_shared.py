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
