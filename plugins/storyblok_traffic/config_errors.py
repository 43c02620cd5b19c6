"""msgspec's validation errors in the configuration, told in the words of its settings.

msgspec says ``Expected `int` <= 31 - at `$.organisations[0].refetch_days```; a user wants
``organisation 'sb': refetch_days must be a whole number from 0 to 31, got 40``. The setting's bounds
come from its msgspec type, so a message can never disagree with the check that raised it. Imported
only when a configuration is invalid: the DAG files' parse never pays for it.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Any, Literal, get_args, get_origin, get_type_hints

from msgspec import inspect

_MESSAGE = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.S)
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
_THRESHOLDS = ("yearly_thresholds", "monthly_thresholds", "forecast_thresholds")
# Where a range alone would mislead: spike_factor also accepts 0 (off), which the range does not show.
_WORDS = {
    "spike_factor": "must be 0 (off) or a number above 1 and at most 1000",
    "spike_min_month_pct": "must be a percentage from 0 to 100",
}


class _Place:
    """Where an error is: the setting's name, its value, its msgspec type and the mapping that holds it."""

    def __init__(self, raw: Any, root: type) -> None:
        self.value: Any = raw
        self.type: Any = inspect.type_info(root)
        self.name = ""
        self.index: int | None = None
        self.scope = ""  # "organisation 'sb'" or "channel 'slack'"; "" at the top level
        self.owner: type | None = None  # the struct that declares the setting

    def step(self, name: str, index: str) -> None:
        if name:
            struct = _member(self.type, inspect.StructType)
            self.type = next(f.type for f in struct.fields if f.name == name)
            self.owner = struct.cls
            self.value = self.value.get(name) if isinstance(self.value, dict) else None
            # a setting inside a nested mapping by its whole path: plan_meters.requests.included
            self.name = f"{self.name}.{name}" if self.name and self.index is None else name
            self.index = None
            return
        item = _member(self.type, inspect.VarTupleType)
        self.type = item.item_type
        self.value = self.value[int(index)] if isinstance(self.value, list) else None
        self.index = int(index)
        if isinstance(self.type, inspect.StructType) and isinstance(self.value, dict):
            self.scope = _scope(self.name, int(index), self.value)


def explain(message: str, raw: Any, root: type) -> str:
    """``message`` (a msgspec ValidationError's text, raised while converting ``raw`` to ``root``) told plainly."""
    found = _MESSAGE.fullmatch(message)
    what, path = (found["what"], found["path"] or "") if found else (message, "")
    place = _Place(raw, root)
    try:
        for name, index in _STEP.findall(path):
            place.step(name, index)
    except (StopIteration, IndexError, KeyError, TypeError):
        return message  # a path we cannot follow: msgspec's own words are still right
    text = _told(what, place)
    return f"{text} (in {place.scope})" if place.scope and place.scope not in text else text


def _told(what: str, place: _Place) -> str:
    if what.startswith("Object contains unknown field"):
        where = place.scope or "configuration"
        if place.scope and place.index is None:  # inside a nested mapping of the organisation or channel
            where = f"{where}, {place.name}"
        return f"{where}: {_unknown(_quoted(what), place)}"
    if what.startswith("Object missing required field"):
        return f"{place.scope}: missing {_quoted(what)}"
    if not (what.startswith("Expected") or what.startswith("Invalid")):
        return what  # raised by a __post_init__: already in the settings' words
    if "Expected `object`" in what or "Expected `object | null`" in what:
        null = " (or null)" if "null" in what else ""
        return f"{_each(place)} must be a mapping{null}, got {place.value!r}"
    if place.index is not None and place.name in _THRESHOLDS:
        if "Expected `float`, got" in what:
            return f"{place.name} holds {place.value!r}, which is not a number"
        return f"{place.name} holds {place.value}, outside 0 < percent <= 1000"
    return _wrong_value(what, place)


# Settings renamed before the first release: the new name, told instead of a guess.
RENAMED = {"metric": "limit_meter"}


