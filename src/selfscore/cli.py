"""The ``selfscore`` command: a thin shell over the library."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from selfscore.tables.steps import DEFAULT_STEPS, STEP_READING_NAMES, STEP_READINGS  # plain data: --help stays light

#: a progress bar only when a batch takes long enough to wonder about
PROGRESS_AFTER = 5


def chinese_usage_message(error: click.UsageError) -> str:
    """Click's own usage errors in the words a reviewer reads (our own are Chinese already)."""
    ctx = error.ctx
    if isinstance(error, click.MissingParameter) and error.param is not None:
        if error.param.param_type_name == "argument":
            return f"缺少参数 {error.param.make_metavar(ctx)}：请至少给出一个"  # type: ignore[arg-type]
        return f"缺少选项 {error.param.get_error_hint(ctx)}"  # type: ignore[arg-type]
    if isinstance(error, click.NoSuchOption):
        hint = f"（是不是要用 {'、'.join(error.possibilities)}？）" if error.possibilities else ""
        return f"没有这个选项：{error.option_name}{hint}"
    if isinstance(error, click.BadOptionUsage):
        if "does not take a value" in error.message:
            return f"选项 {error.option_name} 用法不对：它后面不跟值"
        return f"选项 {error.option_name} 用法不对：它后面需要跟一个值"
    if isinstance(error, click.BadParameter) and error.param is not None:
        hint = error.param.get_error_hint(ctx)  # type: ignore[arg-type]
        if isinstance(error.param.type, click.Choice):
            meanings: dict[str, str] = dict(STEP_READING_NAMES) if error.param.name == "steps" else {}
            choices = [f"{choice}（{meanings[choice]}）" if choice in meanings else str(choice) for choice in error.param.type.choices]
            return f"{hint} 只能是 {'、'.join(choices)} 之一"
        if isinstance(error.param.type, click.types._NumberRangeBase | click.types.IntParamType | click.types.FloatParamType):
            return f"{hint} 的值无效：应为{'整数' if isinstance(error.param.type, click.types.IntParamType) else '数字'}" + (
                f"（{error.param.type._describe_range()}）" if isinstance(error.param.type, click.types._NumberRangeBase) else "")
        if isinstance(error.param.type, click.Path):
            quoted = re.search(r"'(.+)'", error.message)
            path = f"「{quoted.group(1)}」" if quoted else "给出的路径"
            if "is a file" in error.message:
                return f"{hint} 应是一个目录，但{path}是文件"
            if "is a directory" in error.message:
                return f"{hint} 应是一个文件，但{path}是目录"
            return f"{hint} 的路径无效：{path}无法使用"
        return f"{hint} 的值无效"
    extra = re.fullmatch(r"Got unexpected extra arguments? \((.+)\)", error.message)
    if extra:
        return f"多余的参数：{extra.group(1)}（文件名中有空格时请加引号）"
    unknown = re.fullmatch(r"No such command '(.+)'\.", error.message)
    if unknown and isinstance(ctx.command if ctx else None, click.Group):
        return f"没有这个命令：{unknown.group(1)}；可用的命令：{'、'.join(ctx.command.list_commands(ctx))}"  # type: ignore[union-attr]
    return error.message


HELP_TEXT = "显示此帮助并退出。"


