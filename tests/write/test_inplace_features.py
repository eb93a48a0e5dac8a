"""What Excel 365 and WPS put in a clerk's workbook, on a marked cell or on its sheet, against the in-place copy
(write/inplace.py): the feature comes back part for part (or as Excel requires it: calcChain.xml dropped), the marks
are on the right cells, the copy keeps Excel's rules for its parts (support.package_rules), LibreOffice opens it,
checking it again takes exactly the marks out, and a copy LibreOffice saved again (or saved again as Excel and WPS
save, by hand: support.resaved) has its marks taken out in its parts (write/unmark_resaved.py) with openpyxl's route's
report. Two features leave the copy to openpyxl on purpose, and its note says what that copy lost: a dialog or macro
sheet (an .xlsx cannot hold one) and a threaded comment on a marked cell (FALLBACK below).

No real Excel or WPS save was at hand: each feature's XML is written as ECMA-376 Part 1, [MS-XLSX] and
[MS-OI29500] describe it and as Excel 365 writes it in public files (the shapes of richData, metadata.xml, form
controls and legacy VML follow files Excel saved, found through the tool library's code search); WPS's parts
(docProps/custom.xml with KSOProductBuildVer, xl/cellimages.xml with its DISPIMG formula, the etc: attributes) are
imitated from public WPS files and from programs that read them. Each builder injects its feature into the filled
Jiaozuo workbook (support.harness.jiaozuo_bytes, built by make_workbook) with support.harness.rezip.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from openpyxl import load_workbook

from selfscore.checking import check, check_file
from selfscore.tables.names import ADDED_SHEETS, FACTS_SHEET, GUIDE_SHEET, MARKS_SHEET, RESULTS_SHEET, SCORE_SHEET
from selfscore.write.inplace import unmark
from selfscore.write.markup import cell_marks
from support import corpus, harness
from support.harness import member, members, rezip
from support.libreoffice import convert
from support.package_rules import assert_excels_rules
from support.resaved import excel_like, through_openpyxl, without_lost_content
from support.rich import sheet_part

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
VML_ROOT = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">')
#: the score cells every check marks (a match colour and a comment on each)
SCORED = [f"F{row}" for row in range(5, 14)]


@dataclass
class Feature:
    """A feature injected into the filled workbook: the parts that must come back byte for byte, the text each
    sheet (by title) must still hold, and whether the in-place writer writes the copy (else openpyxl, with a note)."""

    data: bytes
    kept: tuple[str, ...]
    texts: dict[str, list[str]] = field(default_factory=dict)
    in_place: bool = True
    marked: dict[str, list[str]] = field(default_factory=lambda: {SCORE_SHEET: SCORED})
    #: what the note of openpyxl's copy names (when the in-place writer leaves the copy to openpyxl)
    lost: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------- building the features


def _png() -> bytes:
    return corpus.png_1x1()


def _edit_sheet(data: bytes, title: str, edit: Callable[[str], str]) -> tuple[str, bytes]:
    part = sheet_part(data, title)
    return part, edit(member(data, part).decode()).encode()


def _with_root(sheet: str, **namespaces: str) -> str:
    """The sheet with prefixes declared on its root (what Excel declares there)."""
    root = re.match(r"<worksheet\b[^>]*>", sheet).group(0)
    extra = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items() if f"xmlns:{prefix}=" not in root)
    return sheet.replace(root, root[:-1] + extra + ">", 1)


def _package(data: bytes, replaced: dict[str, bytes], added: dict[str, bytes], book_rels: list[tuple[str, str, str]],
             overrides: dict[str, str], defaults: dict[str, str] | None = None,
             sheet_rels: dict[str, list[tuple[str, str, str]]] | None = None) -> bytes:
    """``data`` with parts replaced and added, relationships added to the workbook and to sheets (by part), and
    content types for the new parts."""
    replaced = dict(replaced)
    rels = replaced.get("xl/_rels/workbook.xml.rels") or member(data, "xl/_rels/workbook.xml.rels")
    added_rels = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in book_rels)
    replaced["xl/_rels/workbook.xml.rels"] = rels.decode().replace("</Relationships>", added_rels + "</Relationships>").encode()
    added = dict(added)
    names = set(members(data))
    for part, relations in (sheet_rels or {}).items():
        rels_part = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
        body = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"'
                       + (' TargetMode="External"' if target.startswith("http") else "") + "/>"
                       for rid, kind, target in relations)
        if rels_part in names:
            replaced[rels_part] = member(data, rels_part).decode().replace("</Relationships>", body + "</Relationships>").encode()
        else:
            added[rels_part] = f'{HEAD}<Relationships xmlns="{PKG}">{body}</Relationships>'.encode()
    types = member(data, "[Content_Types].xml").decode()
    existing = {ext.lower() for ext in re.findall(r'Extension="([^"]+)"', types)}
    types = types.replace("</Types>", "".join(
        f'<Default Extension="{ext}" ContentType="{kind}"/>' for ext, kind in (defaults or {}).items()
        if ext.lower() not in existing) + "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items()) + "</Types>")
    replaced["[Content_Types].xml"] = types.encode()
    return rezip(data, replaced, added)


SEAL_ON_SCORE = '<c r="F13" s="5" t="e" vm="1"><v>#VALUE!</v></c>'


def picture_in_cell() -> Feature:
    """Excel 365's "Place in Cell" picture ([MS-XLSX] 2.3.x rich values): G5, beside a marked score, holds an error
    value whose ``vm`` points at a rich value (xl/metadata.xml's valueMetadata → futureMetadata → rdrichvalue.xml →
    richValueRel.xml → the image); the same picture pasted into the score F13 by mistake, which is marked as an error
    value with the picture kept in it."""
    data = harness.jiaozuo_bytes()
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: xml.replace(
        '<c r="F5" s="5" t="n"><v>10</v></c>', '<c r="F5" s="5" t="n"><v>10</v></c><c r="G5" t="e" vm="1"><v>#VALUE!</v></c>', 1)
        .replace('<c r="F13" s="5" t="n"><v>5</v></c>', SEAL_ON_SCORE, 1))
    rd = "http://schemas.microsoft.com/office/2017/06/relationships"
    metadata = (f'{HEAD}<metadata xmlns="{MAIN}" xmlns:xlrd="http://schemas.microsoft.com/office/spreadsheetml/2017/richdata">'
                '<metadataTypes count="1"><metadataType name="XLRICHVALUE" minSupportedVersion="120000" copy="1" pasteAll="1" '
                'pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" '
                'coerce="1"/></metadataTypes><futureMetadata name="XLRICHVALUE" count="1"><bk><extLst><ext '
                'uri="{3e2802c4-a4d2-4d8b-9148-e3be6c30e623}"><xlrd:rvb i="0"/></ext></extLst></bk></futureMetadata>'
                '<valueMetadata count="1"><bk><rc t="1" v="0"/></bk></valueMetadata></metadata>')
    richdata = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"
    parts = {
        "xl/metadata.xml": metadata,
        "xl/richData/rdrichvalue.xml": f'{HEAD}<rvData xmlns="{richdata}" count="1"><rv s="0"><v>0</v><v>5</v></rv></rvData>',
        "xl/richData/rdrichvaluestructure.xml": (f'{HEAD}<rvStructures xmlns="{richdata}" count="1"><s t="_localImage">'
                                                 '<k n="_rvRel:LocalImageIdentifier" t="i"/><k n="CalcOrigin" t="i"/></s>'
                                                 "</rvStructures>"),
        "xl/richData/rdRichValueTypes.xml": (f'{HEAD}<rvTypesInfo xmlns="http://schemas.microsoft.com/office/spreadsheetml/'
                                             f'2017/richdata2" xmlns:mc="{MC}" mc:Ignorable="x" xmlns:x="{MAIN}"><global>'
                                             '<keyFlags><key name="_Self"><flag name="ExcludeFromFile" value="1"/>'
                                             '<flag name="ExcludeFromCalcComparison" value="1"/></key></keyFlags></global>'
                                             "</rvTypesInfo>"),
        "xl/richData/richValueRel.xml": (f'{HEAD}<richValueRels xmlns="http://schemas.microsoft.com/office/spreadsheetml/'
                                         f'2022/richvaluerel" xmlns:r="{REL}"><rel r:id="rId1"/></richValueRels>'),
        "xl/richData/_rels/richValueRel.xml.rels": (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                                    f'Type="{REL}/image" Target="../media/image1.png"/></Relationships>'),
    }
    added = {name: body.encode() for name, body in parts.items()} | {"xl/media/image1.png": _png()}
    feature = _package(
        data, {part: sheet}, added,
        [("rIdM1", f"{REL}/sheetMetadata", "metadata.xml"), ("rIdM2", f"{rd}/rdRichValue", "richData/rdrichvalue.xml"),
         ("rIdM3", f"{rd}/rdRichValueStructure", "richData/rdrichvaluestructure.xml"),
         ("rIdM4", f"{rd}/rdRichValueTypes", "richData/rdRichValueTypes.xml"),
         ("rIdM5", "http://schemas.microsoft.com/office/2022/10/relationships/richValueRel", "richData/richValueRel.xml")],
        {"xl/metadata.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
         "xl/richData/rdrichvalue.xml": "application/vnd.ms-excel.rdrichvalue+xml",
         "xl/richData/rdrichvaluestructure.xml": "application/vnd.ms-excel.rdrichvaluestructure+xml",
         "xl/richData/rdRichValueTypes.xml": "application/vnd.ms-excel.rdrichvaluetypes+xml",
         "xl/richData/richValueRel.xml": "application/vnd.ms-excel.richvaluerel+xml"},
        {"png": "image/png"})
    return Feature(feature, tuple(added), {SCORE_SHEET: ['<c r="G5" t="e" vm="1"><v>#VALUE!</v></c>',
                                                         't="e" vm="1"><v>#VALUE!</v></c>']})


def dynamic_array() -> Feature:
    """A dynamic-array formula on a marked score (F5): Excel 365 writes it as an array formula whose ``cm`` points at
    xl/metadata.xml's cellMetadata, an XLDAPR block with ``fDynamic="1"``; the workbook's calcChain.xml lists it."""
    data = harness.jiaozuo_bytes()
    cell = '<c r="F5" s="5" cm="1"><f t="array" ref="F5">_xlfn.SINGLE(D5)</f><v>10</v></c>'
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: xml.replace('<c r="F5" s="5" t="n"><v>10</v></c>', cell, 1))
    metadata = (f'{HEAD}<metadata xmlns="{MAIN}" xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/'
                'dynamicarray"><metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
                'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" '
                'assign="1" coerce="1" cellMeta="1"/></metadataTypes><futureMetadata name="XLDAPR" count="1"><bk><extLst>'
                '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"><xda:dynamicArrayProperties fDynamic="1" '
                'fCollapsed="0"/></ext></extLst></bk></futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk>'
                "</cellMetadata></metadata>")
    chain = f'{HEAD}<calcChain xmlns="{MAIN}"><c r="F5" i="1" a="1"/></calcChain>'
    feature = _package(data, {part: sheet}, {"xl/metadata.xml": metadata.encode(), "xl/calcChain.xml": chain.encode()},
                       [("rIdM1", f"{REL}/sheetMetadata", "metadata.xml"), ("rIdM2", f"{REL}/calcChain", "calcChain.xml")],
                       {"xl/metadata.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
                        "xl/calcChain.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"})
    return Feature(feature, ("xl/metadata.xml",), {SCORE_SHEET: ['cm="1"><f t="array" ref="F5">_xlfn.SINGLE(D5)</f><v>10</v>']})


CHECKBOX_SHAPE = (
    '<v:shape id="Check_x0020_Box_x0020_1" o:spid="_x0000_s1025" type="#_x0000_t201" style="position:absolute;'
    "margin-left:480pt;margin-top:60pt;width:60pt;height:18pt;z-index:1;mso-wrap-style:tight\" filled=\"f\" "
    'fillcolor="window [65]" stroked="f" strokecolor="windowText [64]" o:insetmode="auto"><v:path shadowok="f" '
    'o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/>'
    '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:left"><font face="Tahoma" '
    'size="160" color="auto">已核对</font></div></v:textbox><x:ClientData ObjectType="Checkbox"><x:Anchor>6, 0, 4, 2, 7, '
    "40, 4, 20</x:Anchor><x:AutoFill>False</x:AutoFill><x:AutoLine>False</x:AutoLine><x:TextVAlign>Center</x:TextVAlign>"
    "<x:Checked>1</x:Checked><x:NoThreeD/></x:ClientData></v:shape>")
NOTE_SHAPE = (
    '<v:shape id="_x0000_s1026" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;'
    'width:108pt;height:59.25pt;z-index:2;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill '
    'color2="#ffffe1"/><v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox '
    'style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox><x:ClientData ObjectType="Note">'
    "<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>1, 15, 0, 2, 3, 15, 4, 16</x:Anchor><x:AutoFill>False</x:AutoFill>"
    "<x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData></v:shape>")
ACTIVEX_SHAPE = (
    '<v:shape id="CheckBox1" o:spid="_x0000_s1027" type="#_x0000_t201" style="position:absolute;margin-left:480pt;'
    'margin-top:90pt;width:72pt;height:18pt;z-index:3" stroked="f"><v:imagedata o:relid="rId1" o:title=""/><o:lock '
    'v:ext="edit" aspectratio="f" rotation="t" text="t"/><x:ClientData ObjectType="Pict"><x:SizeWithCells/><x:Anchor>6, '
    "0, 6, 2, 7, 50, 6, 20</x:Anchor><x:CF>Pict</x:CF><x:AutoPict/></x:ClientData></v:shape>")
CONTROLS_VML = (
    f'{VML_ROOT}<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype '
    'id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe"><v:stroke '
    'joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/><o:lock '
    'v:ext="edit" shapetype="t"/></v:shapetype><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>'
    f"</v:shapetype>{CHECKBOX_SHAPE}{NOTE_SHAPE}{ACTIVEX_SHAPE}</xml>")
CONTROLS = (
    f'<controls><mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x14"><control shapeId="1025" r:id="rIdC1" '
    'name="Check Box 1"><controlPr defaultSize="0" autoFill="0" autoLine="0" autoPict="0"><anchor moveWithCells="1">'
    "<from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>4</xdr:row><xdr:rowOff>25400</xdr:rowOff></from><to>"
    "<xdr:col>7</xdr:col><xdr:colOff>508000</xdr:colOff><xdr:row>4</xdr:row><xdr:rowOff>254000</xdr:rowOff></to>"
    "</anchor></controlPr></control></mc:Choice></mc:AlternateContent>"
    f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x14"><control shapeId="1027" r:id="rIdC2" '
    'name="CheckBox1"><controlPr defaultSize="0" autoLine="0" r:id="rIdC3"><anchor moveWithCells="1"><from><xdr:col>6'
    "</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>6</xdr:row><xdr:rowOff>25400</xdr:rowOff></from><to><xdr:col>7"
    "</xdr:col><xdr:colOff>635000</xdr:colOff><xdr:row>6</xdr:row><xdr:rowOff>254000</xdr:rowOff></to></anchor>"
    '</controlPr></control></mc:Choice><mc:Fallback><control shapeId="1027" r:id="rIdC2" name="CheckBox1"/>'
    "</mc:Fallback></mc:AlternateContent></controls>")


def controls() -> Feature:
    """Form controls and ActiveX on the score sheet, as Excel 2010+ writes them: ``<controls>`` holding
    ``mc:AlternateContent`` (x14 ``control`` with its anchor; the ActiveX one with a Fallback), the form control's
    properties (xl/ctrlProps), the ActiveX control's persisted properties (xl/activeX), and one legacy VML drawing
    holding the check box (``o:spid``, ObjectType="Checkbox"), the ActiveX picture shape and the shape of the clerk's
    own comment on A1 (xl/comments1.xml), id block 1. The guide sheet has a comment of the clerk's too, its drawing
    id block 2 (shape 2049). The marks' comments join the score sheet's comments part and drawing, their shapes
    numbered inside that drawing's id blocks and after every shape of the workbook."""
    data = harness.jiaozuo_bytes()

    def edit(xml: str) -> str:
        xml = _with_root(xml, r=REL, xdr=XDR, x14=X14, mc=MC)
        return xml.replace("</worksheet>", f'<legacyDrawing r:id="rIdV1"/>{CONTROLS}</worksheet>')

    part, sheet = _edit_sheet(data, SCORE_SHEET, edit)
    guide_part, guide = _edit_sheet(data, GUIDE_SHEET, lambda xml: _with_root(xml, r=REL).replace(
        "</worksheet>", '<legacyDrawing r:id="rIdV2"/></worksheet>'))
    comments = (f'{HEAD}<comments xmlns="{MAIN}"><authors><author>张三</author></authors><commentList><comment ref="A1" '
                'authorId="0"><text><r><rPr><b/><sz val="9"/><rFont val="宋体"/></rPr><t>张三:</t></r><r><rPr><sz val="9"/>'
                '<rFont val="宋体"/></rPr><t xml:space="preserve">\n表头请勿修改</t></r></text></comment></commentList>'
                "</comments>")
    control_props = ('<formControlPr xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
                     'objectType="CheckBox" checked="Checked" lockText="1" noThreeD="1"/>')
    activex = ('<ax:ocx ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" ax:persistence="persistPropertyBag" '
               f'xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" xmlns:r="{REL}"><ax:ocxPr ax:name="Caption" '
               'ax:value="CheckBox1"/><ax:ocxPr ax:name="Value" ax:value="0"/></ax:ocx>')
    vml_rels = (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/image" '
                'Target="../media/image1.png"/></Relationships>')
    guide_vml = (f'{VML_ROOT}<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="2"/></o:shapelayout>'
                 + CONTROLS_VML[CONTROLS_VML.index('<v:shapetype id="_x0000_t202"'):CONTROLS_VML.index(CHECKBOX_SHAPE)]
                 + NOTE_SHAPE.replace("_x0000_s1026", "_x0000_s2049") + "</xml>")
    guide_comments = comments.replace("表头请勿修改", "填写前请阅读")
    added = {"xl/drawings/vmlDrawing1.vml": CONTROLS_VML.encode(), "xl/drawings/_rels/vmlDrawing1.vml.rels": vml_rels.encode(),
             "xl/drawings/vmlDrawing2.vml": guide_vml.encode(), "xl/comments2.xml": guide_comments.encode(),
             "xl/comments1.xml": comments.encode(), "xl/ctrlProps/ctrlProp1.xml": f"{HEAD}{control_props}".encode(),
             "xl/activeX/activeX1.xml": f"{HEAD}{activex}".encode(), "xl/media/image1.png": _png()}
    feature = _package(
        data, {part: sheet, guide_part: guide}, added, [],
        {"xl/comments1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
         "xl/comments2.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
         "xl/ctrlProps/ctrlProp1.xml": "application/vnd.ms-excel.controlproperties+xml",
         "xl/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml"},
        {"vml": "application/vnd.openxmlformats-officedocument.vmlDrawing", "png": "image/png"},
        {part: [("rIdV1", f"{REL}/vmlDrawing", "../drawings/vmlDrawing1.vml"), ("rIdK1", f"{REL}/comments", "../comments1.xml"),
                ("rIdC1", f"{REL}/ctrlProp", "../ctrlProps/ctrlProp1.xml"), ("rIdC2", f"{REL}/control", "../activeX/activeX1.xml"),
                ("rIdC3", f"{REL}/image", "../media/image1.png")],
         guide_part: [("rIdV2", f"{REL}/vmlDrawing", "../drawings/vmlDrawing2.vml"),
                      ("rIdK2", f"{REL}/comments", "../comments2.xml")]})
    kept = ("xl/ctrlProps/ctrlProp1.xml", "xl/activeX/activeX1.xml", "xl/media/image1.png",
            "xl/drawings/_rels/vmlDrawing1.vml.rels", "xl/drawings/vmlDrawing2.vml", "xl/comments2.xml")
    return Feature(feature, kept, {SCORE_SHEET: [CONTROLS, '<legacyDrawing r:id="rIdV1"/>'],
                                   "vml": [CHECKBOX_SHAPE, NOTE_SHAPE, ACTIVEX_SHAPE]})


