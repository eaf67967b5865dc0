"""Render the repo's ``config/`` templates exactly as the local stack does.

``config/*.conf`` and ``config/pgbouncer.ini`` use Python ``string.Template``
placeholders (``${name}``, ``$$`` for a literal dollar), and
``quizbot.stack.render.render_file`` fills them with ``substitute``. This
filter applies the same function, so the VM and ``make demo`` cannot read the
same file differently (Jinja with ``${`` markers would choke on ``$$`` and
leave ``$$`` unescaped). A missing value is an error, as locally.

    content: "{{ lookup('ansible.builtin.file', path, rstrip=false) | config_template(values) }}"
"""

from __future__ import annotations

import string
from typing import Any

from ansible.errors import AnsibleFilterError


def config_template(text: str, values: dict[str, Any]) -> str:
    """``text`` with every ``${name}`` replaced by ``values[name]``."""
    try:
        return string.Template(str(text)).substitute({k: str(v) for k, v in values.items()})
    except KeyError as exc:
        raise AnsibleFilterError(f"config template needs a value for {exc}") from exc
    except ValueError as exc:
        raise AnsibleFilterError(f"config template is malformed: {exc}") from exc


class FilterModule:
    """Ansible's entry point for the filters of this file."""

    def filters(self) -> dict[str, Any]:
        return {"config_template": config_template}
