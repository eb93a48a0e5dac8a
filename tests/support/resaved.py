"""What Excel and WPS do to a marked-up copy when a clerk saves it again, done by hand (no Excel or WPS at hand): the
cell formats renumbered, the inline texts moved into the shared strings, the sheets reordered, comments and their VML
rewritten, printer settings added to a results sheet; ``excel_like`` does them all. And the re-check of such a copy as
it was before ``write.unmark_resaved``, through openpyxl, to compare with."""

from __future__ import annotations

import posixpath
import re

import selfscore.write.unmark_resaved as resaved_module
from selfscore.checking import check, check_file
from selfscore.results.report import Report
from selfscore.tables.names import ADDED_SHEETS, FINDINGS_SHEET, MARKS_SHEET
from support.harness import member, members, rezip, zipped
from support.rich import sheet_part

_SS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _worksheets(data: bytes) -> list[str]:
    return [name for name in members(data) if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name)]


def styles_renumbered(data: bytes) -> bytes:
    """The cell formats in another order (the first, every cell's without an ``s``, stays first), every cell, row and
    column moved with them."""
    styles = member(data, "xl/styles.xml").decode()
    section = re.search(r"(<cellXfs\b[^>]*>)(.*?)(</cellXfs>)", styles, re.S)
    xfs = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", section.group(2), re.S)
    order = [0, *reversed(range(1, len(xfs)))]
    moved = {old: new for new, old in enumerate(order)}
    changed = {"xl/styles.xml": (styles[:section.start(2)] + "".join(xfs[old] for old in order)
                                 + styles[section.end(2):]).encode()}

    def renumber(match: re.Match) -> str:
        return f"{match.group(1)}{moved[int(match.group(2))]}{match.group(3)}"

    for part in _worksheets(data):
        xml = member(data, part).decode()
        xml = re.sub(r'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")', renumber, xml)
        changed[part] = re.sub(r'(<col\b[^>]*?\sstyle=")(\d+)(")', renumber, xml).encode()
    return rezip(data, changed)


