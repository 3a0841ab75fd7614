"""One function per chart: tidy frame in, plotly figure out, texts from the catalogue by ``lang``.

Generic charts live in ``_common.py``; each analysis domain adds its own ``_<domain>.py`` with an
``__all__``. This package re-exports the ``__all__`` of every ``_*.py`` module in it, so a new
domain file needs no change here. A name exported by two modules is an error.

Every exported function is wrapped once here (:func:`crm_lib.plots._shared.skippable`): given a
skipped result (an optional table absent, too short a history) it returns the reason as a note
instead of a chart, so notebooks need no guard of their own.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from crm_lib.plots._shared import skippable


def _collect() -> dict[str, object]:
    found: dict[str, object] = {}
    origin: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_") or info.name.startswith("__"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name in origin:
                raise ImportError(
                    f"crm_lib.plots: {name!r} is exported by both {origin[name]} and {info.name}; "
                    "rename one of them."
                )
            origin[name] = info.name
            obj = getattr(module, name)
            found[name] = skippable(obj) if inspect.isfunction(obj) else obj
    return found


_exported = _collect()
globals().update(_exported)
__all__ = sorted(_exported)
del _exported