class ChineseCommand(click.Command):
    """A command whose help reads in Chinese: 「用法：」, 「选项」 and the help option's own words."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="用法：")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [param.get_help_record(ctx) for param in self.get_params(ctx) if isinstance(param, click.Option)]
        records = [record for record in records if record is not None]
        if records:
            _section(formatter, "选项", records)


def _section(formatter: click.HelpFormatter, heading: str, rows: list[tuple[str, str]]) -> None:
    # click's own section() ends the heading with an ASCII colon; a Chinese heading takes a full-width one.
    formatter.write_paragraph()
    formatter.write(f"{'':>{formatter.current_indent}}{heading}：\n")
    formatter.indent()
    try:
        formatter.write_dl(rows)
    finally:
        formatter.dedent()


class ChineseGroup(ChineseCommand, click.Group):
    """A command group whose help and usage errors read in Chinese: 「错误：…」 with the usage line and where help is."""

    command_class = ChineseCommand

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            _section(formatter, "命令", rows)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as bare:
            # A bare ``selfscore`` asks what the tool does: the help, not an error.
            click.echo(bare.ctx.get_help() if bare.ctx is not None else "")
            sys.exit(0)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage(), err=True)
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
@click.version_option(package_name="selfscore", message="%(prog)s 版本 %(version)s", help="显示版本号并退出。")
def main() -> None:
    """校验城镇保障性安居工程财政资金绩效自评表：重新计算每项得分，标出错误。

    \b
    常见用法：
      selfscore template -o 模板          # 生成空白模板，供填写
      selfscore check 焦作市.xlsx         # 校验：生成标注副本并输出摘要
      selfscore check 各地报送/ --summary 汇总.xlsx   # 校验整个文件夹并生成汇总表
    查看某个命令的用法：selfscore 命令 --help，如 selfscore check --help
    """


@main.command()
def tables() -> None:
    """列出本工具支持的表格及其代号。"""
    from selfscore.tables.definitions import broken_definitions, load_versions

    loaded = load_versions()
    for versions in loaded.values():
        table = versions[-1]
        years = "" if table.first_year is None and table.last_year is None else f"，适用于{table.years_text}"
        earlier = "".join(f"；另有 {older.id}@{older.template_version}（适用于{older.years_text}）" for older in versions[:-1])
        click.echo(f"{table.id}\t{table.annex} {table.title}（模板版本 {table.template_version}{years}，"
                   f"{len(table.indicators)} 个指标，{len(table.inputs)} 项基础数据{earlier}）")
    # A broken definition disables its own table only; say which and why, so the others are not doubted.
    for broken in broken_definitions():
        if broken.table_id in loaded:   # another version of the table works; this file's version does not
            click.echo(f"{broken.table_id}\t另一版本不可用：定义文件 {broken.file} 有误——{broken.cause}"
                       f"（改正后用 selfscore table check 检查）")
            continue
        click.echo(f"{broken.table_id}\t不可用：定义文件 {broken.file} 有误——{broken.cause}"
                   f"（改正后用 selfscore table check 检查）")


@main.group("table", cls=ChineseGroup)
def table_group() -> None:
    """检查表格定义文件（schemas/*.toml）：新增或修改表格时用。"""


@table_group.command("check")
@click.argument("paths", metavar="文件或目录 ...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def table_check(paths: tuple[Path, ...]) -> None:
    """检查表格定义文件，逐条列出问题：文件、行号、键的位置、发现了什么、怎样改。

    \b
    给出目录时检查其中所有 .toml 文件。有问题时退出码为 1。
    \b
    示例：
      selfscore table check schemas/shantytown.toml
      selfscore table check schemas/
    """
    from selfscore.tables.definitions import check_files

    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise click.ClickException(f"{'、'.join(str(path) for path in paths)} 中没有表格定义文件（*.toml）")
    tables, errors = check_files(files)
    for table in tables:
        if not any(error.file == Path(table.source).name for error in errors):
            click.echo(f"{Path(table.source).name}：没有发现问题（{table.annex} {table.short_title}，"
                       f"{len(table.indicators)} 个指标，{len(table.inputs)} 项基础数据，满分 {table.max_points}）")
            judged = [indicator for indicator in table.indicators
                      if any(type(part).__name__ == "Judged" for part in indicator.parts)]
            for indicator in judged:
                click.echo(f"  由审核人判定（judged，尚未写成规则）：{indicator.id} {indicator.name}——{indicator.criterion}")
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"共发现 {len(errors)} 处问题；改正后再运行 selfscore table check 检查。", err=True)
        sys.exit(1)


@table_group.command("new")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="附件", help="省里通知的附件：Word 表格（.docx）或重新录入的工作簿（.xlsx）。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="定义文件",
              help="写出的表格定义，如 schemas/rental.toml（文件名即表格代号）。")
@click.option("--force", is_flag=True, help="覆盖已存在的定义文件。")
def table_new(source: Path, output: Path, force: bool) -> None:
    """从附件生成表格定义：评分标准能读懂的写成规则，读不懂的写成由审核人判定的指标。

    \b
    同时在定义文件旁写出编译报告（.编译报告.xlsx），逐条列出每个评分标准编译成了什么，供对照附件核对。
    \b
    示例：
      selfscore table new --from 附件3.docx -o schemas/rental.toml
    """
    from selfscore.read.annex import AnnexError, read_annex
    from selfscore.tables.compile import compile_annex
    from selfscore.tables.definitions import DefinitionError, load_definition

    table_id = output.name.split(".")[0]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", table_id):
        raise click.UsageError(f"定义文件名 {output.name} 须以表格代号命名：小写英文字母开头，只含小写字母、数字和下划线（如 rental.toml）")
    if output.exists() and not force:
        raise click.ClickException(f"文件已存在：{output}；确需覆盖时加 --force")
    try:
        annex = read_annex(source)
    except AnnexError as error:
        raise click.ClickException(str(error)) from None
    compiled = compile_annex(annex, table_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(compiled.text, encoding="utf-8")
    for entry in compiled.entries:
        what = f"编译为规则（{entry.phrase}）" if entry.phrase else "未能编译，写为由审核人判定的指标（judged）"
        click.echo(f"{entry.indicator_id} {entry.name}（{entry.points} 分）：{what}")
    share = compiled.compiled / compiled.sentences if compiled.sentences else 0
    click.echo(f"共 {len(compiled.entries)} 个指标、{compiled.sentences} 句评分标准，{compiled.compiled} 句编译为规则（{share:.0%}）。")
    report = output.with_name(f"{output.name.split('.')[0]}.编译报告.xlsx")
    _write_compile_report(compiled.entries, report)
    click.echo(f"已写出：{output}；编译报告：{report}")
    try:
        load_definition(output)
    except DefinitionError as error:
        click.echo(f"生成的定义还需修改：{error}", err=True)
        sys.exit(1)
    click.echo(f"下一步：核对规则后运行 selfscore table check {output}，再用 selfscore template {table_id} 生成模板。")


def _write_compile_report(entries: list, path: Path) -> None:
    """What each criterion was compiled into, sentence by sentence, for the official to read against the annex."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "编译报告"
    sheet.append(["指标 id", "二级指标", "分值", "评分标准（附件原文）", "编译结果", "句数"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for entry in entries:
        sheet.append([entry.indicator_id, entry.name, float(entry.points), entry.criterion,
                      entry.phrase or "未能编译：由审核人判定（judged），请改写为规则", entry.sentences])
    for column, width in zip("ABCDEF", (14, 24, 8, 80, 36, 6), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)


@main.command()
@click.argument("table_ids", metavar="[表格 ...]", nargs=-1)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              metavar="目录", help="模板保存到哪个目录（默认：当前目录）。")
@click.option("--force", is_flag=True, help="覆盖已存在的同名文件（默认不覆盖，以免丢失已填写的内容）。")
def template(table_ids: tuple[str, ...], directory: Path, force: bool) -> None:
    """生成空白模板，每个表格一个 .xlsx 文件（不指定表格时生成全部）。

    \b
    表格：表格代号，见 selfscore tables（如 shantytown、old_communities）；
    较早评价年度适用的版本写作 代号@版本号（如 shantytown@1）。
    同名文件已存在时不覆盖（它可能是已填写的自评表），除非加 --force。
    \b
    示例：
      selfscore template -o 模板
      selfscore template shantytown -o 模板
      selfscore template shantytown@1 -o 模板   # 较早评价年度适用的版本
    """
    from selfscore.tables.definitions import get_table_version, load_tables, load_versions, unavailable
    from selfscore.write.template import write_template

    tables = load_tables()
    chosen = []
    for wanted in table_ids or tuple(tables):
        table_id, _, version = wanted.partition("@")
        table = tables.get(table_id) if not version else (
            get_table_version(table_id, int(version)) if version.isdigit() else None)
        broken = unavailable(table_id) if table is None else None
        if broken is not None:
            raise click.ClickException(f"表格 {table_id} 暂不可用：定义文件 {broken.file} 有误——{broken.cause}")
        if table is None:
            known = ", ".join(f"{other.id}@{other.template_version}" for found in load_versions().values() for other in found)
            raise click.UsageError(f"未知的表格：{wanted}；可用：{', '.join(tables)}（各版本：{known}）")
        chosen.append(table)
    existing = [directory / table.file_name for table in chosen if (directory / table.file_name).exists()]
    if existing and not force:
        # Refuse before writing any: a half-done run would be harder to understand than none.
        raise click.ClickException(
            f"文件已存在：{'、'.join(str(path) for path in existing)}。它可能是已经填写的自评表，为免覆盖，未生成任何模板。"
            "请用 -o 指定另一个目录；确需覆盖时加 --force。")
    for table in chosen:
        click.echo(f"已生成模板：{write_template(table, directory, force=force)}")


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="文件|目录|通配符 ...")
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="目录", help="标注副本保存到哪个目录（默认：与各输入文件放在一起）。")
@click.option("--json", "json_path", type=str, default=None, metavar="路径|-",
              help="另存 JSON 格式的校验报告；写 - 则输出到标准输出。")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="路径.xlsx", help="另存审核用的汇总工作簿（汇总、指标明细、图表）。")
@click.option("--steps", "steps", type=click.Choice(STEP_READINGS), default=DEFAULT_STEPS, metavar="|".join(STEP_READINGS),
              help="「每低 N 个百分点扣 1 分」类规则中不足一档的部分怎么算：ceil = 不足一档按一档计（默认，与焦作市公布结果一致），"
                   "exact = 按比例计，floor = 满一档才计。")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="同时校验的进程数（默认：CPU 核数；1 表示在本进程内逐个校验）。")
@click.option("-q", "--quiet", is_flag=True, help="只输出最后一行合计，不显示每个文件的问题和进度条。")
@click.option("--no-markup", "no_markup", is_flag=True,
              help="不生成标注副本，只输出校验结果（终端、--json、--summary），读取更快。")
def check(files: tuple[str, ...], directory: Path | None, json_path: str | None, summary_path: Path | None,
          steps: str, jobs: int | None, quiet: bool, no_markup: bool) -> None:
    """校验填好的自评表，为每个文件生成标注副本（<文件名>.checked.xlsx）。

    \b
    文件|目录|通配符：要校验的工作簿（.xlsx，也可读取 .xls 和 .ods）、目录
    （递归查找其中的 .xlsx/.xls/.ods，跳过 *.checked.xlsx 标注副本和 ~$ 临时文件）
    或加引号的通配符，如 '各地报送/**/*.xlsx'。
    退出码：0 没有错误（可以有提醒或需人工确认的项），1 有文件存在错误，
    2 有文件无法读取，或命令行有误。
    \b
    示例：
      selfscore check 焦作市.xlsx
      selfscore check sample_data -o out --json out/report.json
      selfscore check 各地报送/ -o out --summary out/汇总.xlsx --jobs 2
    """
    from selfscore.batch import InputError, check_batch, collect_inputs
    from selfscore.results.report import duplicate_groups
    from selfscore.write.render_text import batch_line, duplicate_lines, legend_line, report_lines

    echo = (lambda line: click.echo(line, err=True)) if json_path == "-" else click.echo
    exclude = [path for path in (summary_path, Path(json_path) if json_path not in (None, "-") else None) if path]
    try:
        inputs = collect_inputs(files, directory, exclude, copies=not no_markup)
    except InputError as error:
        raise click.UsageError(str(error)) from None
    if directory is not None and not no_markup:
        directory.mkdir(parents=True, exist_ok=True)

    if not quiet and len(inputs) > PROGRESS_AFTER and sys.stderr.isatty():
        with click.progressbar(length=len(inputs), label="校验中", file=sys.stderr) as bar:
            items = check_batch(inputs, steps=steps, jobs=jobs,  # type: ignore[arg-type]
                                on_done=lambda _item: bar.update(1), markup=not no_markup)
    else:
        items = check_batch(inputs, steps=steps, jobs=jobs, markup=not no_markup)  # type: ignore[arg-type]
    reports = [item.report for item in items]

    if not quiet:
        for item in items:
            for line in report_lines(item.report, str(item.marked_up) if item.marked_up else None, item.input.kept):
                echo(line)
        if any(f.severity != "info" for report in reports for f in report.findings):
            echo(legend_line())
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


def default_data_dir() -> Path:
    """Where collections are kept when --data is not given: the user's data directory (XDG)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "selfscore"


