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


class SkippedNote:
    """What a chart or table shows for a skipped result (:func:`crm_lib._notebook.skipped`): the
    reason as an italic note in the report language, plus a record of the skipped section that the
    batch reads from the executed notebook (mime type ``SKIPPED_MIME``; HTML export ignores it).

    Examples
    --------
    >>> note = SkippedNote({"reason": "note_missing_table", "table": "surveys"}, "en", "sat_nps_title")
    >>> note.text
    'The table “Surveys” is not in the data: this part is skipped.'
    """

    def __init__(self, reason: dict, lang: str, section: str | None = None, *, by: str | None = None) -> None:
        from crm_lib.labels import has_label
        from crm_lib.plots._common import _by_text

        details = {k: v for k, v in reason.items() if k != "reason"}
        filled = {k: label(v, lang) if isinstance(v, str) and has_label(v) else v for k, v in details.items()}
        self.reason = reason
        self.text = label(reason["reason"], lang, **filled)
        self.section = (label(section, lang, by=_by_text(by, lang))
                        if isinstance(section, str) and has_label(section) else "")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        import html

        from crm_lib._notebook import SKIPPED_MIME

        return {
            "text/plain": self.text,
            "text/markdown": f"*{self.text}*",
            "text/html": f'<p class="crm-skipped"><em>{html.escape(self.text)}</em></p>',
            SKIPPED_MIME: {"section": self.section, "note": self.text, **self.reason},
        }

    def __repr__(self) -> str:
        return self.text


class EmptyNote(SkippedNote):
    """What a chart or table shows for a computed result without rows (nobody to win back, a
    single group to compare): a note in the report language. Unlike a skipped result it leaves no
    record, so the report stays *ok*: the section was computed and found nothing.

    Examples
    --------
    >>> EmptyNote("en").text
    'Nothing to show for this part on the report day.'
    """

    def __init__(self, lang: str, section: str | None = None) -> None:
        super().__init__({"reason": "note_empty"}, lang, section)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from crm_lib._notebook import SKIPPED_MIME

        bundle = super()._repr_mimebundle_(include, exclude)
        del bundle[SKIPPED_MIME]
        bundle["text/html"] = bundle["text/html"].replace("crm-skipped", "crm-empty")
        return bundle


def skippable(func):
    """Wrap a chart or table function so that a skipped result among its arguments is drawn as
    its :class:`SkippedNote` (the one place where plots handle absent inputs). The section title
    is filled the way the chart fills it: ``{by}`` with the grouping column (``by=`` or ``x=``)."""
    import functools

    from crm_lib._notebook import skip_reason

    @functools.wraps(func)
    def inner(*args, **kwargs):
        for value in (*args, *kwargs.values()):
            reason = skip_reason(value)
            if reason is not None:
                title = kwargs.get("title")
                by = kwargs.get("by", kwargs.get("x"))
                return SkippedNote(reason, kwargs.get("lang", "en"), title if isinstance(title, str) else None,
                                   by=by if isinstance(by, str) else None)
        return func(*args, **kwargs)

    return inner
