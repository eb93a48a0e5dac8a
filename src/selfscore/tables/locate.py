"""Where each key of a TOML definition file stands: its line, found by key path (``groups[0].indicators[2].parts[0]``).

``tomllib`` gives values, not positions; a mistake found in the values is named by its key path, and this
small scanner finds that path's line so the message can say 「第 184 行」. It follows the TOML a person
writes: ``[table]`` and ``[[array.of.tables]]`` headers, ``key = value`` lines (dotted keys too), inline
tables ``{ … }`` and arrays ``[ … ]`` across lines, strings of every quoting, and comments. A path it does
not know is looked up by its longest known prefix (the table or item that holds the key).
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_\-]+")


def key_lines(text: str) -> dict[str, int]:
    """Every key path in ``text`` with the line (from 1) where it is written."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}      # array-of-tables path → items so far
    table = ""                        # the current [table] path
    stack: list[list] = []            # open inline containers: ["array", path, index] or ["table", path]
    line, i, n = 1, 0, len(text)
    expect_key = True                 # at the start of a statement (top level) or after { or , in an inline table
    value_path = ""                   # the path of the value being read

    def join(base: str, key: str) -> str:
        return f"{base}.{key}" if base else key

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            if not stack:
                expect_key = True
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if not stack and expect_key and c == "[":
            double = text.startswith("[[", i)
            end = text.find("]", i)
            end = n if end < 0 else end
            name = text[i + (2 if double else 1):end].strip()
            resolved = ""
            segments = [segment.strip().strip('"\'') for segment in name.split(".")]
            for segment in segments[:-1]:
                resolved = join(resolved, segment)
                if resolved in counts:
                    resolved += f"[{counts[resolved] - 1}]"
            resolved = join(resolved, segments[-1])
            if double:
                counts[resolved] = counts.get(resolved, 0) + 1
                resolved += f"[{counts[resolved] - 1}]"
            table = resolved
            lines.setdefault(table, line)
            while i < n and text[i] != "\n":
                i += 1
            continue
        in_table = bool(stack) and stack[-1][0] == "table"
        if expect_key and (not stack or in_table):
            # a key, possibly dotted or quoted, up to '='
            end = text.find("=", i)
            if end < 0:
                break
            key = ".".join(part.strip().strip('"\'') for part in text[i:end].split("."))
            base = stack[-1][1] if in_table else table
            value_path = join(base, key)
            lines.setdefault(value_path, line)
            i = end + 1
            expect_key = False
            continue
        if c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\" and c == '"':
                    j += 1
                elif text[j] == "\n":
                    line += 1
                j += 1
            i = j + len(quote)
            continue
        if c == "[" or c == "{":
            if stack and stack[-1][0] == "array":
                value_path = f"{stack[-1][1]}[{stack[-1][2]}]"
                lines.setdefault(value_path, line)
            stack.append(["array", value_path, 0] if c == "[" else ["table", value_path])
            expect_key = c == "{"
            i += 1
            continue
        if c in "]}":
            if stack:
                stack.pop()
            i += 1
            continue
        if c == ",":
            if stack and stack[-1][0] == "array":
                stack[-1][2] += 1
            elif stack:
                expect_key = True
            i += 1
            continue
        i += 1
    return lines


_LAST = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of the nearest table or item holding it."""
    while path:
        if path in lines:
            return lines[path]
        inside = [line for key, line in lines.items() if key.startswith((f"{path}[", f"{path}."))]
        if inside:   # an array of tables ([[groups]]) has no line of its own: its first item's
            return min(inside)
        shorter = _LAST.sub("", path)
        if shorter == path:
            break
        path = shorter
    return lines.get(path) if path else None
