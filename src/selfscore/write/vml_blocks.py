"""Comment drawings (VML) that share shape ids, given blocks of their own in the marked-up copy.

Excel numbers the VML shapes of a workbook in blocks of 1024, one block or more per drawing part, each part naming
its blocks in ``<o:idmap data="…"/>`` (ISO/IEC 29500-1 §14.2.2.14): shape ``_x0000_s1025`` is the first of block 1.
Some writers give every part the same block and the same ids — ExcelJS writes each sheet's notes as block 1 from
``_x0000_s1025`` — and Excel offers to repair such a workbook as soon as two sheets hold notes; others number a
part's shapes past the block it names (SheetJS's second sheet names block 2 and holds ``_x0000_s2026``, in block 1).
The in-place writer (``write.inplace``) renumbers such a part into a block no other part uses before it adds its own
shapes; the marks record keeps the part as it was, so checking the copy again restores it byte for byte. The reading
and naming of a drawing's blocks (``idmap_blocks``, ``with_blocks``) is here for the writer's own shapes too.

Only a drawing of notes alone is renumbered: a form control's shape is named by its number in the sheet
(``<control shapeId="1025">``), so a drawing with any other shape is left as it is.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"<v:shape\b[^>]*>")
_SHAPE_ID = re.compile(r"_x0000_s(\d+)\b")
_IDMAP = re.compile(r"<o:idmap\b[^>]*?\sdata\s*=\s*\"([\d,\s]*)\"")
_BLOCK = 1024


def idmap_blocks(vml: str) -> set[int] | None:
    """The id blocks a VML drawing names in its ``o:idmap`` (None when it names none)."""
    found = _IDMAP.findall(vml)
    return {int(value) for data in found for value in re.findall(r"\d+", data)} if found else None


def with_blocks(vml: str, blocks: list[int]) -> str:
    """The VML drawing with ``blocks`` added to its first ``o:idmap``."""
    tag = _IDMAP.search(vml)
    listed = ",".join([tag.group(1).strip(), *map(str, blocks)])
    return vml[:tag.start(1)] + listed + vml[tag.end(1):]


def _blocks(vml: str) -> set[int]:
    return idmap_blocks(vml) or set()


def _shape_numbers(vml: str) -> list[int]:
    return [int(number) for tag in _SHAPE.findall(vml) for number in _SHAPE_ID.findall(tag)[:1]]


def _notes_only(vml: str) -> bool:
    shapes = _SHAPE.findall(vml)
    return bool(shapes) and len(shapes) == vml.count('ObjectType="Note"') and len(_IDMAP.findall(vml)) == 1


def separated(drawings: dict[str, str]) -> dict[str, str]:
    """The drawings (part name → VML text) that must change so that no two share a block or a shape id and every
    shape lies inside its drawing's blocks, each with its shapes renumbered into a block of its own. One that is not
    a drawing of notes alone (or holds a block's worth of shapes) is never changed, and keeps its numbers first; of
    the others, the first by name keeps its numbers."""
    seen_blocks: set[int] = set()
    seen_ids: set[int] = set()
    highest = max((block for vml in drawings.values() for block in _blocks(vml)), default=0)
    highest = max([highest, *(number // _BLOCK for vml in drawings.values() for number in _shape_numbers(vml))])
    changed = {}
    for name in sorted(drawings, key=lambda name: (_notes_only(drawings[name]), name)):  # those it cannot change first
        vml = drawings[name]
        blocks, numbers = _blocks(vml), _shape_numbers(vml)
        outside = any(number // _BLOCK not in blocks for number in numbers)  # SheetJS numbers past its own block
        if (blocks & seen_blocks or set(numbers) & seen_ids or outside) and _notes_only(vml) \
                and len(numbers) < _BLOCK - 1:
            highest += 1
            vml, numbers = _renumbered(vml, numbers, highest)
            changed[name] = vml
            blocks = {highest}
        seen_blocks |= blocks
        seen_ids |= set(numbers)
    return changed


def _renumbered(vml: str, numbers: list[int], block: int) -> tuple[str, list[int]]:
    """``vml`` with its shapes numbered from the first of ``block`` on, in their order, and that block in its idmap."""
    new = {old: block * _BLOCK + 1 + index for index, old in enumerate(numbers)}
    vml = _SHAPE_ID.sub(lambda match: f"_x0000_s{new.get(int(match.group(1)), int(match.group(1)))}", vml)
    tag = _IDMAP.search(vml)
    vml = vml[:tag.start(1)] + str(block) + vml[tag.end(1):]
    return vml, list(new.values())
