"""Validation of Bot API calls against the vendored spec (``spec/api.min.json``).

The spec lists, for every method and type, its fields with their types
("Integer", "Array of InlineKeyboardButton", unions such as
["Integer", "String"]) and whether they are required. Checkers are compiled
once per type; a call is then validated by walking only the keys it sent.

Values are coerced the way Telegram coerces them: form-encoded bodies (what
python-telegram-bot sends) carry every value as a string, with nested
objects JSON-encoded, so "123" is an Integer and '{"inline_keyboard": ...}'
an object. Unknown fields are dropped silently, like Telegram does.

Length ranges written in the spec's prose ("1-4096 characters", "1-64
bytes", "A JSON-serialized list of 1-12 answer options") are enforced too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from quizbot.sim.api import content, files
from quizbot.sim.api.protocol import METHOD_NOT_FOUND, ApiError

Checker = Callable[[Any, str], Any]

_RANGE = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b")
_LIST_RANGE = re.compile(r"\blist of (\d+)-(\d+)\b")
_INT = re.compile(r"-?\d+")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}


class _Mismatch(ApiError):
    """The value has the wrong shape for this type (tried next in a union)."""


@dataclass(frozen=True, slots=True)
class Range:
    """A length limit the spec states in prose, checked after coercion."""

    field: str
    low: int
    high: int
    unit: str  # "characters", "bytes" or "items"
    parsed: bool  # counted "after entities parsing"


@dataclass(frozen=True, slots=True)
class Method:
    """One Bot API method as the simulator knows it."""

    name: str
    returns: tuple[str, ...]
    fields: Mapping[str, Checker]
    required: tuple[str, ...]
    ranges: tuple[Range, ...]


class Schema:
    """The compiled spec: method lookup (case-insensitive) and validation."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self._types: Mapping[str, Any] = raw["types"]
        self._checkers: dict[str, Checker] = {}
        self.methods: dict[str, Method] = {}
        for name, method in raw["methods"].items():
            fields = method.get("fields", [])
            self.methods[name.lower()] = Method(
                name=name,
                returns=tuple(method.get("returns", [])),
                fields={f["name"]: self._union(f["types"]) for f in fields},
                required=tuple(f["name"] for f in fields if f["required"]),
                ranges=_ranges(fields),
            )

    def method(self, name: str) -> Method:
        """The method called ``name`` (any case), or Telegram's 404."""
        found = self.methods.get(name.lower())
        if found is None:
            raise ApiError(404, METHOD_NOT_FOUND)
        return found

    def validate(self, method: Method, params: Mapping[str, Any]) -> dict[str, Any]:
        """Coerce and check ``params`` for ``method``; raise a Telegram-shaped 400."""
        out: dict[str, Any] = {}
        fields = method.fields
        for key, value in params.items():
            check = fields.get(key)
            if check is not None:
                out[key] = _plain(check, value, key)
        for name in method.required:
            if name not in out:
                raise ApiError(400, content.missing_description(method.name, name))
        _check_ranges(method.name, method.ranges, out, "")
        content.check_method(method.name, out)
        return out

    # -- compiling -----------------------------------------------------------

    def _union(self, types: list[str]) -> Checker:
        if len(types) == 1:
            return self._type(types[0])
        return _first_fit([self._type(t) for t in types])

    def _type(self, name: str) -> Checker:
        if name.startswith("Array of "):
            return _array(self._type(name.removeprefix("Array of ")))
        if name in _PRIMITIVES:
            return _PRIMITIVES[name]
        # Resolved lazily: types refer to each other (and to themselves).
        return lambda value, path: self._object(name)(value, path)

    def _object(self, name: str) -> Checker:
        check = self._checkers.get(name)
        if check is None:
            spec = self._types[name]
            if "subtypes" in spec:
                check = _first_fit([self._type(t) for t in spec["subtypes"]])
            elif name == "InputFile":
                check = _input_file
            else:
                fields = spec.get("fields", [])
                check = _object(
                    name,
                    {f["name"]: self._union(f["types"]) for f in fields},
                    tuple(f["name"] for f in fields if f["required"]),
                    _ranges(fields),
                )
            self._checkers[name] = check
        return check