def shared_strings(data: bytes) -> bytes:
    """Every text written inline (the results sheets, the record) moved into the shared strings, as Excel saves it."""
    parts = members(data)
    strings: list[str] = []
    if "xl/sharedStrings.xml" in parts:
        strings = re.findall(r"<si>(.*?)</si>", parts["xl/sharedStrings.xml"].decode(), re.S)

    def shared(match: re.Match) -> str:
        strings.append(match.group(3))
        return f'<c{match.group(1)}t="s"{match.group(2)}><v>{len(strings) - 1}</v></c>'

    for part in _worksheets(data):
        parts[part] = re.sub(r'<c\b([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', shared,
                             parts[part].decode(), flags=re.S).encode()
    if "xl/sharedStrings.xml" not in parts:
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(
            "</Relationships>", f'<Relationship Id="rIdSS" Type="{_SS_TYPE}" Target="sharedStrings.xml"/></Relationships>'
        ).encode()
        types = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = types.replace(
            "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SS_CT}"/></Types>').encode()
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si>{text}</si>" for text in strings) + "</sst>").encode()
    return zipped(parts)


def sheets_reordered(data: bytes) -> bytes:
    """The record first and the results sheets last, the sheet-scoped names and the active tab moved with them."""
    book = member(data, "xl/workbook.xml").decode()
    section = re.search(r"(<sheets>)(.*?)(</sheets>)", book, re.S)
    tags = re.findall(r"<sheet\b[^>]*/>", section.group(2))
    titles = [re.search(r'name="([^"]*)"', tag).group(1) for tag in tags]

    def rank(index: int) -> tuple[int, int]:
        return (0 if titles[index] == MARKS_SHEET else 2 if titles[index] in ADDED_SHEETS else 1, index)

    order = sorted(range(len(tags)), key=rank)
    moved = {old: new for new, old in enumerate(order)}
    book = book[:section.start(2)] + "".join(tags[old] for old in order) + book[section.end(2):]
    book = re.sub(r'(localSheetId=")(\d+)(")', lambda m: f"{m.group(1)}{moved[int(m.group(2))]}{m.group(3)}", book)
    book = re.sub(r'(activeTab=")(\d+)(")', lambda m: f"{m.group(1)}{moved[int(m.group(2))]}{m.group(3)}", book)
    return rezip(data, {"xl/workbook.xml": book.encode()})


def comments_rewritten(data: bytes) -> bytes:
    """Comments and their VML shapes as Excel writes them again: other shape ids and id blocks (the controls' shape ids
    with them), another author first, the comments in another order; and every XML part's declaration its own way
    (Excel writes every part again)."""
    changed = {name: body.replace(b' standalone="yes"?>', b"?>", 1) for name, body in members(data).items()
               if name.endswith((".xml", ".rels")) and b' standalone="yes"?>' in body[:100]}
    for name, body in members(data).items():
        body = changed.get(name, body)
        if name.endswith(".vml"):
            text = re.sub(r"_x0000_s(\d+)", lambda m: f"_x0000_s{int(m.group(1)) + 2048}", body.decode())
            changed[name] = re.sub(r'(<o:idmap\b[^>]*data=")([\d,]+)(")', lambda m: m.group(1) + ",".join(
                str(int(block) + 2) for block in m.group(2).split(",")) + m.group(3), text).encode()
        elif re.fullmatch(r"xl/worksheets/[^/]+\.xml", name) and b"<control " in body:  # the controls' shapes move too
            changed[name] = re.sub(rb'(<control\b[^>]*?\sshapeId=")(\d+)(")',
                                   lambda m: m.group(1) + str(int(m.group(2)) + 2048).encode() + m.group(3), body)
        elif re.fullmatch(r"xl/comments[^/]*\.xml", name):
            text = body.decode().replace("<authors>", "<authors><author>Excel 用户</author>", 1)
            text = re.sub(r'authorId="(\d+)"', lambda m: f'authorId="{int(m.group(1)) + 1}"', text)
            listed = re.search(r"<commentList>(.*)</commentList>", text, re.S)
            comments = re.findall(r"<comment\b.*?</comment>", listed.group(1), re.S)
            changed[name] = (text[:listed.start(1)] + "".join(reversed(comments)) + text[listed.end(1):]).encode()
    assert changed
    return rezip(data, changed)


def printer_settings_on_a_results_sheet(data: bytes) -> bytes:
    """What a program adds to the results sheets: printer settings (a part of their own) and a filter's name."""
    part = sheet_part(data, FINDINGS_SHEET)
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    book = member(data, "xl/workbook.xml").decode()
    tags = re.findall(r"<sheet\b[^>]*/>", book)
    index = next(i for i, tag in enumerate(tags) if f'name="{FINDINGS_SHEET}"' in tag)
    name = (f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"'{FINDINGS_SHEET}'!$A$1:$C$2</definedName>")
    book = book.replace("<definedNames>", "<definedNames>" + name, 1)
    types = member(data, "[Content_Types].xml").decode().replace(
        "</Types>", '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.'
                    'spreadsheetml.printerSettings"/></Types>')
    assert rels not in members(data)
    return rezip(data, {"xl/workbook.xml": book.encode(), "[Content_Types].xml": types.encode()},
                 add={rels: (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
                               b'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                               b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                               b'printerSettings" Target="../printerSettings/printerSettings1.bin"/></Relationships>'
                               ),
                        "xl/printerSettings/printerSettings1.bin": b"\0" * 64})


def excel_like(data: bytes) -> bytes:
    return printer_settings_on_a_results_sheet(
        comments_rewritten(sheets_reordered(shared_strings(styles_renumbered(data)))))


def through_openpyxl(data: bytes, monkeypatch, name: str = "x.checked.xlsx") -> tuple[Report, bytes]:
    """The re-check as it was before: the marks removed through openpyxl, the copy written by openpyxl."""
    with monkeypatch.context() as patched:
        patched.setattr(resaved_module, "unmark_resaved", lambda *_args, **_kwargs: None)
        assert check(data, name=name).original is None
        return check_file(data, name=name)


def without_lost_content(report: Report) -> dict:
    """The report without what openpyxl's copy says it lost (the in-place copy loses nothing)."""
    lost = {finding.message for finding in report.findings if finding.code == "content_not_preserved"}
    report.findings = [finding for finding in report.findings if finding.code != "content_not_preserved"]
    report.notes = [note for note in report.notes if note not in lost]
    return report.to_dict()
