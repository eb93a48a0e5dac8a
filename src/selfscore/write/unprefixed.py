"""A package whose SpreadsheetML parts bind the main namespace to a prefix, written with it as the default namespace.

The .NET Open XML SDK (and the government systems' exports built on it, ClosedXML…) writes ``<x:worksheet
xmlns:x="…/spreadsheetml/2006/main"><x:sheetData><x:row>…``: the same XML as Excel's ``<worksheet xmlns="…">``,
with a prefix on every element. The in-place writer (``write.inplace``) edits parts by their unprefixed tags, so such
a package is first rewritten here, each prefixed part to the same elements and attributes in the same namespaces,
every other part byte for byte. A part this cannot rewrite provably alike is left as it is (the writer then gives up
and openpyxl writes the copy).
"""

from __future__ import annotations

import io
import re
from zipfile import ZipFile

from selfscore.write.zip_copy import copy_zip

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NAME = r"[A-Za-z_][\w.-]*"
_BOM = "\ufeff".encode()
_ROOT = re.compile(rf"<(?![?!])({_NAME}):{_NAME}\b[^>]*>")


def unprefixed_part(xml: str) -> str | None:
    """``xml`` with the prefix its root element binds to the main namespace taken off every element and the
    namespace declared as the default instead; None when the root is not so prefixed, or when the rewrite could
    change what the XML means: another default namespace or an unprefixed element anywhere, the prefix declared
    twice or used on an attribute, a CDATA section."""
    root = _ROOT.search(xml)
    if root is None or re.search(r"<(?![?!])", xml[:root.start()]):
        return None
    prefix = root.group(1)
    declaration = re.compile(rf"""\sxmlns:{prefix}\s*=\s*(["']){re.escape(MAIN)}\1""")
    if (declaration.search(root.group(0)) is None or len(re.findall(rf"\sxmlns:{prefix}\s*=", xml)) != 1
            or re.search(r"\sxmlns\s*=", xml) or re.search(rf"<{_NAME}[\s/>]", xml)
            or re.search(rf"\s{prefix}:{_NAME}\s*=", xml) or "<![CDATA[" in xml):
        return None
    start = declaration.sub(f' xmlns="{MAIN}"', root.group(0), count=1)
    xml = xml[:root.start()] + start + xml[root.end():]
    return re.sub(rf"<(/?){prefix}:(?={_NAME}[\s/>])", r"<\1", xml)


def unprefixed(data: bytes, largest: int) -> bytes | None:
    """The package ``data`` with each SpreadsheetML part whose elements carry the main namespace's prefix written
    with it as the default namespace (see ``unprefixed_part``), every other member as it was (a part larger than
    ``largest`` bytes too, which the writer then refuses); None when no part is prefixed, or one is not UTF-8."""
    source = ZipFile(io.BytesIO(data))
    replaced: dict[str, bytes] = {}
    for info in source.infolist():
        if not info.filename.lower().endswith(".xml") or info.file_size > largest:
            continue
        body = source.read(info.filename)
        if b"xmlns:" not in body[:4096] or MAIN.encode() not in body[:4096]:
            continue
        try:
            text = body.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            return None
        rewritten = unprefixed_part(text)
        if rewritten is not None:  # a byte order mark stays where it was
            replaced[info.filename] = body[:len(body) - len(body.lstrip(_BOM))] + rewritten.encode("utf-8")
    if not replaced:
        return None
    return copy_zip(source, data, [(info, replaced.get(info.filename)) for info in source.infolist()])