@cache
def load_schema() -> Schema:
    """The schema of the vendored Bot API spec (loaded once per process)."""
    text = resources.files("quizbot.sim.api").joinpath("spec/api.min.json").read_text("utf-8")
    return Schema(json.loads(text))


def _plain(check: Checker, value: Any, path: str) -> Any:
    # A shape mismatch at the top of a field is an ordinary 400 for the caller.
    try:
        return check(value, path)
    except _Mismatch as exc:
        raise ApiError(exc.code, exc.description) from None


def _decoded(value: Any) -> Any:
    # Form-encoded calls carry arrays and objects as JSON text.
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _wrong(path: str, kind: str) -> _Mismatch:
    return _Mismatch(400, f'Bad Request: field "{path}" must be of type {kind}')


def _integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    raise _wrong(path, "Integer")


def _float(value: Any, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _wrong(path, "Float")


def _string(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    raise _wrong(path, "String")


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _BOOLS:
        return _BOOLS[value.lower()]
    raise _wrong(path, "Boolean")


def _input_file(value: Any, path: str) -> Any:
    # A file_id, a URL, "attach://<part>", or an uploaded multipart part.
    if isinstance(value, str | files.FilePart):
        return value
    raise _wrong(path, "InputFile")


_PRIMITIVES: dict[str, Checker] = {
    "Integer": _integer,
    "Float": _float,
    "String": _string,
    "Boolean": _boolean,
    "True": _boolean,
}


def _array(item: Checker) -> Checker:
    def check(value: Any, path: str) -> list[Any]:
        value = _decoded(value)
        if not isinstance(value, list):
            raise _wrong(path, "Array")
        return [_plain(item, v, f"{path}[{i}]") for i, v in enumerate(value)]

    return check


def _object(
    name: str, fields: Mapping[str, Checker], required: tuple[str, ...], ranges: tuple[Range, ...]
) -> Checker:
    def check(value: Any, path: str) -> dict[str, Any]:
        value = _decoded(value)
        if not isinstance(value, dict):
            raise _wrong(path, name)
        missing = [r for r in required if r not in value]
        if missing:
            raise _Mismatch(400, f'Bad Request: field "{path}.{missing[0]}" is required')
        out = {k: _plain(fields[k], v, f"{path}.{k}") for k, v in value.items() if k in fields}
        _check_ranges(name, ranges, out, path)
        content.check_object(name, out, path)
        return out

    return check


def _first_fit(options: list[Checker]) -> Checker:
    """A union: the first option whose shape fits; a deeper error wins over a misfit."""

    def check(value: Any, path: str) -> Any:
        misfit: ApiError | None = None
        for option in options:
            try:
                return option(value, path)
            except _Mismatch as exc:
                misfit = misfit or exc
        assert misfit is not None
        raise misfit

    return check


def _ranges(fields: list[Mapping[str, Any]]) -> tuple[Range, ...]:
    found = []
    for f in fields:
        desc: str = f.get("description", "")
        if f["types"] == ["String"] and (m := _RANGE.search(desc)):
            found.append(Range(f["name"], int(m[1]), int(m[2]), m[3], "after entit" in desc))
        elif f["types"][0].startswith("Array of ") and (m := _LIST_RANGE.search(desc)):
            found.append(Range(f["name"], int(m[1]), int(m[2]), "items", False))
    return tuple(found)


def _check_ranges(owner: str, ranges: tuple[Range, ...], values: dict[str, Any], path: str) -> None:
    for r in ranges:
        value = values.get(r.field)
        if value is None:
            continue
        if r.unit == "items":
            size = len(value)
        elif r.unit == "bytes":
            size = len(value.encode())
        else:
            mode = values.get(f"{r.field}_parse_mode", values.get("parse_mode"))
            size = content.visible_length(value, mode if r.parsed else None)
        # Telegram trims text, so whitespace alone counts as empty.
        empty = r.unit == "characters" and r.low > 0 and not value.strip()
        if empty or not r.low <= size <= r.high:
            where = f"{path}.{r.field}" if path else r.field
            raise ApiError(
                400, content.range_description(owner, r.field, where, r.low, r.high, r.unit, size)
            )
