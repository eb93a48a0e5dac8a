"""Strict reading of definition-file mappings, so a typo names its file and key."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class DefinitionError(ValueError):
    """A table definition is malformed; the message names the file and the key."""


_MISSING = object()


class Fields:
    """Pops typed keys from one mapping and complains about anything left over."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise DefinitionError(f"{where}: expected a table of keys, got {type(data).__name__}")
        self.where = where
        self._data = dict(data)

    def _take(self, key: str, kinds: tuple[type, ...], default: Any) -> Any:
        value = self._data.pop(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise DefinitionError(f"{self.where}: missing key '{key}'; add it (key = value)")
            return default
        # bool is an int in Python; a definition never means True when it says 1.
        if isinstance(value, bool) and bool not in kinds:
            raise DefinitionError(f"{self.where}.{key}: expected {_names(kinds)}, got a boolean; write it as {_names(kinds)}")
        if not isinstance(value, kinds):
            raise DefinitionError(f"{self.where}.{key}: expected {_names(kinds)}, got {value!r}; write it as {_names(kinds)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self._take(key, (str,), default)
        if isinstance(value, str) and not value.strip() and default is _MISSING:
            raise DefinitionError(f"{self.where}.{key}: must not be empty; fill it in")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        value = self._take(key, (int, float), default)
        # Through str so that 0.5 in a file means exactly one half.
        return value if value is None else Decimal(str(value))

    def integer(self, key: str, default: Any = _MISSING) -> Any:
        return self._take(key, (int,), default)

    def items(self, key: str, default: Any = _MISSING) -> list[Any]:
        value = self._take(key, (list,), default)
        return list(value)

    def mapping(self, key: str, default: Any = _MISSING) -> dict[str, Any]:
        value = self._take(key, (dict,), default)
        return dict(value)

    def choice(self, key: str, allowed: Mapping[str, Any] | tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise DefinitionError(
                f"{self.where}.{key}: unknown value '{value}', expected one of {', '.join(allowed)}"
            )
        return value

    def has(self, key: str) -> bool:
        return key in self._data

    def done(self) -> None:
        if self._data:
            raise DefinitionError(f"{self.where}: unknown key(s) {', '.join(sorted(self._data))}; correct the spelling or remove them")


def _names(kinds: tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", bool: "true/false", dict: "a table"}
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)
