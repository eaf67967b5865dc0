"""Where quizbot's own files are: the config templates and the shipped samples."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def config_dir() -> Path:
    """The ``config/`` folder: ``QUIZBOT_CONFIG_DIR``, the checkout's, or the installed copy."""
    explicit = os.environ.get("QUIZBOT_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    checkout = _PACKAGE.parent.parent / "config"
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "config"
