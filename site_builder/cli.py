"""The command-line shell: parse options, call one function, report problems and set the exit code.

Exit codes: 0 clean, 1 the data has errors (or ``fmt --check`` found files to format,
``upgrade --check`` files to upgrade),
2 usage or internal errors, 130 interrupted (Ctrl-C).

It is about 590 lines, one short block for each command (its options, its help in Chinese
and English, its output): click is imported here only, so every command's options are too.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from site_builder import __version__, build, report
from site_builder.engine import parallel
from site_builder.engine.timings import Timings
from site_builder.errors import DataError, SiteBuilderError
from site_builder.publishing import output

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED = 128 + 2  # the exit code of a command stopped by Ctrl-C (SIGINT)


def _root(ctx: click.Context) -> Path:
    return Path(ctx.obj["root"])


def _print_problems(problems: list, fmt: str) -> None:  # type: ignore[type-arg]
    out = report.format_problems(problems, fmt)
    click.echo(out, nl=False)
    if fmt != "json":
        click.echo(report.summary(problems), err=True)


def reported(func: F) -> F:
    """Turn library errors into messages and exit codes; never show a traceback for bad data."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataError as exc:
            ctx = click.get_current_context()
            _print_problems(exc.problems, ctx.params.get("fmt", "text"))
            sys.exit(exc.exit_code)
        except SiteBuilderError as exc:
            click.echo(f"site-builder: 错误：{exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            # Ctrl-C: whatever was being written is dropped (see output.staged); 130 is
            # what shells report for a program stopped by SIGINT.
            click.echo("site-builder: 已中断（Ctrl-C）。", err=True)
            sys.exit(INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as exc:  # an internal error: a bug to report, not a data problem
            if os.environ.get("SITE_BUILDER_DEBUG"):
                traceback.print_exc()
            click.echo(
                f"site-builder: 内部错误（请报告此问题，设置 SITE_BUILDER_DEBUG=1 可查看详情）：{type(exc).__name__}: {exc}",
                err=True,
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "root",
    default=".",
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True),
    help="在 DIR 中运行（仓库目录），如同先 cd DIR。",
)
@click.version_option(__version__, prog_name="site-builder")
@click.pass_context
def main(ctx: click.Context, root: str) -> None:
    """权责清单站点构建工具：校验数据、生成静态网站。

    Validate a power-list repository and build its static site.
    """
    ctx.obj = {"root": root}


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(report.FORMATS),
    default="text",
    show_default=True,
    help="输出格式：text（人读）、json、github（工作流注释）。",
)
STRICT = click.option("--strict", is_flag=True, help="把警告也当作错误。")


@main.command()
@FORMAT
@STRICT
@click.pass_context
@reported
def validate(ctx: click.Context, fmt: str, strict: bool) -> None:
    """校验全部数据文件，列出所有问题（按文件和行排序）。

    Check every data file, then every rule across records.
    """
    checked = build.check_repository(_root(ctx), strict, parallel.jobs_for(None))
    _print_problems(checked.problems, fmt)
    sys.exit(1 if report.has_errors(checked.problems) else 0)


