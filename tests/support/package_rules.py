"""Excel's rules for a package's parts, asserted over a marked-up copy: what makes Excel offer a repair when broken.

Unique style ids in range, comment authors, VML shape ids and id blocks, relationship ids and targets, sheet names and
ids, sheet-scoped names in range, and a content type for each part.
"""

from __future__ import annotations

import posixpath
import re

from defusedxml import ElementTree

from support.harness import members

_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def assert_excels_rules(copy: bytes) -> None:
    """Unique style ids in range, comment authors, VML shape ids, relationship ids and a content type for each part."""
    parts = members(copy)
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").lower() for d in types if d.tag.endswith("Default")}
    overrides = [o.get("PartName") for o in types if o.tag.endswith("Override")]
    assert len(overrides) == len({name.lower() for name in overrides}), "a part named twice in the content types"
    for name in parts:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1].lower() in defaults, f"no content type: {name}"
    for name, body in parts.items():
        if not name.endswith(".rels"):
            continue
        rels = ElementTree.fromstring(body)
        ids = [rel.get("Id") for rel in rels]
        assert len(ids) == len(set(ids)), f"relationship ids repeat in {name}"
        base = posixpath.dirname(posixpath.dirname(name))
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            assert resolved in parts, f"{name} points at a missing part {resolved}"

    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    sheets = book.find(f"{_MAIN}sheets")
    assert len({s.get("name").lower() for s in sheets}) == len(sheets)
    assert len({s.get("sheetId") for s in sheets}) == len(sheets)
    for defined in book.iter(f"{_MAIN}definedName"):
        if defined.get("localSheetId") is not None:
            assert int(defined.get("localSheetId")) < len(sheets)

    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    counts = {}
    for section, child in (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf")):
        element = styles.find(f"{_MAIN}{section}")
        items = element.findall(f"{_MAIN}{child}")
        counts[section] = len(items)
        if element.get("count") is not None:
            assert int(element.get("count")) == len(items), f"{section} count"
    for xf in styles.find(f"{_MAIN}cellXfs"):
        for attribute, section in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            assert int(xf.get(attribute, 0)) < counts[section]
    shape_ids: list[str] = []
    blocks: list[str] = []
    for name, body in parts.items():
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            for style in re.findall(rb'<c\b[^>]*?\ss="(\d+)"', body):
                assert int(style) < counts["cellXfs"], f"a cell's format past the end in {name}"
        if name.lower().endswith(".vml"):
            text = body.decode("utf-8", "replace")
            shape_ids += re.findall(r'<v:shape\b[^>]*?\sid="([^"]+)"', text)
            blocks += re.findall(r'<o:idmap\b[^>]*?\sdata="([^"]+)"', text)
        if re.fullmatch(r"xl/comments[^/]*\.xml", name):
            comments = ElementTree.fromstring(body)
            authors = comments.find(f"{_MAIN}authors")
            names = [author.text for author in authors]
            assert len(names) == len(set(names)), f"an author twice in {name}"
            refs = []
            for comment in comments.iter(f"{_MAIN}comment"):
                assert int(comment.get("authorId")) < len(authors)
                refs.append(comment.get("ref"))
            assert len(refs) == len(set(refs)), f"two comments on one cell in {name}"
    assert len(shape_ids) == len(set(shape_ids)), "VML shape ids repeat"
    assert len(blocks) == len(set(blocks)), "VML id blocks repeat"