def database_options(command):  # noqa: ANN001, ANN201
    """--data and --database-url, shared by serve and admin: the same database for the server and its admin."""
    command = click.option("--database-url", default=None, metavar="地址", envvar="SELFSCORE_DATABASE_URL",
                           help="收集数据所用的数据库，如 postgresql+psycopg://用户:口令@主机/selfscore"
                                "（默认：--data 目录中的 SQLite；也可用环境变量 SELFSCORE_DATABASE_URL）。")(command)
    return click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录",
                        help="存放收集数据（SQLite 数据库）的目录（默认 ~/.local/share/selfscore）。")(command)


def open_database(data_dir: Path | None, database_url: str | None):  # noqa: ANN201
    """The collections database, migrated; a clear message instead of a traceback when it cannot be opened."""
    from selfscore.collect.database import Database, DatabaseError

    try:
        if database_url:
            return Database(database_url)
        return Database.in_directory(data_dir or default_data_dir())
    except (DatabaseError, OSError) as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--host", default="127.0.0.1", metavar="地址",
              help="监听的地址（默认 127.0.0.1，只允许本机访问；0.0.0.0 表示所有网卡）。")
@click.option("--port", default=8000, type=click.IntRange(0, 65535), metavar="端口", help="监听的端口（默认 8000）。")
@click.option("--max-upload-mb", default=10.0, type=click.FloatRange(min=0, min_open=True), metavar="MB",
              help="每个上传文件的大小上限，单位 MB（默认 10）。")