@main.command("build")
@click.option(
    "--out",
    default="public",
    show_default=True,
    type=click.Path(file_okay=False),
    help="输出目录（相对于仓库目录）。",
)
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="允许数据有未提交的修改（仅用于预览；正式发布只发布已提交的内容）。",
)
@click.option(
    "--lock-timeout",
    default=output.LOCK_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="另一个构建正在写入同一输出目录时，最多等待的秒数；0 表示不等待，立即退出。",
)
@click.option(
    "--jobs",
    "-j",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="同时使用的进程数；0 表示每个处理器核心一个。Processes to use (0: one per core).",
)
@click.option(
    "--timings",
    is_flag=True,
    help="构建后列出各阶段用时。Print how long each stage took.",
)
@FORMAT
@STRICT
@click.pass_context
@reported
def build_command(
    ctx: click.Context,
    out: str,
    allow_dirty: bool,
    lock_timeout: float,
    jobs: int,
    timings: bool,
    fmt: str,
    strict: bool,
) -> None:
    """校验数据并生成网站；数据有错误时不写入任何文件。

    Validate, then write the site; nothing is written when the data has errors.
    One build at a time writes into an output folder: a second one waits for the first.
    """
    root = _root(ctx)
    target = Path(out) if Path(out).is_absolute() else root / out

    def waiting() -> None:
        click.echo(
            f"另一个构建正在写入 {out.rstrip('/')}/，等待中…（最多 {lock_timeout:g} 秒）", err=True
        )

    clock = Timings()
    with output.lock(target, lock_timeout, waiting):
        checked = build.build(
            root, target, strict, allow_dirty=allow_dirty, jobs=jobs, timings=clock
        )
    if checked.problems:
        _print_problems(checked.problems, fmt)
    if timings:
        for stage in clock.stages:
            mark = "（与其他阶段并行）" if stage.parallel else ""
            click.echo(f"  {stage.name:<30} {stage.seconds:8.2f} 秒{mark}", err=True)
    if clock.notes.get("unchanged"):
        click.echo(f"输入没有变化，输出已是最新：{target}", err=True)
    else:
        click.echo(f"已生成网站：{target}", err=True)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="端口；0 表示任选空闲端口。",
)
@click.pass_context
@reported
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """在本机预览网站：构建、提供访问，并在数据或模板修改后自动重新构建。

    Build, serve on localhost, and rebuild when data or templates change.
    """
    from site_builder.tools import serve

    def on_build(checked: build.Checked | None, failure: SiteBuilderError | None) -> None:
        # Everything serve prints is a log line, so it all goes to stderr.
        if isinstance(failure, DataError):
            click.echo(report.format_problems(failure.problems, "text"), nl=False, err=True)
            click.echo("构建失败：继续提供上一次成功构建的网站。", err=True)
        elif failure is not None:
            click.echo(f"site-builder: 错误：{failure}", err=True)
        else:
            if checked and checked.problems:
                click.echo(report.format_problems(checked.problems, "text"), nl=False, err=True)
            click.echo("已构建。", err=True)

    serve.serve(
        _root(ctx),
        host,
        port,
        on_build,
        lambda url: click.echo(f"预览地址：{url}（按 Ctrl+C 停止）", err=True),
    )


@main.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@reported
def verify_command(folder: str) -> None:
    """核对镜像的副本与其清单 build.json：列出缺失、多余和被改动的文件。

    Check a mirror's copy of a built site against its build.json; exit 1 on any mismatch.
    """
    from site_builder.publishing import manifest

    found = manifest.verify(Path(folder))
    for m in found:
        click.echo(f"{m.path}: {m.kind}{'：' + m.detail if m.detail else ''}")
    if found:
        click.echo(f"核对失败：{len(found)} 处与清单不符。", err=True)
        sys.exit(1)
    click.echo("核对通过：所有文件与清单一致。", err=True)


@main.group()
def new() -> None:
    """新建记录的模板。 Scaffold new records."""


@new.command("power")
@click.option("--department", required=True, help="部门标识（data/departments/ 下的文件夹名）。")
@click.option("--category", required=True, help="职权类别，例如 行政许可。")
@click.option("--name", required=True, help="职权名称。")
@click.option("--id", "power_id", default=None, help="职权标识；默认按“部门-类别字母-序号”生成。")
@click.pass_context
@reported
def new_power(
    ctx: click.Context, department: str, category: str, name: str, power_id: str | None
) -> None:
    """写出一个新职权的模板文件，每个字段都带中文说明。

    Write a scaffold for a new power, with a comment on every field.
    """
    from site_builder.tools import scaffold

    path = scaffold.new_power(_root(ctx), department, category, name, power_id)
    click.echo(path.as_posix())
    click.echo("已创建模板：请填写标为“必填”的字段，然后运行 site-builder validate。", err=True)


