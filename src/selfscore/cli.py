"""The ``selfscore`` command: a thin shell over the library."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

STEP_CHOICES = ("ceil", "exact", "floor")
#: a progress bar only when a batch takes long enough to wonder about
PROGRESS_AFTER = 5


def chinese_usage_message(error: click.UsageError) -> str:
    """Click's own usage errors in the words a reviewer reads (our own are Chinese already)."""
    ctx = error.ctx
    if isinstance(error, click.MissingParameter) and error.param is not None:
        return f"缺少{'参数' if error.param.param_type_name == 'argument' else '选项'} {error.param.get_error_hint(ctx)}"  # type: ignore[arg-type]
    if isinstance(error, click.NoSuchOption):
        hint = f"（是不是要用 {'、'.join(error.possibilities)}？）" if error.possibilities else ""
        return f"没有这个选项：{error.option_name}{hint}"
    if isinstance(error, click.BadOptionUsage):
        return f"选项 {error.option_name} 用法不对：它后面需要跟一个值"
    if isinstance(error, click.BadParameter) and error.param is not None:
        hint = error.param.get_error_hint(ctx)  # type: ignore[arg-type]
        if isinstance(error.param.type, click.Choice):
            return f"{hint} 只能是 {'、'.join(map(str, error.param.type.choices))} 之一"
        if isinstance(error.param.type, click.types._NumberRangeBase | click.types.IntParamType | click.types.FloatParamType):
            return f"{hint} 的值无效：应为{'整数' if isinstance(error.param.type, click.types.IntParamType) else '数字'}" + (
                f"（{error.param.type._describe_range()}）" if isinstance(error.param.type, click.types._NumberRangeBase) else "")
        return f"{hint} 的值无效：{error.message}"
    unknown = re.fullmatch(r"No such command '(.+)'\.", error.message)
    if unknown and isinstance(ctx.command if ctx else None, click.Group):
        return f"没有这个命令：{unknown.group(1)}；可用的命令：{'、'.join(ctx.command.list_commands(ctx))}"  # type: ignore[union-attr]
    return error.message


class ChineseGroup(click.Group):
    """A command group whose usage errors read in Chinese: 「错误：…」 with the usage line and where help is."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage().replace("Usage:", "用法：", 1), err=True)
                click.echo(f"查看帮助：{error.ctx.command_path} --help", err=True)
            click.echo(f"错误：{chinese_usage_message(error)}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"错误：{error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("已取消。", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    from selfscore.tables.definitions import load_versions

    for versions in load_versions().values():
        table = versions[-1]
        years = "" if table.first_year is None and table.last_year is None else f"，适用于{table.years_text}"
        earlier = "".join(f"；另有 {older.id}@{older.template_version}（适用于{older.years_text}）" for older in versions[:-1])
        click.echo(f"{table.id}\t{table.annex} {table.title}（模板版本 {table.template_version}{years}，"
                   f"{len(table.indicators)} 个指标，{len(table.inputs)} 项基础数据{earlier}）")


@main.command()
@click.argument("table_ids", metavar="[TABLE ...]", nargs=-1)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the templates into.")
def template(table_ids: tuple[str, ...], directory: Path) -> None:
    """Write blank templates, one .xlsx per table (all tables when none is named).

    A table's earlier version (for an earlier 评价年度) is TABLE@VERSION.

    Example: selfscore template shantytown -o 模板
    """
    from selfscore.tables.definitions import get_table_version, load_tables, load_versions
    from selfscore.write.template import write_template

    tables = load_tables()
    chosen = []
    for wanted in table_ids or tuple(tables):
        table_id, _, version = wanted.partition("@")
        table = tables.get(table_id) if not version else (
            get_table_version(table_id, int(version)) if version.isdigit() else None)
        if table is None:
            known = ", ".join(f"{other.id}@{other.template_version}" for found in load_versions().values() for other in found)
            raise click.UsageError(f"未知的表格：{wanted}；可用：{', '.join(tables)}（各版本：{known}）")
        chosen.append(table)
    for table in chosen:
        click.echo(f"已生成模板：{write_template(table, directory)}")


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE|DIR|GLOB ...")
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the marked-up copies (default: next to each input).")
@click.option("--json", "json_path", type=str, default=None, metavar="PATH|-",
              help="Also write the JSON report to PATH, or to standard output with '-'.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PATH.xlsx", help="Also write a reviewer's summary workbook (汇总, 指标明细, 图表).")
@click.option("--steps", "step_reading", type=click.Choice(STEP_CHOICES), default="ceil", show_default=True,
              help="How a started step of a 'per N points below target' rule counts: ceil = a started step is "
                   "a whole step, exact = proportionally, floor = only whole steps.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of CPUs; 1 checks in this process).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the one-line total, no progress bar.")
def check(files: tuple[str, ...], directory: Path | None, json_path: str | None, summary_path: Path | None,
          step_reading: str, jobs: int | None, quiet: bool) -> None:
    """Check filled workbooks and write a marked-up copy of each (<name>.checked.xlsx).

    \b
    FILE|DIR|GLOB: workbooks, directories (searched recursively for *.xlsx, skipping
    *.checked.xlsx copies and ~$ lock files) or quoted globs such as 'in/**/*.xlsx'.
    Exit status: 0 no errors (warnings allowed), 1 some workbook has errors,
    2 some file cannot be read as a selfscore template.
    \b
    Examples:
      selfscore check sample_data/*.xlsx -o out --json out/report.json
      selfscore check 各地报送/ -o out --summary out/汇总.xlsx --jobs 2
    """
    from selfscore.batch import InputError, check_batch, collect_inputs
    from selfscore.results.report import duplicate_groups
    from selfscore.write.render_text import batch_line, duplicate_lines, report_lines

    echo = (lambda line: click.echo(line, err=True)) if json_path == "-" else click.echo
    exclude = [path for path in (summary_path, Path(json_path) if json_path not in (None, "-") else None) if path]
    try:
        inputs = collect_inputs(files, directory, exclude)
    except InputError as error:
        raise click.UsageError(str(error)) from None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)

    if not quiet and len(inputs) > PROGRESS_AFTER and sys.stderr.isatty():
        with click.progressbar(length=len(inputs), label="校验中", file=sys.stderr) as bar:
            items = check_batch(inputs, step_reading=step_reading, jobs=jobs,  # type: ignore[arg-type]
                                on_done=lambda _item: bar.update(1))
    else:
        items = check_batch(inputs, step_reading=step_reading, jobs=jobs)  # type: ignore[arg-type]
    reports = [item.report for item in items]

    if not quiet:
        for item in items:
            for line in report_lines(item.report, str(item.marked_up) if item.marked_up else None):
                echo(line)
    echo(batch_line(reports))
    for line in duplicate_lines(reports, duplicate_groups(reports)):
        echo(line)

    if summary_path is not None:
        from selfscore.write.summary import summary_bytes

        summary_path.parent.mkdir(parents=True, exist_ok=True)
        # Links are relative, so the summary and the copies can be moved or zipped together.
        links = [os.path.relpath(item.marked_up.resolve(), summary_path.parent.resolve()) if item.marked_up else None
                 for item in items]
        summary_path.write_bytes(summary_bytes(reports, links))
        echo(f"汇总表：{summary_path}")
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