@click.option("--ttl", "ttl_seconds", default=3600.0, type=click.FloatRange(min=0, min_open=True), metavar="秒",
              help="标注副本可供下载的时间，单位秒，过后删除（默认 3600）。")
@click.option("--processes", type=click.IntRange(min=1), default=None, metavar="个数",
              help="每个服务进程用于校验的工作进程数（默认：可用的 CPU 数除以 --workers）。")
@click.option("--queue", type=click.IntRange(min=0), default=None, metavar="个数",
              help="可排队等待校验的请求数，再多的请求得到 503 和「请 N 秒后重试」（默认：每个工作进程 8 个）。")
@click.option("--check-timeout", "check_seconds", default=60.0, type=click.FloatRange(min=0, min_open=True), metavar="秒",
              help="单个文件校验超过这个时间即停止，并作为问题报告（默认 60）。")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录",
              help="保存标注副本的目录；多个 worker、多个实例应使用同一个目录（默认：用户缓存目录，如 ~/.cache/selfscore/web）。")
@click.option("--workers", type=click.IntRange(min=1), default=1, metavar="个数",
              help="uvicorn 服务进程数，共用端口和标注副本目录（默认 1）。")
@click.option("--root-path", default="", metavar="路径", help="反向代理下的子路径，例如 /selfscore。")
@click.option("--public-url", default=None, metavar="网址",
              help="用户访问的地址，例如 https://intranet/selfscore/；汇总表中的链接和发给各单位的上传链接都以它开头。")