@main.command("schema")
@click.option("--check", is_flag=True, help="只检查，不写入：有需要更新的模式文件时退出码为 1。")
@click.option("--force", is_flag=True, help="替换本仓库自己维护的模式文件。")
@click.pass_context
@reported
def schema_command(ctx: click.Context, check: bool, force: bool) -> None:
    """按本工具的默认模式和 site.yaml 的类别写出 schema/（编辑器提示和网站公布的模式）。

    Write schema/ from the tool's default schemas and site.yaml's categories.
    """
    from site_builder.tools import schema_update

    result = schema_update.update(_root(ctx), check=check, force=force)
    for rel in result.written:
        click.echo(rel)
    if result.kept:
        click.echo(
            f"{len(result.kept)} 个模式文件由本仓库自己维护，未检查（加 --force 改用生成的模式）。",
            err=True,
        )
    if check and result.written:
        click.echo(
            f"{len(result.written)} 个模式文件需要更新：请运行 site-builder schema。", err=True
        )
        sys.exit(1)
    done = "已更新" if result.written else "无需更新"
    click.echo(
        f"模式文件{done}（{len(result.written)} 个写入，{len(result.unchanged)} 个不变）。",
        err=True,
    )


@new.command("department")
@click.option(
    "--id",
    "department",
    required=True,
    help="部门标识：小写英文字母、数字和连字符，例如 ziran-ziyuan。",
)
@click.option("--name", required=True, help="部门全称，例如 某某市自然资源局。")
@click.option(
    "--jurisdiction", default=None, help="所属行政区域的标识；默认为 site.yaml 中的主行政区域。"
)
@click.option(
    "--short-name", default=None, help="部门简称；默认为去掉地名的全称，例如 市自然资源局。"
)
@click.option("--kind", default=None, help="单位类型；默认为 政府工作部门。")
@click.pass_context
@reported
def new_department(
    ctx: click.Context,
    department: str,
    name: str,
    jurisdiction: str | None,
    short_name: str | None,
    kind: str | None,
) -> None:
    """写出一个新部门的 department.yaml，并建立它的 powers/ 文件夹。

    Write a new department's department.yaml (required fields filled in, the optional
    ones described at the top) and its empty powers/ folder.
    """
    from site_builder.tools import scaffold

    path = scaffold.new_department(_root(ctx), department, name, jurisdiction, short_name, kind)
    click.echo(path.as_posix())
    click.echo(
        f"已创建部门：需要时补充文件开头列出的可选字段；新增职权：site-builder new power --department {department} …",
        err=True,
    )


def _interactive() -> bool:
    """Whether a person is at the keyboard (standard input is a terminal): then ask."""
    return sys.stdin.isatty()


@main.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--title", default=None, help="清单标题，例如 某某市行政职权权责清单。")
@click.option(
    "--jurisdiction", "name", default=None, help="主行政区域的名称，例如 某某市本级、某某县。"
)
@click.option("--area-code", default=None, help="行政区划代码（GB/T 2260 六位数字）。")
@click.option("--kind", default=None, help="区域类型：市本级（默认）、市辖区、县、县级市或功能区。")
@click.option("--id", "jurisdiction_id", default=None, help="行政区域标识；默认由名称的拼音生成。")
@click.pass_context
@reported
def init_command(
    ctx: click.Context,
    folder: str,
    title: str | None,
    name: str | None,
    area_code: str | None,
    kind: str | None,
    jurisdiction_id: str | None,
) -> None:
    """在新的（或空的）文件夹 FOLDER 中建立一个本地区的权责清单仓库。

    Start a new list repository in FOLDER (new or empty): site.yaml, the main
    jurisdiction, the standard flows, the schemas, CI and a README; then git.
    """
    from site_builder.errors import UsageError
    from site_builder.tools import init

    asked = {"--title": title, "--jurisdiction": name}
    if None in asked.values() and not _interactive():
        missing = "、".join(k for k, v in asked.items() if v is None)
        raise UsageError(
            f"缺少 {missing}：例如 site-builder init 文件夹 --title 某某市行政职权权责清单 --jurisdiction 某某市本级"
        )
    if title is None:
        title = click.prompt("清单标题（例如 某某市行政职权权责清单）")
    if name is None:
        name = click.prompt("主行政区域名称（例如 某某市本级、某某县）")
    target = Path(folder) if Path(folder).is_absolute() else _root(ctx) / folder
    plan = init.plan(target, title, name, kind, area_code, jurisdiction_id)
    created = init.create(plan)
    click.echo(created.folder.as_posix())
    for line in init.next_steps(created):
        click.echo(line, err=True)


