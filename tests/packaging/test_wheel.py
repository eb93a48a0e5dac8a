"""The built wheel is the product: installed (not editable) into a fresh venv, it checks and serves on its own."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; its dependencies come from the test environment's site-packages."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(root / "dist")],
                   check=True, capture_output=True)
    (wheel,) = (root / "dist").glob("selfscore-*.whl")
    target = root / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # A plain path line: the test environment's packages, without running its .pth files (the editable install).
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    return target / "bin"


def run_python(installed: Path, script: str) -> list[str]:
    """The lines ``script`` prints, run by the venv's Python away from the checkout."""
    return subprocess.run([str(installed / "python"), "-c", script], check=True, capture_output=True, text=True,
                          cwd=installed).stdout.splitlines()


def test_the_wheel_carries_the_definitions_and_the_web_files(installed):
    script = ("import selfscore, pathlib; root = pathlib.Path(selfscore.__file__).parent; print(root); "
              "print(sorted(p.name for p in (root / 'schemas').glob('*.toml'))); "
              "print((root / 'web' / 'static' / 'style.css').is_file(), (root / 'web' / 'templates' / 'home.html').is_file(), "
              "(root / 'web' / 'templates' / 'collections' / 'collection.html').is_file())")
    lines = run_python(installed, script)
    assert "site-packages" in lines[0] and str(REPO) not in lines[0]
    assert lines[1] == str(sorted(path.name for path in (REPO / "schemas").glob("*.toml")))
    assert lines[2] == "True True True"


def test_the_installed_command_checks_sample_data_as_the_checkout_does(installed, tmp_path):
    def reports(command: list[str]) -> list[tuple]:
        result = subprocess.run([*command, "check", str(REPO / "sample_data"), "-o", str(tmp_path / "out"), "--json", "-"],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 1, result.stderr  # two samples are faulty on purpose
        return [(report["file"], report["status"], report["totals"], report["counts"],
                 [(finding["code"], finding["cell"]) for finding in report["findings"]])
                for report in json.loads(result.stdout)["reports"]]

    from_wheel = reports([str(installed / "selfscore")])
    assert len(from_wheel) == len(list((REPO / "sample_data").glob("*.xlsx")))
    assert from_wheel == reports([sys.executable, "-m", "selfscore"])


def test_the_installed_web_app_serves_its_page_and_styles(installed):
    script = ("from fastapi.testclient import TestClient; from selfscore.web import create_app; "
              "client = TestClient(create_app()); home = client.get('/'); css = client.get('/static/style.css'); "
              "print(home.status_code, 'selfscore' in home.text, css.status_code, css.headers['content-type'])")
    assert run_python(installed, script)[0].split() == ["200", "True", "200", "text/css;", "charset=utf-8"]


def test_the_installed_package_carries_its_migrations_and_runs_them(installed, tmp_path):
    """Collections need their Alembic migrations inside the wheel: a fresh database gets every table from them."""
    script = ("import pathlib; from sqlalchemy import inspect; from selfscore.collect.database import Database; "
              f"db = Database.in_directory(pathlib.Path({str(tmp_path / 'data')!r})); "
              "print(sorted(inspect(db.engine).get_table_names())); import selfscore.collect; print(selfscore.collect.__file__)")
    lines = run_python(installed, script)
    assert "'submissions'" in lines[0] and "'alembic_version'" in lines[0]
    assert "site-packages" in lines[1] and str(REPO) not in lines[1]