def controls_only() -> Feature:
    """The same controls on a score sheet without a comment of its own: the drawing holds only the check box and the
    ActiveX shape (no comment shape type either), and the sheet has no comments part. The marks add one, and their
    shapes, with the comment shape type, to the controls' drawing."""
    data = controls().data
    score = sheet_part(data, SCORE_SHEET)
    rels_part = score.replace("worksheets/", "worksheets/_rels/") + ".rels"
    start = CONTROLS_VML.index('<v:shapetype id="_x0000_t202"')
    vml = CONTROLS_VML[:start] + CONTROLS_VML[CONTROLS_VML.index("</v:shapetype>", start) + 14:]
    vml = vml.replace(NOTE_SHAPE, "")
    rels = re.sub(r'<Relationship Id="rIdK1"[^>]*/>', "", member(data, rels_part).decode())
    types = member(data, "[Content_Types].xml").decode().replace(
        '<Override PartName="/xl/comments1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.comments+xml"/>', "")
    feature = rezip(data, {"xl/drawings/vmlDrawing1.vml": vml.encode(), rels_part: rels.encode(),
                           "[Content_Types].xml": types.encode(), "xl/comments1.xml": None})
    assert "_x0000_t202" not in vml and b"comments1" not in member(feature, "[Content_Types].xml")
    return Feature(feature, ("xl/ctrlProps/ctrlProp1.xml", "xl/activeX/activeX1.xml", "xl/media/image1.png"),
                   {SCORE_SHEET: [CONTROLS, '<legacyDrawing r:id="rIdV1"/>'], "vml": [CHECKBOX_SHAPE, ACTIVEX_SHAPE]})