@main.command("fmt")
@click.option(
    "--check", is_flag=True, help="只检查，不修改：列出差异，有需要格式化的文件时退出码为 1。"
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
@reported
def fmt_command(ctx: click.Context, check: bool, paths: tuple[str, ...]) -> None:
    """把数据文件改写为统一格式（字段顺序、块文本、去掉空字段），不改变含义。

    Rewrite data files in the canonical form; PATHS default to every data file.
    """
    from site_builder.tools import fmt

    result = fmt.format_files(_root(ctx), list(paths), check)
    for problem in result.problems:
        click.echo(report.format_problems([problem], "text"), nl=False, err=True)
    if check:
        click.echo("".join(result.diffs), nl=False)
        if result.changed:
            click.echo(
                f"{len(result.changed)} 个文件格式不规范，运行 site-builder fmt 可自动修正。",
                err=True,
            )
    else:
        for path in result.changed:
            click.echo(f"已格式化：{path}", err=True)
    if result.problems:
        sys.exit(1)
    sys.exit(1 if check and result.changed else 0)


@main.command("upgrade")
@click.option(
    "--check",
    is_flag=True,
    help="只检查，不修改：列出要改写的文件和字段；有需要升级的内容时退出码为 1。",
)
@click.pass_context
@reported
def upgrade_command(ctx: click.Context, check: bool) -> None:
    """把本仓库的文件改写为已安装的 site-builder 的数据格式，逐项列出改动。

    Rewrite the repository's files in the current data format, listing each change
    (升级 site-builder 之后运行；先用 --check 查看)。
    """
    from site_builder.tools import upgrade

    root = _root(ctx)
    found = upgrade.plan(root)
    if found.problems:
        click.echo(report.format_problems(found.problems, "text"), nl=False, err=True)
    else:
        click.echo("".join(f"{line}\n" for line in upgrade.report_lines(found)), nl=False)
        if found.changes and not check:
            upgrade.write(root, found)
    click.echo(upgrade.summary(found, check), err=True)
    sys.exit(1 if found.problems or (check and found.changes) else 0)


@main.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("markdown", "json")),
    default="markdown",
    show_default=True,
    help="输出格式：markdown（合并请求评论、CI 摘要）或 json。",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="写入文件（相对于当前目录），而不是标准输出。",
)
@click.pass_context
@reported
def diff_command(
    ctx: click.Context, base: str, head: str | None, fmt: str, out: str | None
) -> None:
    """比较两个版本的清单：新增、取消、变更、删除的职权，新引入的问题和审核人。

    Compare revision BASE with HEAD (default: the work tree, uncommitted changes included).
    Exit 1 when HEAD introduces errors.
    """
    from site_builder.tools import diff, diff_report

    result = diff.compare(_root(ctx), base, head)
    text = diff_report.to_json(result) if fmt == "json" else diff_report.markdown(result)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"已写入：{out}", err=True)
    else:
        click.echo(text, nl=False)
    click.echo(diff_report.summary(result) + "。", err=True)
    sys.exit(result.exit_code)


