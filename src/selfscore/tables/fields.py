"""Strict reading of definition-file mappings, so a typo names its file, key and fix (in Chinese)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class DefinitionError(ValueError):
    """A table definition is malformed: where (file and key path), what was found and the fix, in Chinese.

    Raised as ``DefinitionError(where, text)`` with ``where`` the file name and key path
    (``shantytown.toml.groups[0].indicators[2]``); once the loader knows the file's text it adds the line
    (``located``), and the message reads 「shantytown.toml 第 184 行 groups[0].indicators[2]：……」.
    """

    def __init__(self, where: str, text: str = "") -> None:
        super().__init__(where, text)
        self.where = where
        self.text = text
        self.file = ""
        self.key = ""
        self.line: int | None = None

    def located(self, file: str, line: int | None) -> DefinitionError:
        """The same mistake, naming the file, the line and the key path inside the file."""
        key = self.where
        if key == file or key.startswith(f"{file}.") or key.startswith(f"{file}["):
            key = key[len(file):].lstrip(".")
        self.file, self.key, self.line = file, key, line
        return self

    def __str__(self) -> str:
        if not self.file:
            return f"{self.where}：{self.text}" if self.text else self.where
        place = self.file + (f" 第 {self.line} 行" if self.line else "") + (f" {self.key}" if self.key else "")
        return f"{place}：{self.text}"


_MISSING = object()


class Fields:
    """Pops typed keys from one mapping and complains about anything left over."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise DefinitionError(where, f"应为一组「键 = 值」（表），实际是 {_found(data)}")
        self.where = where
        self._data = dict(data)

    def _take(self, key: str, kinds: tuple[type, ...], default: Any) -> Any:
        value = self._data.pop(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise DefinitionError(self.where, f"缺少键 {key}；请补上（{key} = …）")
            return default
        # bool is an int in Python; a definition never means True when it says 1.
        if isinstance(value, bool) and bool not in kinds:
            raise DefinitionError(f"{self.where}.{key}", f"应为{_names(kinds)}，实际是 true/false；请写成{_names(kinds)}")
        if not isinstance(value, kinds):
            raise DefinitionError(f"{self.where}.{key}", f"应为{_names(kinds)}，实际是 {value!r}；请写成{_names(kinds)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self._take(key, (str,), default)
        if isinstance(value, str) and not value.strip() and default is _MISSING:
            raise DefinitionError(f"{self.where}.{key}", "不能为空；请填写")
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
            raise DefinitionError(f"{self.where}.{key}", f"未知的值 '{value}'，可选：{', '.join(allowed)}")
        return value

    def has(self, key: str) -> bool:
        return key in self._data

    def done(self) -> None:
        if self._data:
            raise DefinitionError(self.where, f"未知的键 {', '.join(sorted(self._data))}；请改正拼写或删除")


def _names(kinds: tuple[type, ...]) -> str:
    names = {str: "文本（加英文引号）", int: "整数", float: "数字", list: "列表 [ … ]", bool: "true/false", dict: "表 { … }"}
    return "或".join(names.get(kind, kind.__name__) for kind in kinds)


def _found(data: Any) -> str:
    return {list: "列表", str: "文本", int: "整数", float: "数字", bool: "true/false"}.get(type(data), type(data).__name__)