HF_VML = (
    f'{VML_ROOT}<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype '
    'id="_x0000_t75" coordsize="21600,21600" o:spt="75" o:preferrelative="t" path="m@4@5l@4@11@9@11@9@5xe" filled="f" '
    'stroked="f"><v:stroke joinstyle="miter"/><v:path o:extrusionok="f" gradientshapeok="t" o:connecttype="rect"/><o:lock '
    'v:ext="edit" aspectratio="t"/></v:shapetype><v:shape id="LH" o:spid="_x0000_s1025" type="#_x0000_t75" '
    'style="position:absolute;margin-left:0;margin-top:0;width:45pt;height:45pt;z-index:1"><v:imagedata o:relid="rId1" '
    'o:title="公章"/><o:lock v:ext="edit" rotation="t"/></v:shape></xml>')


def header_picture() -> Feature:
    """A picture in the score sheet's page header (a scanned seal): ``&G`` in the header, ``legacyDrawingHF`` naming a
    VML drawing whose shape ``LH`` (``o:spid="_x0000_s1025"``, id block 1) shows the image. The marks' own drawing
    must take another id block and stand before ``legacyDrawingHF``."""
    data = harness.jiaozuo_bytes()
    header = '<headerFooter><oddHeader>&amp;L&amp;G&amp;C绩效自评表</oddHeader></headerFooter><legacyDrawingHF r:id="rIdH1"/>'
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: _with_root(xml, r=REL).replace("</worksheet>", header + "</worksheet>"))
    added = {"xl/drawings/vmlDrawing1.vml": HF_VML.encode(), "xl/media/image1.png": _png(),
             "xl/drawings/_rels/vmlDrawing1.vml.rels": (
                 f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/image" '
                 'Target="../media/image1.png"/></Relationships>').encode()}
    feature = _package(data, {part: sheet}, added, [], {},
                       {"vml": "application/vnd.openxmlformats-officedocument.vmlDrawing", "png": "image/png"},
                       {part: [("rIdH1", f"{REL}/vmlDrawing", "../drawings/vmlDrawing1.vml")]})
    return Feature(feature, tuple(added), {SCORE_SHEET: [header.split("<legacyDrawingHF")[0], '<legacyDrawingHF r:id="rIdH1"/>']})


def table() -> Feature:
    """An Excel table (ListObject, xl/tables/table1.xml) over the facts sheet's A3:F21, its header the sheet's own
    header row, a data cell (D16, the satisfaction rate, filled with 150 %) marked as out of range."""
    data = harness.jiaozuo_bytes(facts={"satisfaction_pct": 150})
    part, sheet = _edit_sheet(data, FACTS_SHEET, lambda xml: _with_root(xml, r=REL).replace(
        "</worksheet>", '<tableParts count="1"><tablePart r:id="rIdT1"/></tableParts></worksheet>'))
    headers = ["序号", "数据项", "单位", "填报值", "填写说明", "用于指标"]
    body = (f'{HEAD}<table xmlns="{MAIN}" id="1" name="基础数据表" displayName="基础数据表" ref="A3:F21" '
            'totalsRowShown="0"><autoFilter ref="A3:F21"/><tableColumns count="6">'
            + "".join(f'<tableColumn id="{i}" name="{name}"/>' for i, name in enumerate(headers, 1))
            + '</tableColumns><tableStyleInfo name="TableStyleLight1" showFirstColumn="0" showLastColumn="0" '
              'showRowStripes="1" showColumnStripes="0"/></table>')
    feature = _package(data, {part: sheet}, {"xl/tables/table1.xml": body.encode()}, [],
                       {"xl/tables/table1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"},
                       sheet_rels={part: [("rIdT1", f"{REL}/table", "../tables/table1.xml")]})
    return Feature(feature, ("xl/tables/table1.xml",), {FACTS_SHEET: ['<tablePart r:id="rIdT1"/>']},
                   marked={SCORE_SHEET: SCORED, FACTS_SHEET: ["D16"]})