@main.command("codeowners")
@click.option(
    "--check", is_flag=True, help="只检查，不写入：CODEOWNERS 缺失或过期时列出差异，退出码为 1。"
)
@click.pass_context
@reported
def codeowners_command(ctx: click.Context, check: bool) -> None:
    """根据各部门的维护人和站点审核人生成 CODEOWNERS 文件。

    Write CODEOWNERS from department.yaml maintainers and site.yaml reviewers.
    """
    from site_builder.tools import codeowners

    root = _root(ctx)
    if not check:
        path = codeowners.write(root)
        click.echo(f"已生成：{path.relative_to(root).as_posix()}", err=True)
        return
    result = codeowners.check(root)
    if result.current:
        click.echo("CODEOWNERS 是最新的。", err=True)
        return
    click.echo(result.diff, nl=False)
    click.echo("CODEOWNERS 缺失或已过期：运行 site-builder codeowners 重新生成并提交。", err=True)
    sys.exit(1)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option(
    "--department", "department", required=True, metavar="ID", help="导入到哪个部门（部门标识）。"
)
@click.option("--write", is_flag=True, help="写入新职权文件；不加时只报告，不写任何文件。")
@click.option("--update", is_flag=True, help="同时更新已存在的职权文件，并列出改动的字段。")
@click.option(
    "--codes",
    default=None,
    metavar="NAME",
    help="职权类别编码表（import_headers.yaml 中的 codes，如 liaoning）；默认用 site.yaml 的编码。",
)
@click.pass_context
@reported
def import_command(
    ctx: click.Context, file: str, department: str, write: bool, update: bool, codes: str | None
) -> None:
    """从 Excel（.xlsx、.xls）或 CSV 表格导入一个部门的权责清单，或其自由裁量基准表。

    Import powers from a spreadsheet (or a discretion-standard table into the matching penalties). Without --write nothing is written: the report
    says what would be. Existing files change only with --update.
    """
    from site_builder.tools import discretion_import, importer, spreadsheet

    root = _root(ctx)
    if discretion_import.is_discretion_table(spreadsheet.read_table(Path(file))):
        # A discretion-standard table (序号 / 违法行为 / … / 裁量标准): into the matching penalties.
        found = discretion_import.plan_discretion(root, Path(file), department)
        changed = discretion_import.apply(root, found, update) if write or update else []
        for line in discretion_import.report(found, root):
            click.echo(line)
        for rel in changed:
            click.echo(f"已写入：{rel}", err=True)
        return
    plan = importer.plan_import(root, Path(file), department, codes)
    written = importer.apply(plan, update) if write or update else []
    for line in importer.report_lines(plan, write or update, update):
        click.echo(line)
    for rel in written:
        click.echo(f"已写入：{rel}", err=True)
    if write or update:
        click.echo(f"共写入 {len(written)} 个文件；请运行 site-builder validate 检查。", err=True)


@main.command("export")
@click.option(
    "--department", "department", required=True, metavar="ID", help="导出哪个部门（部门标识）。"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("xlsx",)),
    default="xlsx",
    show_default=True,
    help="导出格式：xlsx（Excel 工作簿）。",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="写入的文件（相对于当前目录）；默认为 <部门标识>.xlsx。",
)
@click.pass_context
@reported
def export_command(ctx: click.Context, department: str, fmt: str, out: str | None) -> None:
    """把一个部门的权责清单导出为 Excel 工作簿，修改后可用 site-builder import 导回。

    Export a department's powers as a workbook: Chinese headers, one row per power, and
    a last column with the whole record as JSON, so that import loses nothing.
    """
    from site_builder.errors import UsageError
    from site_builder.tools import export

    result = export.export_department(_root(ctx), department)
    target = Path(out or f"{department}.{fmt}")
    try:
        target.write_bytes(result.data)
    except OSError as exc:
        raise UsageError(
            f"无法写入 {target}：{exc.strerror}。请检查目录是否存在、文件是否正被 Excel 打开。"
        ) from exc
    for line in result.warnings:
        click.echo(f"注意：{line}", err=True)
    click.echo(f"已导出 {result.powers} 项职权：{target}", err=True)
