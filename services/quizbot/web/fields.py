"""Typed readers for the untrusted JSON of an update: the boundary before any SQL.

A webhook body is client input. Telegram sends well-formed updates, but anyone
with the secret (or a bug upstream) can send ``"callback_query": "x"``, a user
id of 2**64, a float, a bool or a NUL character, and each of those would fail
deep in PostgreSQL, taking a whole group-commit batch with it. Every field the
bot acts on is read through these helpers, which return plain, well-typed
values: integers within PostgreSQL's bigint, identifiers without NUL and of
bounded length, display text with NULs stripped and cut to a bound. Anything
else raises :class:`FieldError`, which names the field and what was wrong,
never the value (values are users' data and do not belong in logs).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1


class FieldError(ValueError):
    """A field is missing or has a value the bot can never act on."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def obj(raw: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """A JSON object field that must be there."""
    value = raw.get(key)
    if type(value) is not dict:
        raise FieldError(f"{path}.{key}", "missing" if value is None else "not an object")
    return value


def opt_obj(raw: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    """A JSON object field that may be absent or null."""
    value = raw.get(key)
    if value is None:
        return None
    if type(value) is not dict:
        raise FieldError(f"{path}.{key}", "not an object")
    return value


def bigint(raw: dict[str, Any], key: str, path: str, *, low: int = BIGINT_MIN) -> int:
    """An integer field within ``low``..bigint max (not a bool, float or string)."""
    value = raw.get(key)
    if type(value) is not int:
        raise FieldError(f"{path}.{key}", "missing" if value is None else "not an integer")
    if not low <= value <= BIGINT_MAX:
        raise FieldError(f"{path}.{key}", "out of range")
    return value


def opt_bigint(raw: dict[str, Any], key: str, path: str) -> int | None:
    """An integer field that may be absent or null."""
    return None if raw.get(key) is None else bigint(raw, key, path)


def ident(
    raw: dict[str, Any], key: str, path: str, max_len: int, allowed: Collection[str] = ()
) -> str:
    """A string the bot stores or matches as is: no NUL, at most ``max_len`` characters.

    With ``allowed``, the value must be one of them (chat types, member statuses).
    """
    value = raw.get(key)
    if type(value) is not str:
        raise FieldError(f"{path}.{key}", "missing" if value is None else "not a string")
    if "\x00" in value or len(value) > max_len or (allowed and value not in allowed):
        raise FieldError(f"{path}.{key}", "not an acceptable value")
    return value


def opt_ident(
    raw: dict[str, Any], key: str, path: str, max_len: int, allowed: Collection[str] = ()
) -> str | None:
    """An identifier field that may be absent or null."""
    return None if raw.get(key) is None else ident(raw, key, path, max_len, allowed)


def text(raw: dict[str, Any], key: str, path: str, max_len: int, default: str = "") -> str:
    """Display text (names, titles, messages): NULs stripped, cut to ``max_len`` characters.

    PostgreSQL text cannot hold NUL; a name is still worth keeping without it.
    """
    value = raw.get(key)
    if value is None:
        return default
    if type(value) is not str:
        raise FieldError(f"{path}.{key}", "not a string")
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:max_len]


def opt_text(raw: dict[str, Any], key: str, path: str, max_len: int) -> str | None:
    """Display text that may be absent or null."""
    return None if raw.get(key) is None else text(raw, key, path, max_len)


def opt_str(raw: dict[str, Any], key: str, path: str) -> str | None:
    """A string field kept exactly as sent (callback data: decoded strictly later)."""
    value = raw.get(key)
    if value is not None and type(value) is not str:
        raise FieldError(f"{path}.{key}", "not a string")
    return value


def int_list(raw: dict[str, Any], key: str, path: str, low: int, high: int) -> tuple[int, ...]:
    """A list of integers, each in ``low``..``high - 1`` (poll option indexes)."""
    values = raw.get(key)
    if type(values) is not list:
        raise FieldError(f"{path}.{key}", "missing" if values is None else "not a list")
    if len(values) > high - low or any(type(v) is not int or not low <= v < high for v in values):
        raise FieldError(f"{path}.{key}", "not a list of option indexes")
    return tuple(values)