def formulas_and_links() -> Feature:
    """A hyperlink on a marked score (F5, to a web page) and one inside the workbook (F8); F5 the master of a shared
    formula whose follower F6 is marked too; F7 an array formula (Ctrl+Shift+Enter); xl/calcChain.xml listing them
    (dropped from the copy: Excel rebuilds it, and one that no longer matches the sheets asks for a repair)."""
    data = harness.jiaozuo_bytes()
    cells = {'<c r="F5" s="5" t="n"><v>10</v></c>': '<c r="F5" s="5"><f t="shared" ref="F5:F6" si="0">D5</f><v>10</v></c>',
             '<c r="F6" s="5" t="n"><v>5</v></c>': '<c r="F6" s="5"><f t="shared" si="0"/><v>5</v></c>',
             '<c r="F7" s="5" t="n"><v>10</v></c>': '<c r="F7" s="5"><f t="array" ref="F7">D7*1</f><v>10</v></c>'}
    links = ('<hyperlinks><hyperlink ref="F5" r:id="rIdL1" tooltip="评分依据"/><hyperlink ref="F8" '
             "location=\"'基础数据'!D12\" display=\"未公开事项\"/></hyperlinks>")

    def edit(xml: str) -> str:
        for old, new in cells.items():
            assert old in xml
            xml = xml.replace(old, new, 1)
        return _with_root(xml, r=REL).replace("<printOptions", links + "<printOptions", 1)

    part, sheet = _edit_sheet(data, SCORE_SHEET, edit)
    chain = f'{HEAD}<calcChain xmlns="{MAIN}"><c r="F5" i="1"/><c r="F6" i="1"/><c r="F7" i="1" a="1"/></calcChain>'
    feature = _package(data, {part: sheet}, {"xl/calcChain.xml": chain.encode()},
                       [("rIdCC", f"{REL}/calcChain", "calcChain.xml")],
                       {"xl/calcChain.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"},
                       sheet_rels={part: [("rIdL1", f"{REL}/hyperlink", "http://www.mohurd.gov.cn/")]})
    return Feature(feature, (), {SCORE_SHEET: [links, *(re.sub(r"^<c [^>]*>", "", cell) for cell in cells.values())]})


CF = ('<conditionalFormatting sqref="F5:F13"><cfRule type="dataBar" priority="2"><dataBar><cfvo type="min"/><cfvo '
      'type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext uri="{B025F937-C7B1-47D3-B67F-A62EFF666E3E}" '
      f'xmlns:x14="{X14}"><x14:id>{{6F2B1C0A-3C9D-4E7B-9D51-0A7E3C2B1F11}}</x14:id></ext></extLst></cfRule>'
      '</conditionalFormatting><conditionalFormatting sqref="F5:F13"><cfRule type="cellIs" dxfId="0" priority="1" '
      'operator="lessThan"><formula>$D5/2</formula></cfRule></conditionalFormatting>')
CF_EXT = (f'<extLst><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="{X14}"><x14:conditionalFormattings>'
          f'<x14:conditionalFormatting xmlns:xm="{XM}"><x14:cfRule type="dataBar" '
          'id="{6F2B1C0A-3C9D-4E7B-9D51-0A7E3C2B1F11}"><x14:dataBar minLength="0" maxLength="100" gradient="0">'
          '<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/><x14:negativeFillColor rgb="FFFF0000"/><x14:axisColor '
          'rgb="FF000000"/></x14:dataBar></x14:cfRule><xm:sqref>F5:F13</xm:sqref></x14:conditionalFormatting>'
          "</x14:conditionalFormattings></ext>"
          f'<ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{X14}"><x14:sparklineGroups xmlns:xm="{XM}">'
          '<x14:sparklineGroup displayEmptyCellsAs="gap"><x14:colorSeries rgb="FF376092"/><x14:colorNegative '
          'rgb="FFD00000"/><x14:colorAxis rgb="FF000000"/><x14:colorMarkers rgb="FFD00000"/><x14:colorFirst '
          'rgb="FFD00000"/><x14:colorLast rgb="FFD00000"/><x14:colorHigh rgb="FFD00000"/><x14:colorLow rgb="FFD00000"/>'
          "<x14:sparklines><x14:sparkline><xm:f>'自评表'!F5:F13</xm:f><xm:sqref>F14</xm:sqref></x14:sparkline>"
          "</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>")


def conditional_formats() -> Feature:
    """Classic conditional formatting (a cellIs rule with its dxf) and a data bar over the marked scores, the data
    bar's Excel 2010 part in the sheet's extLst (x14:conditionalFormattings, tied by x14:id), and a sparkline of the
    scores in the total's cell (x14:sparklineGroups, the same extLst); the score sheet is protected as the template
    leaves it."""
    data = harness.jiaozuo_bytes()
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: xml.replace("<dataValidations", CF + "<dataValidations", 1)
                              .replace("</worksheet>", CF_EXT + "</worksheet>"))
    styles = member(data, "xl/styles.xml").decode()
    dxfs = ('<dxfs count="1"><dxf><font><color rgb="FF9C0006"/></font><fill><patternFill><bgColor rgb="FFFFC7CE"/>'
            "</patternFill></fill></dxf></dxfs>")
    styles = re.sub(r"(</cellStyles>|<cellStyles\b[^>]*/>)", lambda m: m.group(0) + dxfs, styles, count=1)
    assert dxfs in styles
    feature = rezip(data, {part: sheet, "xl/styles.xml": styles.encode()})
    return Feature(feature, (), {SCORE_SHEET: [CF, CF_EXT, "<sheetProtection "], "styles": [dxfs]})


#: the stylesheet's extensions Excel (and WPS after it) writes on every save: default slicer and timeline styles
STYLES_EXT = (f'<extLst><ext uri="{{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}}" xmlns:x14="{X14}"><x14:slicerStyles '
              'defaultSlicerStyle="SlicerStyleLight1"/></ext><ext uri="{9260A510-F301-46a8-8635-F512D64BE5F5}" '
              'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"><x15:timelineStyles '
              'defaultTimelineStyle="TimeSlicerStyleLight1"/></ext></extLst>')


def excel_365_attributes() -> Feature:
    """The attributes and elements Excel 365 writes on every save: the sheet's root with mc:Ignorable and xr:uid,
    x14ac:dyDescent on sheetFormatPr and rows, ``spans``; the workbook's fileVersion, x15ac:absPath in
    mc:AlternateContent, xr:revisionPtr and the workbookView's xr2:uid; the stylesheet's mc:Ignorable,
    x14ac:knownFonts and its extLst of default slicer and timeline styles."""
    data = harness.jiaozuo_bytes()
    xr = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
    root = (f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}" xmlns:mc="{MC}" mc:Ignorable="x14ac xr xr2 xr3" '
            f'xmlns:x14ac="{X14AC}" xmlns:xr="{xr}" xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/'
            'revision2" xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
            'xr:uid="{8A7E2F3B-0000-4C5D-9E6F-1A2B3C4D5E6F}">')

    def edit(xml: str) -> str:
        xml = re.sub(r"<worksheet\b[^>]*>", root, xml, count=1)
        xml = xml.replace('<sheetFormatPr baseColWidth="8" defaultRowHeight="15" />',
                          '<sheetFormatPr baseColWidth="8" defaultRowHeight="15" x14ac:dyDescent="0.25"/>')
        return re.sub(r'<row r="(\d+)"', r'<row r="\1" spans="1:6" x14ac:dyDescent="0.25"', xml)

    part, sheet = _edit_sheet(data, SCORE_SHEET, edit)
    book = member(data, "xl/workbook.xml").decode()
    book = re.sub(r"<workbook\b[^>]*>", (
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}" xmlns:mc="{MC}" mc:Ignorable="x15 xr xr6 xr10 xr2" '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
        f'xmlns:xr="{xr}" xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
        'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" '
        'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2">'
        '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27425"/>'), book, count=1)
    book = book.replace("<workbookProtection />", (
        f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x15"><x15ac:absPath url="D:\\绩效自评\\" '
        'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent>'
        '<xr:revisionPtr revIDLastSave="0" documentId="8_{3C1D8E0F-2A4B-4C6D-8E0F-1A2B3C4D5E6F}" '
        'xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>'
        "<workbookProtection />"), 1)
    book = book.replace("<workbookView ", '<workbookView xr2:uid="{00000000-000D-0000-FFFF-FFFF00000000}" ', 1)
    styles = member(data, "xl/styles.xml").decode()
    styles = re.sub(r"<styleSheet\b[^>]*>", lambda m: m.group(0)[:-1] + f' xmlns:mc="{MC}" mc:Ignorable="x14ac" '
                    f'xmlns:x14ac="{X14AC}">', styles, count=1)
    styles = re.sub(r'<fonts count="(\d+)"', r'<fonts count="\1" x14ac:knownFonts="1"', styles, count=1)
    styles = styles.replace("</styleSheet>", STYLES_EXT + "</styleSheet>")
    feature = rezip(data, {part: sheet, "xl/workbook.xml": book.encode(), "xl/styles.xml": styles.encode()})
    return Feature(feature, (), {SCORE_SHEET: [root, 'x14ac:dyDescent="0.25"/>'], "workbook": ["x15ac:absPath", "xr:revisionPtr"],
                                 "styles": [STYLES_EXT + "</styleSheet>", 'x14ac:knownFonts="1"']})