@click.option("--forwarded-allow-ips", default="127.0.0.1", metavar="地址",
              help="信任其 X-Forwarded-For/-Proto 请求头的代理地址，逗号分隔，或 *（默认 127.0.0.1）。")
@click.option("--unit-submissions-per-hour", default=30, type=click.IntRange(min=0), metavar="次数",
              help="每个单位的上传链接一小时内最多提交几次，再多的得到「请 N 分钟后再提交」（默认 30；0 表示不限）。")
@click.option("--unit-mb-per-collection", default=100.0, type=click.FloatRange(min=0), metavar="MB",
              help="每个单位在一次收集中最多保存多少 MB 的原文件（默认 100；0 表示不限）。")
@click.option("--login-window", "login_window", default=900.0, type=click.FloatRange(min=0, min_open=True), metavar="秒",
              help="登录密码错误的计数时间，单位秒（默认 900，即 15 分钟）：其中同一地址输错 5 次、同一用户名输错 10 次后"
                   "暂停登录，直到最早的那次错误超过这个时间。")
@database_options
def serve(host: str, port: int, max_upload_mb: float, ttl_seconds: float, processes: int | None, queue: int | None,
          check_seconds: float, store_dir: Path | None, workers: int, root_path: str, public_url: str | None,
          forwarded_allow_ips: str, login_window: float,
          unit_submissions_per_hour: int, unit_mb_per_collection: float, data_dir: Path | None, database_url: str | None) -> None:
    """启动网页：下载空白模板，上传填好的自评表，下载标注副本。

    \b
    另有供程序调用的 JSON 接口（POST /api/check、POST /api/check.xlsx），说明见 /docs。
    收集各单位自评表的页面在 /collections，数据存放在 --data 目录或 --database-url 指定的数据库中。
    示例：
      selfscore serve --port 8000   # 然后在浏览器中打开 http://127.0.0.1:8000/
      selfscore serve --port 8000 --data /srv/selfscore   # 收集：http://127.0.0.1:8000/collections
      selfscore serve --workers 2 --store /srv/selfscore --root-path /selfscore \\
                      --public-url https://intranet.example/selfscore/   # 在 nginx 之后
    """
    import uvicorn

    from selfscore.web import WebSettings, create_app
    from selfscore.web.app import SETTINGS_VARIABLE
    from selfscore.web.pool import default_processes

    if root_path and not root_path.startswith("/"):
        raise click.BadParameter("必须以 / 开头，例如 /selfscore", param_hint="--root-path")
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Every link sent to units and put in summary workbooks starts with it: a partial address makes them all dead.
            raise click.BadParameter("--public-url 必须是完整的网址（以 http:// 或 https:// 开头），例如 https://intranet.example/selfscore/",
                                     param_hint="--public-url")
    database = open_database(data_dir, database_url)
    settings = WebSettings(
        max_upload_bytes=int(max_upload_mb * 1024 * 1024), ttl_seconds=ttl_seconds,
        processes=processes or max(1, default_processes() // workers), queue=queue, check_seconds=check_seconds,
        store_dir=str(store_dir.resolve()) if store_dir else None, public_url=public_url, database_url=database.url,
        unit_submissions_per_hour=unit_submissions_per_hour,
        unit_bytes_per_collection=int(unit_mb_per_collection * 1024 * 1024),
        login_window_seconds=login_window)
    options = {"host": host, "port": port, "log_level": "info", "root_path": root_path.rstrip("/"),
               "proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
    click.echo(f"selfscore 网页：http://{host}:{port}{root_path.rstrip('/')}/  （Ctrl+C 停止）")
    click.echo(f"收集各单位自评表：http://{host}:{port}{root_path.rstrip('/')}/collections  （数据库：{_shown_url(database.url)}）")
    if workers == 1:
        uvicorn.run(create_app(settings, collections=database), **options)
    else:
        # Each uvicorn worker builds its own app (and pool) from the settings handed down in the environment.
        os.environ[SETTINGS_VARIABLE] = settings.to_environment()
        uvicorn.run("selfscore.web.app:app_from_environment", factory=True, workers=workers, **options)


def _shown_url(url: str) -> str:
    """A database URL without its password, for the console."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group(cls=ChineseGroup)
def admin() -> None:
    """管理收集功能：用户、密码、API 令牌，以及备份与恢复。"""


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次")


@admin.command("add-user")
@database_options
@click.argument("name", metavar="用户名")
@click.option("--role", type=click.Choice(["admin", "reviewer"]), default="reviewer",
              help="admin：管理员，管理用户、能看到全部收集；reviewer（默认）：复核人员，只能看到自己新建或被加入的收集。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码，而不是交互输入（输入两次，不显示）。")
def add_user(data_dir: Path | None, database_url: str | None, name: str, role: str, password_stdin: bool) -> None:
    """新建一个可以登录收集页面的用户（密码至少 10 个字符，空格不计；只保存 scrypt 哈希）。

    示例：selfscore admin add-user 张三 --role reviewer --data /srv/selfscore
    """
    from selfscore.collect.access import ROLES, Access, PasswordTooWeak, UserRefused

    password = _new_password(password_stdin)
    try:
        Access(open_database(data_dir, database_url)).add_user(name, password, role)
    except (PasswordTooWeak, UserRefused) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已新建用户「{' '.join(name.split())}」（{ROLES[role]}）。")


@admin.command("set-password")
@database_options
@click.argument("name", metavar="用户名", required=False, default="admin")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码，而不是交互输入。")
def set_password(data_dir: Path | None, database_url: str | None, name: str, password_stdin: bool) -> None:
    """设置一个用户的密码（不写用户名时为管理员 admin；admin 还不存在时新建它）。

    密码至少 10 个字符（空格不计）；只保存 scrypt 哈希，不保存密码本身。这个用户已登录的会话都会退出。

    示例：selfscore admin set-password 张三 --data /srv/selfscore
    """
    from selfscore.collect.access import ADMIN_NAME, Access, PasswordTooWeak, UserRefused

    password = _new_password(password_stdin)
    access = Access(open_database(data_dir, database_url))
    try:
        if name == ADMIN_NAME:
            access.set_password(password)
        else:
            access.set_user_password(name, password)
    except (PasswordTooWeak, UserRefused) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"「{name}」的密码已设置；用这个用户登录的会话都已退出。")


@admin.command("disable-user")
@database_options
@click.argument("name", metavar="用户名")
def disable_user(data_dir: Path | None, database_url: str | None, name: str) -> None:
    """停用一个用户：不能再登录，已登录的会话退出，其 API 令牌失效（记录保留）。"""
    from selfscore.collect.access import Access, UserRefused

    try:
        Access(open_database(data_dir, database_url)).disable_user(name)
    except UserRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"用户「{name}」已停用。")


@admin.command("list-users")
@database_options
def list_users(data_dir: Path | None, database_url: str | None) -> None:
    """列出用户：用户名、角色、新建时间和是否停用（不显示密码）。"""
    from selfscore.collect.access import Access
    from selfscore.collect.times import local_text

    for user in Access(open_database(data_dir, database_url)).users():
        state = f"已于 {local_text(user.disabled_at)} 停用" if user.disabled_at else "可登录"  # type: ignore[arg-type]
        click.echo(f"{user.name}\t{user.role_name}\t{local_text(user.created_at)}\t{state}")


@admin.command("create-token")
@database_options
@click.argument("name", metavar="用途")
@click.option("--user", "user_name", default="admin", metavar="用户名",
              help="令牌属于哪个用户（默认 admin）：通过接口只能看到这个用户能看到的收集。")
def create_token(data_dir: Path | None, database_url: str | None, name: str, user_name: str) -> None:
    """生成一个收集 JSON 接口用的 API 令牌并打印（只显示这一次）。

    示例：selfscore admin create-token 省厅汇总系统 --data /srv/selfscore
    """
    from selfscore.collect.access import Access, UserRefused

    try:
        click.echo(Access(open_database(data_dir, database_url)).create_api_token(name, user_name))
    except UserRefused as error:
        raise click.ClickException(f"{error}请先用 selfscore admin add-user 新建，或用 --user 指定。") from None


@admin.command("list-tokens")
@database_options
def list_tokens(data_dir: Path | None, database_url: str | None) -> None:
    """列出 API 令牌：编号、用途、生成时间和是否作废（不显示令牌本身）。"""
    from selfscore.collect.access import Access
    from selfscore.collect.times import local_text

    for token in Access(open_database(data_dir, database_url)).api_tokens():
        click.echo(f"{token.id}\t{token.name}\t{local_text(token.created_at)}\t{'已作废' if token.revoked_at else '有效'}")


@admin.command("revoke-token")
@database_options
@click.argument("token_id", type=int, metavar="编号")
def revoke_token(data_dir: Path | None, database_url: str | None, token_id: int) -> None:
    """按编号作废一个 API 令牌（编号见 list-tokens）。"""
    from selfscore.collect.access import Access

    if not Access(open_database(data_dir, database_url)).revoke_api_token(token_id):
        raise click.ClickException(f"没有编号为 {token_id} 的有效令牌。")
    click.echo(f"令牌 {token_id} 已作废。")


@admin.command("backup")
@database_options
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path), metavar="备份文件")
def backup(data_dir: Path | None, database_url: str | None, output: Path) -> None:
    """把收集数据库（--data 目录中的 SQLite）备份到一个新文件；服务运行、各单位仍在提交时也可以备份。

    备份是某一时刻完整一致的数据库副本（只有本用户可读），不覆盖已有的文件。
    PostgreSQL 数据库请用 pg_dump 备份（本命令会给出示例）。

    示例：selfscore admin backup --data /srv/selfscore /backup/selfscore-2021-03-05.sqlite3
    """
    from selfscore.collect import backup as backups
    from selfscore.collect.database import SQLITE_FILE, sqlite_file

    if database_url and sqlite_file(database_url) is None:
        raise click.ClickException(backups.postgres_advice(database_url, restoring=False))
    database = sqlite_file(database_url) if database_url else (data_dir or default_data_dir()) / SQLITE_FILE
    try:
        contents = backups.backup(database, output)  # type: ignore[arg-type]
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已备份到 {output}：{contents.text()}。恢复：selfscore admin restore {output} --data 新目录")


@admin.command("restore")
@database_options
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path), metavar="备份文件")
def restore(data_dir: Path | None, database_url: str | None, backup_file: Path) -> None:
    """把 selfscore admin backup 做的备份恢复到一个新的（或空的）数据目录，再用 serve --data 指向它。

    恢复前逐份核对每个提交的原文件与收到时记录的 SHA-256；不一致则不恢复。
    PostgreSQL 数据库请用 pg_restore 恢复（本命令会给出示例）。

    示例：selfscore admin restore /backup/selfscore-2021-03-05.sqlite3 --data /srv/selfscore-restored
    """
    from selfscore.collect import backup as backups
    from selfscore.collect.database import DatabaseError, sqlite_file

    if database_url and sqlite_file(database_url) is None:
        raise click.ClickException(backups.postgres_advice(database_url, restoring=True))
    if data_dir is None:
        raise click.UsageError("请用 --data 指定恢复到的新目录（必须不存在或为空）。")
    try:
        contents = backups.restore(backup_file, data_dir)
    except (backups.BackupError, DatabaseError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已恢复到 {data_dir}：{contents.text()}，每份原文件的 SHA-256 均已核对。启动：selfscore serve --data {data_dir}")