def _unknown(name: str, place: _Place) -> str:
    """An unknown setting: its new name, or the known one nearest in spelling (a typo), else every known
    one of the struct."""
    known = sorted(f.name for f in _member(place.type, inspect.StructType).fields)
    if RENAMED.get(name) in known:
        return f"unknown setting {name}: it is called {RENAMED[name]} now"
    nearest = get_close_matches(name, known, n=1)
    if nearest:
        return f"unknown setting {name}: did you mean {nearest[0]}?"
    return f"unknown setting {name}; known: {', '.join(known)}"


def _wrong_value(what: str, place: _Place) -> str:
    name, value, kind = place.name or "the configuration", place.value, _optional(place.type)
    if name in _WORDS:
        return f"{name} {_WORDS[name]}, got {value!r}"
    if name in _THRESHOLDS:
        return f"{name} must be a list of percents ([] turns it off)"
    if isinstance(kind, inspect.IntType):
        return f"{name} must be a whole number from {kind.ge} to {kind.le}, got {value!r}"
    if isinstance(kind, inspect.BoolType):
        return f"{name} {value!r} must be true or false"
    if isinstance(kind, inspect.LiteralType):
        return f"{name} {value!r} is not one of {', '.join(map(str, _choices(place, kind)))}"
    if isinstance(kind, inspect.DateType):
        return f"{name} {value!r} is not YYYY-MM-DD"
    if isinstance(kind, inspect.DateTimeType):
        return f"{name} {str(value)!r} must be a time with its zone, such as 2026-12-24T18:00:00Z"
    if isinstance(kind, inspect.StrType):
        return f"{name} must be text, got {value!r}"
    if _member(kind, inspect.VarTupleType, None) is not None:
        if isinstance(value, list):  # the list's length is what is wrong
            return f"{name} must list at least one {name.rstrip('s')}"
        return f"{name} must be a list, got {value!r}"
    return f"{name}: {what[0].lower()}{what[1:]}"


def _optional(kind: Any) -> Any:
    """The type of an optional setting (``X | None``): what a wrong value should have been."""
    if isinstance(kind, inspect.UnionType):
        others = [t for t in kind.types if not isinstance(t, inspect.NoneType)]
        if len(others) == 1:
            return others[0]
    return kind


def _member(kind: Any, wanted: type, default: Any = ...) -> Any:
    """``kind`` itself, or its member of the ``wanted`` type when it is a union (``X | None``)."""
    if isinstance(kind, wanted):
        return kind
    for member in getattr(kind, "types", ()):
        if isinstance(member, wanted):
            return member
    if default is ...:
        raise TypeError(f"{kind!r} is not {wanted.__name__}")
    return default


def _choices(place: _Place, kind: inspect.LiteralType) -> tuple[Any, ...]:
    """The literal's values in the order the setting declares them (msgspec sorts them)."""
    hint = get_type_hints(place.owner).get(place.name.rsplit(".", 1)[-1]) if place.owner else None
    for option in (hint, *get_args(hint)):  # the literal itself, or the literal of ``Literal[...] | None``
        if get_origin(option) is Literal:
            return get_args(option)
    return kind.values


# What each list of the configuration holds, and the setting that names an item (routes, silences: none).
_ITEMS = {
    "channels": ("channel", "name"),
    "routes": ("route", ""),
    "silences": ("silence", ""),
    "organisations": ("organisation", "conn_id"),
}


def _scope(listed_in: str, index: int, item: dict[str, Any]) -> str:
    """The item by its name, else by its place in the list (1 for the first)."""
    noun, key = _ITEMS.get(listed_in, _ITEMS["organisations"])
    return f"{noun} {item[key]!r}" if isinstance(item.get(key), str) else f"{noun} {index + 1}"


def _each(place: _Place) -> str:
    each = {"organisations": "each organisation", "channels": "each channel", "routes": "each route"}
    return {**each, "silences": "each silence"}.get(place.name, place.name or "the configuration")


def _quoted(what: str) -> str:
    return what.split("`")[1] if what.count("`") >= 2 else what