def wps_parts() -> Feature:
    """What WPS Office writes besides the workbook (imitated from public WPS files and from programs that read them,
    no WPS at hand): docProps/custom.xml with KSOProductBuildVer and ICV, a customXml item with its properties, WPS's
    picture in a cell (xl/cellimages.xml, the ``etc:`` namespace, a ``_xlfn.DISPIMG`` formula in G5 beside a marked
    score), and WPS's ``etc:`` attribute on the facts sheet's autoFilter."""
    data = harness.jiaozuo_bytes()
    etc = "http://www.wps.cn/officeDocument/2017/etCustomData"
    image = '<c r="G5" t="str"><f>_xlfn.DISPIMG("ID_6C1F0B0D2E3A4B5C",1)</f><v>=DISPIMG("ID_6C1F0B0D2E3A4B5C",1)</v></c>'
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: xml.replace(
        '<c r="F5" s="5" t="n"><v>10</v></c>', '<c r="F5" s="5" t="n"><v>10</v></c>' + image, 1))
    facts_part, facts = _edit_sheet(data, FACTS_SHEET, lambda xml: _with_root(xml, etc=etc).replace(
        "<mergeCells", '<autoFilter ref="A3:F21" etc:filterBottomFollowUsedRange="0"/><mergeCells', 1))
    cellimages = (f'{HEAD}<etc:cellImages xmlns:xdr="{XDR}" xmlns:r="{REL}" '
                  f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:etc="{etc}"><etc:cellImage>'
                  '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="ID_6C1F0B0D2E3A4B5C" descr="公章"/><xdr:cNvPicPr>'
                  '<a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/>'
                  '<a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext '
                  'cx="381000" cy="381000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
                  "</xdr:pic></etc:cellImage></etc:cellImages>")
    custom = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
              'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property '
              'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="ICV"><vt:lpwstr>'
              '3C5E1F0A2B4D4E6F8A9B0C1D2E3F4A5B_13</vt:lpwstr></property><property '
              'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="KSOProductBuildVer"><vt:lpwstr>'
              "2052-12.1.0.16388</vt:lpwstr></property></Properties>")
    item = '<b:Sources xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography" SelectedStyle="\\APA.XSL"/>'
    props = ('<ds:datastoreItem ds:itemID="{5A1C9E2B-3D4F-4A6B-8C0D-1E2F3A4B5C6D}" '
             'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef '
             'ds:uri="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"/></ds:schemaRefs>'
             "</ds:datastoreItem>")
    added = {"xl/cellimages.xml": cellimages.encode(), "xl/media/image1.png": _png(),
             "xl/_rels/cellimages.xml.rels": (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                              f'Type="{REL}/image" Target="media/image1.png"/></Relationships>').encode(),
             "docProps/custom.xml": f"{HEAD}{custom}".encode(), "customXml/item1.xml": f"{HEAD}{item}".encode(),
             "customXml/itemProps1.xml": f"{HEAD}{props}".encode(),
             "customXml/_rels/item1.xml.rels": (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                                f'Type="{REL}/customXmlProps" Target="itemProps1.xml"/></Relationships>').encode()}
    package_rels = member(data, "_rels/.rels").decode().replace("</Relationships>", (
        f'<Relationship Id="rIdW1" Type="{REL}/custom-properties" Target="docProps/custom.xml"/></Relationships>'))
    feature = _package(
        data, {part: sheet, facts_part: facts, "_rels/.rels": package_rels.encode()}, added,
        [("rIdW2", "http://www.wps.cn/officeDocument/2020/cellImage", "cellimages.xml"),
         ("rIdW3", f"{REL}/customXml", "../customXml/item1.xml")],
        {"xl/cellimages.xml": "application/vnd.wps-officedocument.cellimage+xml",
         "docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
         "customXml/itemProps1.xml": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"},
        {"png": "image/png"})
    return Feature(feature, tuple(added) + ("_rels/.rels",),
                   {SCORE_SHEET: [image], FACTS_SHEET: ['etc:filterBottomFollowUsedRange="0"']})


def odd_sheets() -> Feature:
    """Beside the table: a very hidden worksheet, a chartsheet, and a worksheet whose name needs
    quoting and escaping in defined names (a full-width comma, an apostrophe, spaces, an ampersand), with a
    workbook name and a sheet-scoped print area on it."""
    data = harness.jiaozuo_bytes()
    odd = "附表，甲 & 'B' 1"
    quoted = "'" + odd.replace("'", "''") + "'"
    empty = (f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>附</t></is></c></row>'
             "</sheetData></worksheet>")
    chartsheet = (f'{HEAD}<chartsheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetPr/><sheetViews><sheetView zoomScale="100" '
                  'workbookViewId="0" zoomToFit="1"/></sheetViews><pageMargins left="0.7" right="0.7" top="0.75" '
                  'bottom="0.75" header="0.3" footer="0.3"/><drawing r:id="rId1"/></chartsheet>')
    drawing = (f'{HEAD}<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
               '<xdr:absoluteAnchor><xdr:pos x="0" y="0"/><xdr:ext cx="8666922" cy="6293304"/><xdr:graphicFrame '
               'macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="图表 1"/><xdr:cNvGraphicFramePr><a:graphicFrameLocks '
               'noGrp="1"/></xdr:cNvGraphicFramePr></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" '
               'cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
               f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{REL}" r:id="rId1"/>'
               "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:absoluteAnchor></xdr:wsDr>")
    chart = ('<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
             'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea><c:layout/><c:barChart>'
             '<c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/><c:val><c:numRef>'
             "<c:f>'自评表'!$F$5:$F$13</c:f></c:numRef></c:val></c:ser>"
             '<c:axId val="1"/><c:axId val="2"/></c:barChart>'
             '<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
             '<c:axPos val="b"/><c:crossAx val="2"/></c:catAx><c:valAx><c:axId val="2"/><c:scaling><c:orientation '
             'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:crossAx val="1"/></c:valAx></c:plotArea>'
             "</c:chart></c:chartSpace>")
    book = member(data, "xl/workbook.xml").decode()
    sheets = (f'<sheet name="隐藏数据" sheetId="11" state="veryHidden" r:id="rIdO1"/><sheet name="得分图" sheetId="12" '
              f'r:id="rIdO2"/><sheet name="{odd.replace("&", "&amp;")}" '
              'sheetId="14" r:id="rIdO4"/>')
    book = book.replace("</sheets>", sheets + "</sheets>", 1)
    names = (f'<definedName name="附表数据">{quoted.replace("&", "&amp;")}!$A$1</definedName>'
             f'<definedName name="_xlnm.Print_Area" localSheetId="6">{quoted.replace("&", "&amp;")}!$A$1:$A$1</definedName>')
    book = book.replace("</definedNames>", names + "</definedNames>", 1)
    feature = _package(
        data, {"xl/workbook.xml": book.encode()},
        {"xl/worksheets/sheet11.xml": empty.encode(), "xl/worksheets/sheet14.xml": empty.encode(),
         "xl/chartsheets/sheet1.xml": chartsheet.encode(),
         "xl/chartsheets/_rels/sheet1.xml.rels": (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                                  f'Type="{REL}/drawing" Target="../drawings/drawing1.xml"/></Relationships>').encode(),
         "xl/drawings/drawing1.xml": drawing.encode(), "xl/charts/chart1.xml": f"{HEAD}{chart}".encode(),
         "xl/drawings/_rels/drawing1.xml.rels": (f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                                 f'Type="{REL}/chart" Target="../charts/chart1.xml"/></Relationships>').encode()},
        [("rIdO1", f"{REL}/worksheet", "worksheets/sheet11.xml"), ("rIdO2", f"{REL}/chartsheet", "chartsheets/sheet1.xml"),
         ("rIdO4", f"{REL}/worksheet", "worksheets/sheet14.xml")],
        {"xl/worksheets/sheet11.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
         "xl/worksheets/sheet14.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
         "xl/chartsheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml",
         "xl/drawings/drawing1.xml": "application/vnd.openxmlformats-officedocument.drawing+xml",
         "xl/charts/chart1.xml": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"})
    kept = ("xl/worksheets/sheet11.xml", "xl/worksheets/sheet14.xml", "xl/chartsheets/sheet1.xml",
            "xl/drawings/drawing1.xml", "xl/charts/chart1.xml")
    return Feature(feature, kept, {"workbook": [sheets.replace("/>", "").split(" r:id")[0], names.split("<definedName name=\"_xlnm")[0]]})


def macro_sheets() -> Feature:
    """An Excel 5 dialog sheet and an Excel 4 macro sheet (XLM) beside the table, as Excel keeps them in an .xlsm. The
    copy is an .xlsx, which cannot hold them (Excel lists both among what a macro-free workbook drops): the in-place
    writer leaves this copy to openpyxl, whose copy turns them into empty worksheets, and the notes say so."""
    data = harness.jiaozuo_bytes()
    dialog = (f'{HEAD}<dialogsheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetPr/><sheetViews><sheetView '
              'workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><pageMargins left="0.7" right="0.7" '
              'top="0.75" bottom="0.75" header="0.3" footer="0.3"/></dialogsheet>')
    macro = (f'{HEAD}<xm:macrosheet xmlns="{MAIN}" xmlns:r="{REL}" xmlns:xm="{XM}"><sheetPr/><dimension ref="A1:A2"/>'
             '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>'
             '<row r="1"><c r="A1" t="b"><f>ALERT("请先填写基础数据")</f><v>1</v></c></row><row r="2"><c r="A2" t="b">'
             '<f>RETURN()</f><v>1</v></c></row></sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
             'header="0.3" footer="0.3"/></xm:macrosheet>')
    book = member(data, "xl/workbook.xml").decode().replace("</sheets>", (
        '<sheet name="对话框1" sheetId="13" r:id="rIdO3"/><sheet name="宏1" sheetId="15" r:id="rIdO5"/></sheets>'), 1)
    feature = _package(
        data, {"xl/workbook.xml": book.encode()},
        {"xl/dialogsheets/sheet1.xml": dialog.encode(), "xl/macrosheets/sheet1.xml": macro.encode()},
        [("rIdO3", f"{REL}/dialogsheet", "dialogsheets/sheet1.xml"),
         ("rIdO5", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "macrosheets/sheet1.xml")],
        {"xl/dialogsheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
         "xl/macrosheets/sheet1.xml": "application/vnd.ms-excel.macrosheet+xml"})
    return Feature(feature, (), in_place=False, lost=("对话框工作表", "宏表"))


PERSON = "{5B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D}"
THREAD = "{0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9}"


def threaded_comment(cell: str = "A1") -> Feature:
    """An Excel 365 comment (a threaded comment, the kind Excel 365's 「新建批注」 makes) on the score sheet's ``cell``,
    as Excel writes one: xl/threadedComments with its person list (xl/persons), and for older programs a legacy
    comment with the thread's text, authored ``tc={id}`` and tied by ``xr:uid``, with its VML shape. On A1 the marks'
    notes join the legacy comments and the drawing, the thread kept; on a marked score the mark cannot take that
    cell's comment without breaking the thread, and openpyxl writes the copy, saying the replies are not in it."""
    data = harness.jiaozuo_bytes()
    column, row = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()
    threads = ('<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
               f'xmlns:x="{MAIN}"><threadedComment ref="{cell}" dT="2026-11-20T09:12:33.00" personId="{PERSON}" '
               f'id="{THREAD}"><text>这一格请先核对再填</text></threadedComment></ThreadedComments>')
    persons = ('<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
               f'xmlns:x="{MAIN}"><person displayName="张三" id="{PERSON}" userId="张三" providerId="None"/></personList>')
    xr = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
    legacy = (f'{HEAD}<comments xmlns="{MAIN}" xmlns:mc="{MC}" mc:Ignorable="xr" xmlns:xr="{xr}"><authors><author>'
              f'tc={THREAD}</author></authors><commentList><comment ref="{cell}" authorId="0" shapeId="0" '
              f'xr:uid="{THREAD}"><text><t>[Threaded comment]\n\nYour version of Excel allows you to read this threaded '
              "comment; however, any edits to it will get removed if the file is opened in a newer version of Excel. "
              "Learn more: https://go.microsoft.com/fwlink/?linkid=870924\n\nComment:\n    这一格请先核对再填</t></text>"
              "</comment></commentList></comments>")
    index = ord(column) - 65
    vml = (f'{VML_ROOT}<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
           + CONTROLS_VML[CONTROLS_VML.index('<v:shapetype id="_x0000_t202"'):CONTROLS_VML.index(CHECKBOX_SHAPE)]
           + NOTE_SHAPE.replace("_x0000_s1026", "_x0000_s1025").replace("<x:Row>0</x:Row><x:Column>0</x:Column>",
                                                                       f"<x:Row>{int(row) - 1}</x:Row><x:Column>{index}</x:Column>")
           + "</xml>")
    part, sheet = _edit_sheet(data, SCORE_SHEET, lambda xml: _with_root(xml, r=REL).replace(
        "</worksheet>", '<legacyDrawing r:id="rIdV1"/></worksheet>'))
    added = {"xl/threadedComments/threadedComment1.xml": f"{HEAD}{threads}".encode(),
             "xl/persons/person.xml": f"{HEAD}{persons}".encode(), "xl/comments1.xml": legacy.encode(),
             "xl/drawings/vmlDrawing1.vml": vml.encode()}
    feature = _package(
        data, {part: sheet}, added, [("rIdP1", "http://schemas.microsoft.com/office/2017/10/relationships/person",
                                      "persons/person.xml")],
        {"xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml",
         "xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
         "xl/comments1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"},
        {"vml": "application/vnd.openxmlformats-officedocument.vmlDrawing"},
        {part: [("rIdV1", f"{REL}/vmlDrawing", "../drawings/vmlDrawing1.vml"), ("rIdK1", f"{REL}/comments", "../comments1.xml"),
                ("rIdT1", "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
                 "../threadedComments/threadedComment1.xml")]})
    if cell in SCORED:
        return Feature(feature, (), in_place=False, lost=("批注回复",))
    return Feature(feature, ("xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml"),
                   {"comments": [legacy[legacy.index("<comment "):legacy.index("</commentList>")]]})


FPB = "http://schemas.microsoft.com/office/spreadsheetml/2022/featurepropertybag"
CHECKBOX_XF_EXT = (f'<extLst><ext uri="{{C7286773-470A-42A8-94C5-96B5CB345126}}" xmlns:xfpb="{FPB}"><xfpb:xfComplement '
                   'i="0"/></ext></extLst>')


def cell_checkboxes() -> Feature:
    """Excel 365's checkboxes in cells (插入 › 复选框) for the facts sheet's 是/否 inputs D4:D8, as Excel writes them: the
    cells hold TRUE, their cell format carries ``xfpb:xfComplement`` (an index into
    xl/featurePropertyBag/featurePropertyBag.xml: XFComplement → XFControls → CellControl → Checkbox), and the sheet
    has a marked cell (D16). The marks' formats are appended after the checkbox format, which stays as it was."""
    data = harness.jiaozuo_bytes(facts={"satisfaction_pct": 150})
    styles = member(data, "xl/styles.xml").decode()
    section = re.search(r'<cellXfs count="(\d+)">(.*?)</cellXfs>', styles, re.S)
    count = int(section.group(1))
    xf = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", section.group(2), re.S)[5]
    checkbox = xf.replace("</xf>", CHECKBOX_XF_EXT + "</xf>")
    styles = (styles[:section.start()] + f'<cellXfs count="{count + 1}">{section.group(2)}{checkbox}</cellXfs>'
              + styles[section.end():])
    part, sheet = _edit_sheet(data, FACTS_SHEET, lambda xml: re.sub(
        r'<c r="(D[4-8])" s="5" t="inlineStr"><is><t>是</t></is></c>', rf'<c r="\1" s="{count}" t="b"><v>1</v></c>', xml))
    bags = (f'<FeaturePropertyBags xmlns="{FPB}"><bag type="Checkbox"/><bag type="XFControls"><bagId k="CellControl">0'
            '</bagId></bag><bag type="XFComplement"><bagId k="XFControls">1</bagId></bag><bag type="XFComplements" '
            'extRef="XFComplementsMapperExtRef"><a k="MappedFeaturePropertyBags"><bagId>2</bagId></a></bag>'
            "</FeaturePropertyBags>")
    feature = _package(data, {part: sheet, "xl/styles.xml": styles.encode()},
                       {"xl/featurePropertyBag/featurePropertyBag.xml": f"{HEAD}{bags}".encode()},
                       [("rIdF1", "http://schemas.microsoft.com/office/2022/11/relationships/FeaturePropertyBag",
                         "featurePropertyBag/featurePropertyBag.xml")],
                       {"xl/featurePropertyBag/featurePropertyBag.xml": "application/vnd.ms-excel.featurepropertybag+xml"})
    return Feature(feature, ("xl/featurePropertyBag/featurePropertyBag.xml",),
                   {FACTS_SHEET: [f'<c r="D4" s="{count}" t="b"><v>1</v></c>'], "styles": [checkbox]},
                   marked={SCORE_SHEET: SCORED, FACTS_SHEET: ["D16"]})


RENAMED = "基础数据 'B'，二"


def renamed_facts_sheet() -> Feature:
    """The facts sheet renamed as Excel renames one (its defined names follow, quoted, the apostrophes doubled) to a
    name with spaces, apostrophes and a full-width comma, a data cell of it (D16, 150 %) marked: the marks land on
    it, and the findings list links to it with the name quoted as a reference needs it."""
    data = harness.jiaozuo_bytes(facts={"satisfaction_pct": 150})
    quoted = "'" + RENAMED.replace("'", "''") + "'"
    book = member(data, "xl/workbook.xml").decode()
    book = book.replace(f'name="{FACTS_SHEET}"', f'name="{RENAMED.replace(chr(39), "&apos;")}"', 1)
    book = book.replace(f"'{FACTS_SHEET}'!", f"{quoted}!")
    return Feature(rezip(data, {"xl/workbook.xml": book.encode()}), (), {"workbook": [f"{quoted}!$D$16"]},
                   marked={SCORE_SHEET: SCORED, RENAMED: ["D16"]})


FEATURES: dict[str, Callable[[], Feature]] = {
    "picture_in_cell": picture_in_cell, "dynamic_array": dynamic_array, "controls": controls,
    "controls_only": controls_only,
    "header_picture": header_picture, "table": table, "formulas_and_links": formulas_and_links,
    "conditional_formats": conditional_formats, "excel_365_attributes": excel_365_attributes, "wps_parts": wps_parts,
    "odd_sheets": odd_sheets, "macro_sheets": macro_sheets,
    "renamed_facts_sheet": renamed_facts_sheet, "threaded_comment": threaded_comment,
    "threaded_comment_on_a_score": lambda: threaded_comment("F5"), "cell_checkboxes": cell_checkboxes,
}


#: the features whose copy openpyxl writes (``Feature.in_place`` is False; the first test checks that it is)
FALLBACK = ("macro_sheets", "threaded_comment_on_a_score")
IN_PLACE = [name for name in FEATURES if name not in FALLBACK]


# --------------------------------------------------------------------------------------------------- the checks


@pytest.fixture(scope="module")
def copies() -> dict[str, tuple[Feature, object, bytes]]:
    made = {}
    for name, build in FEATURES.items():
        feature = build()
        report, copy = check_file(feature.data, f"{name}.xlsx")
        made[name] = (feature, report, copy)
    return made


def _sheet_text(data: bytes, where: str) -> str:
    if where == "workbook":
        return member(data, "xl/workbook.xml").decode()
    if where == "styles":
        return member(data, "xl/styles.xml").decode()
    if where == "comments":
        return member(data, "xl/comments1.xml").decode()
    if where == "vml":
        return "".join(body.decode() for name, body in members(data).items() if name.endswith(".vml"))
    return member(data, sheet_part(data, where)).decode()


@pytest.mark.parametrize("name", list(FEATURES))
def test_the_feature_comes_back_with_the_marks_on_the_right_cells_and_excels_rules_kept(copies, name):
    feature, report, copy = copies[name]
    assert feature.in_place is (name in IN_PLACE)
    notes = [finding.message for finding in report.findings if finding.code == "content_not_preserved"]
    assert not notes if feature.in_place else unmark(copy) is None, name  # else openpyxl's copy, which says so:
    if not feature.in_place:
        assert len(notes) == 1 and feature.lost and all(label in notes[0] for label in feature.lost)
        assert notes[0] in report.notes  # the results sheet repeats it at its top
    before, after = members(feature.data), members(copy)
    for part in feature.kept:
        assert after.get(part) == before[part], part
    for where, texts in feature.texts.items():
        for text in texts:
            assert text in _sheet_text(feature.data, where), (where, text)  # the builder really put it there
            assert text in _sheet_text(copy, where), (where, text)
    assert "xl/calcChain.xml" not in after and b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert_excels_rules(copy)

    workbook = load_workbook(io.BytesIO(copy))
    assert workbook.sheetnames[0] == RESULTS_SHEET and workbook.sheetnames[-1] == MARKS_SHEET
    wanted = cell_marks(load_workbook(io.BytesIO(feature.data)), report)  # what either writer marks, and how
    assert set(wanted) == {(title, ref) for title, cells in feature.marked.items() for ref in cells}
    for (title, ref), (colour, lines) in wanted.items():
        cell = workbook[title][ref]
        assert cell.fill.fgColor.rgb.endswith(colour), (title, ref)
        assert cell.comment is not None and all(line in cell.comment.text for line in lines), (title, ref)
    marked = {(sheet.title, cell.coordinate) for sheet in workbook.worksheets
              if sheet.title not in (*ADDED_SHEETS, MARKS_SHEET) for row in sheet.iter_rows() for cell in row
              if cell.comment is not None and "selfscore" in cell.comment.text}
    assert marked == {(title, ref) for title, cells in feature.marked.items() for ref in cells}


@pytest.mark.parametrize("name", list(FEATURES))
def test_checking_the_copy_again_takes_exactly_the_marks_out(copies, name):
    feature, report, copy = copies[name]
    if not feature.in_place:  # openpyxl's copy: its marks are removed through openpyxl, and nothing else is lost again
        again = check(copy, name=f"{name}.checked.xlsx")
        assert unmark(copy) is None and again.report.previous is not None
        assert [f.code for f in again.report.findings] == [f.code for f in report.findings
                                                           if f.code != "content_not_preserved"]
        return
    undone = unmark(copy)
    assert undone is not None
    original, restored = members(feature.data), members(undone[0])
    dropped = {"xl/calcChain.xml"} & set(original)
    assert set(restored) == set(original) - dropped
    for part, body in restored.items():
        if dropped and part in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            assert re.sub(rb"<(Override|Relationship)\b[^>]*calcChain[^>]*/>", b"", original[part]) == body
        else:
            assert body == original[part], part
    again = check(copy, name=f"{name}.checked.xlsx")
    assert again.original is not None and again.report.previous is not None
    assert [f.code for f in again.report.findings] == [f.code for f in report.findings]
    _report, second = check_file(copy, f"{name}.checked.xlsx")
    assert_excels_rules(second)
    assert all(members(second).get(part) == original[part] for part in feature.kept)


def test_libreoffice_opens_every_copy_and_a_copy_it_saved_again_is_unmarked_in_its_parts(copies, tmp_path):
    sources = []
    for name, (_feature, _report, copy) in copies.items():
        sources.append(tmp_path / f"{name}.checked.xlsx")
        sources[-1].write_bytes(copy)
    for pdf in convert(sources, "pdf", tmp_path / "pdf"):  # a copy LibreOffice cannot load has no PDF: convert fails
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, pdf.name
    for saved in convert(sources, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved"):
        data = saved.read_bytes()
        name = saved.stem.removesuffix(".checked")
        assert unmark(data) is None, name
        checked = check(data, name=f"{name}.checked.xlsx")
        assert checked.report.previous is not None, name
        # its marks taken out in its parts (write/unmark_resaved.py), not through openpyxl
        assert checked.original is not None, name
        assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(checked.workbook.sheetnames), name
        _report, copy = check_file(data, name=f"{name}.checked.xlsx")
        # LibreOffice's own save may already break a rule (every VML shape "shape_0", a customXml relationship out of
        # the package): the copy adds no broken rule of its own
        assert _broken_rule(copy) in (None, _broken_rule(data)), name


def _broken_rule(data: bytes) -> str | None:
    try:
        assert_excels_rules(data)
    except AssertionError as error:
        return str(error).split("\n")[0]
    return None


def test_a_marked_cell_of_the_protected_score_sheet_stays_editable_and_the_sheet_protected(copies):
    """The score sheet is protected as the template leaves it, its scores unlocked: the mark's format is the cell's own
    with a fill, so the clerk can still type over a marked score, read its comment, and nothing else opens up."""
    feature, _report, copy = copies["conditional_formats"]
    protection = re.search(r"<sheetProtection\b[^>]*/>", _sheet_text(feature.data, SCORE_SHEET)).group(0)
    assert protection in _sheet_text(copy, SCORE_SHEET)  # the filler's protection, as it was
    sheet = load_workbook(io.BytesIO(copy))[SCORE_SHEET]
    assert sheet.protection.sheet
    assert all(not sheet[ref].protection.locked and sheet[ref].comment is not None for ref in SCORED)
    assert sheet["E5"].protection.locked and sheet["E5"].comment is None


@pytest.mark.parametrize(("name", "where", "old", "new"), [
    ("controls", SCORE_SHEET, f'<legacyDrawing r:id="rIdV1"/>{CONTROLS}', f'{CONTROLS}<legacyDrawing r:id="rIdV1"/>'),
    ("controls", "xl/worksheets/_rels/sheet1.xml.rels", 'Id="rIdC1"', 'Id="rIdC9"'),  # a control's relationship gone
    ("controls", "xl/drawings/vmlDrawing1.vml", 'data="1,', 'data="1" x="'),  # the marks' shapes outside its blocks
    ("controls", SCORE_SHEET, 'control shapeId="1025"', 'control shapeId="1099"'),  # a control without its shape
    ("picture_in_cell", SCORE_SHEET, 'vm="1"', 'vm="2"'),  # past the value metadata
    ("conditional_formats", SCORE_SHEET, 'dxfId="0"', 'dxfId="1"'),  # past the differential formats
    ("conditional_formats", "xl/styles.xml", '<xf numFmtId="0" fontId="1"', '<xf numFmtId="170" fontId="1"'),
    ("conditional_formats", "xl/styles.xml", 'pivotButton="0" quotePrefix="0" xfId="0" />',
     'pivotButton="0" quotePrefix="0" xfId="3" />'),  # a cell style that is not there
    ("table", "xl/tables/table1.xml", 'name="序号"', 'name="编号"'),  # a header cell that is not its column's name
    ("cell_checkboxes", "xl/_rels/workbook.xml.rels", 'Target="featurePropertyBag/featurePropertyBag.xml"',
     'Target="featurePropertyBag/missing.xml"'),  # checkbox formats without their feature property bag
    ("renamed_facts_sheet", "问题清单", "location=\"'基础数据 ''B''，二'!", "location=\"'基础数据 'B'，二'!"),  # unquoted
])
def test_the_validator_fails_a_copy_that_breaks_a_rule_a_feature_brings(copies, name, where, old, new):
    _feature, _report, copy = copies[name]
    part = sheet_part(copy, where) if "/" not in where else where
    text = member(copy, part).decode()
    assert old in text
    assert_excels_rules(copy)
    with pytest.raises(AssertionError):
        assert_excels_rules(rezip(copy, {part: text.replace(old, new, 1).encode()}))


def test_a_copy_with_controls_another_program_saved_again_loses_only_the_marks_shapes(copies):
    """A program that rewrote the stylesheet (as Excel and WPS rewrite every part) leaves the record of the edits
    stale: the marks come out cell by cell (write/unmark_resaved.py), and of the drawing shared with the controls only
    the marks' comment shapes leave; the check box, the ActiveX shape and the clerk's own note stay, byte for byte."""
    feature, _report, copy = copies["controls"]
    styles = member(copy, "xl/styles.xml").replace(b"<cellXfs", b"<!-- saved again --><cellXfs", 1)
    resaved = rezip(copy, {"xl/styles.xml": styles})
    assert unmark(resaved) is None
    checked = check(resaved, name="controls.checked.xlsx")
    assert checked.original is not None and checked.report.previous is not None
    vml = member(checked.original, "xl/drawings/vmlDrawing1.vml").decode()
    assert re.findall(r"<v:shape\b.*?</v:shape>", vml, re.S) == [CHECKBOX_SHAPE, NOTE_SHAPE, ACTIVEX_SHAPE]
    assert CONTROLS in member(checked.original, sheet_part(checked.original, SCORE_SHEET)).decode()
    comments = member(checked.original, "xl/comments1.xml").decode()
    assert "selfscore 校验" not in comments and "表头请勿修改" in comments  # (the author list may keep the name)
    _report, again = check_file(resaved, name="controls.checked.xlsx")
    assert_excels_rules(again)
    assert all(members(again)[part] == members(feature.data)[part] for part in feature.kept)


@pytest.mark.parametrize("name", IN_PLACE)
def test_a_copy_another_program_saved_again_is_unmarked_in_its_parts_as_openpyxl_would(copies, name, monkeypatch):
    """Each feature's copy with its stylesheet rewritten (the record of the edits then no longer describes the parts, as
    after a save by Excel or WPS): its marks come out cell by cell in its parts, the feature's parts stay byte for
    byte, and the report is the one openpyxl's route gives, but for what openpyxl's copy says it lost."""
    feature, _report, copy = copies[name]
    styles = member(copy, "xl/styles.xml").replace(b"<cellXfs", b"<!-- saved again --><cellXfs", 1)
    resaved = rezip(copy, {"xl/styles.xml": styles})
    assert unmark(resaved) is None
    checked = check(resaved, name=f"{name}.checked.xlsx")
    assert checked.original is not None and checked.report.previous is not None
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(checked.workbook.sheetnames)
    assert all(member(checked.original, part) == member(feature.data, part) for part in feature.kept)
    for where, texts in feature.texts.items():
        assert all(text in _sheet_text(checked.original, where) for text in texts), where
    report, again = check_file(resaved, name=f"{name}.checked.xlsx")
    assert_excels_rules(again)
    assert report.to_dict() == without_lost_content(through_openpyxl(resaved, monkeypatch, f"{name}.checked.xlsx")[0])


@pytest.mark.parametrize("name", list(FEATURES))
def test_the_report_only_path_reads_each_feature_as_the_full_check_does(copies, name):
    feature, report, _copy = copies[name]
    lean = check(feature.data, name=f"{name}.xlsx", markup=False).report.to_dict()
    assert lean == check(feature.data, name=f"{name}.xlsx").report.to_dict()
    assert [finding["code"] for finding in lean["findings"]] == [finding.code for finding in report.findings
                                                                  if finding.code != "content_not_preserved"]


@pytest.mark.parametrize("name", IN_PLACE)
def test_a_copy_saved_again_as_excel_saves_it_keeps_the_feature_and_reads_as_openpyxls_route(copies, name, monkeypatch):
    """Each feature's copy saved again as Excel and WPS save it (support.resaved.excel_like, by hand: formats
    renumbered, texts into the shared strings, sheets reordered, comments and VML renumbered, printer settings on a
    results sheet): its marks come out in its parts, the feature's parts are left as that save left them, and the
    report is openpyxl's route's; the new copy breaks no rule of Excel's the saved copy kept."""
    feature, _report, copy = copies[name]
    saved = excel_like(copy)
    assert unmark(saved) is None
    checked = check(saved, name=f"{name}.checked.xlsx")
    assert checked.original is not None and checked.report.previous is not None
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(checked.workbook.sheetnames)
    assert all(member(checked.original, part) == member(saved, part) for part in feature.kept)
    report, again = check_file(saved, name=f"{name}.checked.xlsx")
    assert _broken_rule(again) in (None, _broken_rule(saved))
    assert all(member(again, part) == member(saved, part) for part in feature.kept)
    assert report.to_dict() == without_lost_content(through_openpyxl(saved, monkeypatch, f"{name}.checked.xlsx")[0])
