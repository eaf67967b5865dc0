"""Dependencies point one way: the domain imports nothing from the database, the web or Telegram.

import-linter (``make check``) enforces the whole layer contract in pyproject.toml;
this test states the domain's rule on its own so a violation names the file.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "services" / "quizbot" / "domain"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {}
    for path in sorted(DOMAIN.rglob("*.py")):
        foreign = {
            name
            for name in _imports(path)
            if name.split(".")[0] not in sys.stdlib_module_names
            and not name.startswith("quizbot.domain")
            and name != "__future__"
        }
        if foreign:
            offenders[path.name] = sorted(foreign)
    assert offenders == {}
    assert list(DOMAIN.rglob("*.py")), "the domain package has modules"
