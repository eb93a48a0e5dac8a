"""Workbooks converted by LibreOffice, the way a clerk's office saves them, cached by what they hold.

soffice takes seconds to start, and the same conversions are asked for again and again (every test run,
and hundreds of times in a mutation run). A conversion is kept under the system's temporary directory,
keyed by the source's content (its cells and parts, not the save time openpyxl writes into
docProps/core.xml), the export filter and the LibreOffice installed; a cache miss converts for real.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

#: where conversions are kept (``SELFSCORE_SOFFICE_CACHE`` to move it)
CACHE = Path(os.environ.get("SELFSCORE_SOFFICE_CACHE") or Path(tempfile.gettempdir()) / f"selfscore-soffice-{os.getuid()}")


def soffice() -> str:
    """The LibreOffice program: a test without it is skipped, except in CI, where it must be installed."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (.ci/run installs libreoffice-calc-nogui)")
        pytest.skip("LibreOffice (soffice) is not installed")
    return program


def _content_key(data: bytes) -> bytes:
    """What a workbook holds, without the time it was saved (a zip's members other than core.xml)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = sorted(name for name in archive.namelist() if name != "docProps/core.xml")
            return b"\0".join(name.encode() + b"\0" + archive.read(name) for name in members)
    except zipfile.BadZipFile:
        return data


def _key(source: Path, target: str, program: str) -> str:
    installed = Path(program).resolve()
    digest = hashlib.sha256(_content_key(source.read_bytes()))
    digest.update(f"\0{target}\0{installed}\0{installed.stat().st_mtime_ns}".encode())
    return digest.hexdigest()


def convert(sources: list[Path], target: str, outdir: Path) -> list[Path]:
    """Each source converted to ``target`` (``xls``, or ``suffix:filter`` as soffice's --convert-to takes it) into
    ``outdir`` under the source's own stem; one soffice run for all that are not in the cache yet."""
    program = soffice()
    suffix = target.split(":", 1)[0]
    keys = {source: _key(source, target, program) for source in sources}
    missing = [source for source, key in keys.items() if not (CACHE / f"{key}.{suffix}").is_file()]
    if missing:
        with tempfile.TemporaryDirectory() as directory:
            subprocess.run([program, "--headless", f"-env:UserInstallation=file://{directory}/lo", "--convert-to", target,
                            "--outdir", f"{directory}/out", *map(str, missing)],
                           check=True, capture_output=True, timeout=300 + 30 * len(missing))  # only against a hang
            CACHE.mkdir(parents=True, exist_ok=True)
            for source in missing:
                kept = CACHE / f"{keys[source]}.{suffix}"
                partial = kept.with_name(f"{kept.name}.{os.getpid()}")  # two runs at once never see half a file
                shutil.copyfile(Path(directory) / "out" / f"{source.stem}.{suffix}", partial)
                partial.replace(kept)
    outdir.mkdir(parents=True, exist_ok=True)
    converted = []
    for source in sources:
        shutil.copyfile(CACHE / f"{keys[source]}.{suffix}", outdir / f"{source.stem}.{suffix}")
        converted.append(outdir / f"{source.stem}.{suffix}")
    return converted


def converted_bytes(data: bytes, target: str) -> bytes:
    """One workbook's bytes converted to ``target`` (see ``convert``)."""
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "t.xlsx"
        source.write_bytes(data)
        return convert([source], target, Path(directory) / "out")[0].read_bytes()
