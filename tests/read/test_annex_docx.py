"""The annex's Word table is read with defusedxml, not python-docx: python-docx needs lxml, and with lxml installed
openpyxl parses every workbook through lxml instead of defusedxml, whose refusals read/safety.py relies on."""

from __future__ import annotations

import zipfile
from importlib.metadata import requires

import openpyxl.xml
from click.testing import CliRunner

from selfscore.cli import main
from support.word import write_docx

BOMB = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
        '<w:t>&c;</w:t></w:r></w:p></w:body></w:document>')


def test_neither_python_docx_nor_lxml_is_required_and_openpyxl_parses_with_defusedxml():
    needed = " ".join(requires("selfscore") or []).lower()
    assert "python-docx" not in needed and "lxml" not in needed
    assert (openpyxl.xml.LXML, openpyxl.xml.DEFUSEDXML) == (False, True)


def test_an_annex_with_entities_is_refused_in_chinese(tmp_path):
    annex = write_docx(tmp_path / "附件.docx", ["附件1"], [["一级指标", "二级指标", "分值", "评分标准"]])
    with zipfile.ZipFile(annex) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["word/document.xml"] = BOMB.encode()
    with zipfile.ZipFile(annex, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    result = CliRunner().invoke(main, ["table", "new", "--from", str(annex), "-o", str(tmp_path / "trial.toml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "附件.docx：不是可以读取的 Word 文档（.docx）：EntitiesForbidden" in result.output
    assert not (tmp_path / "trial.toml").exists()
