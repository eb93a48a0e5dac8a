"""The ``selfscore`` command: a thin shell over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

STEP_CHOICES = ("ceil", "exact", "floor")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="selfscore")
def main() -> None:
    """Check performance self-assessment tables (绩效自评表) of urban affordable-housing funds.

    \b
    Typical use:
      selfscore template -o 模板          # blank templates to fill in
      selfscore check 焦作市.xlsx         # marked-up copy + summary
    """


@main.command()
def tables() -> None:
    """List the tables selfscore knows, with their ids."""
    from selfscore.definitions import load_tables

    for table in load_tables().values():
        click.echo(f"{table.id}\t{table.annex} {table.title}（模板版本 {table.template_version}，"
                   f"{len(table.indicators)} 个指标，{len(table.inputs)} 项基础数据）")


@main.command()
@click.argument("table_ids", metavar="[TABLE ...]", nargs=-1)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the templates into.")
def template(table_ids: tuple[str, ...], directory: Path) -> None:
    """Write blank templates, one .xlsx per table (all tables when none is named).

    Example: selfscore template shantytown -o 模板
    """
    from selfscore.definitions import load_tables
    from selfscore.template import write_template

    tables = load_tables()
    unknown = [table_id for table_id in table_ids if table_id not in tables]
    if unknown:
        raise click.UsageError(f"未知的表格：{', '.join(unknown)}；可用：{', '.join(tables)}")
    for table_id in table_ids or tuple(tables):
        click.echo(f"已生成模板：{write_template(tables[table_id], directory)}")


def marked_up_path(source: Path, directory: Path | None) -> Path:
    """Where the marked-up copy of ``source`` goes: <name>.checked.xlsx, never over the source itself."""
    stem = source.name[: -len(source.suffix)] if source.suffix else source.name
    while stem.endswith(".checked"):
        stem = stem[: -len(".checked")]
    target = (directory or source.parent) / f"{stem}.checked.xlsx"
    number = 2
    while target.resolve() == source.resolve():
        target = target.with_name(f"{stem}.checked-{number}.xlsx")
        number += 1
    return target


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the marked-up copies (default: next to each input).")
@click.option("--json", "json_path", type=str, default=None, metavar="PATH|-",
              help="Also write the JSON report to PATH, or to standard output with '-'.")
@click.option("--steps", "step_reading", type=click.Choice(STEP_CHOICES), default="ceil", show_default=True,
              help="How a started step of a 'per N points below target' rule counts: ceil = a started step is "
                   "a whole step, exact = proportionally, floor = only whole steps.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the one-line total.")
def check(files: tuple[Path, ...], directory: Path | None, json_path: str | None, step_reading: str, quiet: bool) -> None:
    """Check filled workbooks and write a marked-up copy of each (<name>.checked.xlsx).

    \b
    Exit status: 0 no errors (warnings allowed), 1 some workbook has errors,
    2 some file cannot be read as a selfscore template.
    Example: selfscore check sample_data/*.xlsx -o out --json out/report.json
    """
    from selfscore.checking import check_and_mark_up
    from selfscore.render_text import batch_line, report_lines

    echo = (lambda line: click.echo(line, err=True)) if json_path == "-" else click.echo
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    reports = []
    for path in files:
        report, marked_up = check_and_mark_up(path, step_reading=step_reading)  # type: ignore[arg-type]
        target = None
        if marked_up is not None:
            target = marked_up_path(path, directory)
            target.write_bytes(marked_up)
        reports.append(report)
        if not quiet:
            for line in report_lines(report, str(target) if target else None):
                echo(line)
    echo(batch_line(reports))

    if json_path is not None:
        payload = json.dumps({"reports": [report.to_dict() for report in reports]}, ensure_ascii=False, indent=2)
        if json_path == "-":
            click.echo(payload)
        else:
            Path(json_path).parent.mkdir(parents=True, exist_ok=True)
            Path(json_path).write_text(payload + "\n", encoding="utf-8")
    if any(report.status == "unreadable" for report in reports):
        sys.exit(2)
    sys.exit(1 if any(report.status == "errors" for report in reports) else 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--max-upload-mb", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Largest accepted upload, per file, in MB.")
@click.option("--ttl", "ttl_seconds", default=3600.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds a marked-up workbook stays downloadable before it is deleted.")
def serve(host: str, port: int, max_upload_mb: float, ttl_seconds: float) -> None:
    """Serve the web page: blank templates, upload filled workbooks, download the marked-up copies.

    \b
    Also a JSON API for programs (POST /api/check, POST /api/check.xlsx); docs at /docs.
    Example: selfscore serve --port 8000   # then open http://127.0.0.1:8000/
    """
    import uvicorn

    from selfscore.web import create_app

    app = create_app(max_upload_bytes=int(max_upload_mb * 1024 * 1024), ttl_seconds=ttl_seconds)
    click.echo(f"selfscore 网页：http://{host}:{port}/  （Ctrl+C 停止）")
    uvicorn.run(app, host=host, port=port, log_level="info")
