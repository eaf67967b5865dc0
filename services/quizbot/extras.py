"""Optional parts of quizbot: packages a production install leaves out.

A production VM runs the bot, not the benchmarks or the embedded database, so
``matplotlib`` (``quizbot[bench]``) and ``pgserver`` (``quizbot[embedded]``)
are extras. Code that needs one imports it through :func:`import_extra`, which
turns a missing package into one line naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(RuntimeError):
    """An optional package is not installed; the message names the extra."""


def import_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming ``quizbot[extra]``."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.split(".")[0]:
            raise
        raise MissingExtra(
            f"{purpose} needs {exc.name}, which this install leaves out: "
            f"pip install 'quizbot[{extra}]'"
        ) from None
