"""A control request's JSON body, read field by field: a wrong field is a
:class:`ControlError` that names it (the HTTP layer answers 400 with it).
"""

from __future__ import annotations

from typing import Any


class ControlError(ValueError):
    """A malformed control request; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str, status: int = 400) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.status = status


class Body:
    """A control request's JSON object, read field by field with type checks."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ControlError("body", "must be a JSON object")
        self.data = data

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The field ``name`` when present (checked against ``kind``), else ``default``."""
        value = self.data.get(name, default)
        if value is None:
            return default
        # bool is an int in Python, never in a Telegram id or count.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise ControlError(name, f"must be {_kind_name(kind)}")
        return value

    def need(self, name: str, kind: type | tuple[type, ...]) -> Any:
        """The required field ``name``."""
        if self.data.get(name) is None:
            raise ControlError(name, "is required")
        return self.get(name, kind)

    def ids(self, name: str) -> list[int]:
        """A list of integer ids (empty when absent)."""
        values = self.get(name, list, [])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ControlError(name, "must be a list of integers")
        return list(values)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", str: "a string", list: "a list", bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
