"""The `govhall` command. Each subcommand reads the config and calls one domain function."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import store
from ..config import load_config
from ..errors import QueueError


def hall_db(ctx):
    """The hall database, migrated, closed when the command ends (as sqlite-utils' commands do)."""
    db = store.connect(config_of(ctx)["server"]["database"])
    ctx.call_on_close(db.conn.close)
    store.migrate(db)
    return db


class GovhallGroup(click.Group):
    """Domain errors end the command with their message, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QueueError as error:
            click.echo(f"错误：{error.message}", err=True)
            sys.exit(2)


@click.group(cls=GovhallGroup)
@click.version_option(package_name="govhall", prog_name="govhall", message="%(prog)s %(version)s")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="GOVHALL_CONFIG",
              help="govhall.toml (default: $GOVHALL_CONFIG, else built-in defaults with var/ in the current folder)")
@click.pass_context
def cli(ctx, config_path):
    """govhall：政务服务大厅排队叫号与自助终端系统。"""
    ctx.obj = {"config_path": config_path}


def config_of(ctx) -> dict:
    if "config" not in ctx.obj:
        ctx.obj["config"] = load_config(ctx.obj["config_path"])
    return ctx.obj["config"]


@cli.command()
@click.pass_context
def init(ctx):
    """Create or migrate the database."""
    config = config_of(ctx)
    hall_db(ctx)
    click.echo(f"数据库已就绪：{config['server']['database']}（版本 {len(store.MIGRATIONS)}）")


@cli.command("load-hall")
@click.argument("hall_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def load_hall_command(ctx, hall_file):
    """Load a hall description (TOML): update what exists by name, add what is new."""
    from ..hall import load_hall

    counts = load_hall(hall_db(ctx), hall_file)
    click.echo("已载入：部门 {departments} 个，事项 {services} 个，窗口 {windows} 个，人员 {staff} 名".format(**counts))


@cli.command()
@click.option("--host", default=None, help="default: [server] host")
@click.option("--port", type=int, default=None, help="default: [server] port")
@click.option("--access-log", is_flag=True)
@click.pass_context
def serve(ctx, host, port, access_log):
    """Run the production server (gunicorn, `[server] workers` gevent workers)."""
    from .serve import serve as run_server

    config = config_of(ctx)
    hall_db(ctx)
    run_server(config, host, port, access_log=access_log)


@cli.group()
def staff():
    """Staff accounts and their API tokens."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--employee-no", default=None, help="工号")
@click.option("--password", default=None, help="prompted when omitted")
@click.pass_context
def staff_add(ctx, name, role, employee_no, password):
    """Add (or update) a staff member."""
    from ..accounts import add_staff

    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    add_staff(hall_db(ctx), name, role, password=password, employee_no=employee_no)
    click.echo(f"已保存人员 {name}（{role}）")


@staff.command("password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.pass_context
def staff_password(ctx, name, password):
    """Set a staff member's password."""
    from ..accounts import set_password

    set_password(hall_db(ctx), name, password)
    click.echo(f"已更新 {name} 的密码")


@staff.command("token")
@click.argument("name")
@click.pass_context
def staff_token(ctx, name):
    """Print a new API token for a staff member (shown once)."""
    from ..accounts import issue_staff_token

    click.echo(issue_staff_token(hall_db(ctx), name))


def _window_size(_ctx, _param, value):
    if value is None:
        return None
    from kiosk.launch import parse_window_size

    try:
        return parse_window_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@cli.group(invoke_without_command=True)
@click.option("--server", default=None, help="queue server URL (default: [kiosk] server)")
@click.option("--printer", default=None, help="printer URI (default: [kiosk] printer)")
@click.option("--windowed", "window_size", metavar="WxH", default=None, callback=_window_size,
              help="a window of this size instead of fullscreen, e.g. 1080x1920 (development, checks)")
@click.option("--fullscreen", is_flag=True, help="fullscreen kiosk mode at the screen's own size (the default)")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
              default="info", show_default=True, help="what goes to the journal")
@click.pass_context
def kiosk(ctx, server, printer, window_size, fullscreen, log_level):
    """Run the lobby kiosk app; `govhall kiosk register NAME` registers one. SIGTERM stops it."""
    if ctx.invoked_subcommand is not None:
        return
    if window_size and fullscreen:
        raise click.UsageError("--windowed 与 --fullscreen 只能选一个")
    from kiosk.launch import run_kiosk

    run_kiosk(config_of(ctx), server=server, printer=printer, window_size=window_size, fullscreen=fullscreen,
              log_level=log_level.lower())


@kiosk.command("register")
@click.argument("name")
@click.pass_context
def kiosk_register(ctx, name):
    """Register a kiosk and print its token (put it in [kiosk] token)."""
    from ..accounts import register_kiosk

    kiosk_id, token = register_kiosk(hall_db(ctx), name)
    click.echo(token)
    click.echo(f"# 自助机编号 {kiosk_id}", err=True)


@cli.group()
def evaluator():
    """Evaluator tablets (评价器) at the windows."""


@evaluator.command("register")
@click.argument("window", type=int)
@click.pass_context
def evaluator_register(ctx, window):
    """Print a token for the evaluator of a window."""
    from ..accounts import register_evaluator

    click.echo(register_evaluator(hall_db(ctx), window))


@cli.command()
@click.option("--dir", "demo_dir", default="var", show_default=True, type=click.Path(file_okay=False))
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--no-kiosk", is_flag=True, help="do not open the kiosk window")
@click.pass_context
def demo(ctx, demo_dir, port, no_kiosk):
    """One command for a newcomer: a demo hall, the server, the kiosk, and every URL."""
    from .demo import run_demo

    run_demo(Path(demo_dir), port=port, kiosk=not no_kiosk)


# Commands of the other parts are registered below, one small block each.


@cli.group()
def voice():
    """Voice packs for the spoken calls (语音播报)."""


@voice.command("build")
@click.option("--from", "recordings", default=None, type=click.Path(exists=True, file_okay=False),
              help="a folder of recorded clips named by what they say (请.wav, A.wav, 三.wav, 号窗口.wav ...)")
@click.pass_context
def voice_build(ctx, recordings):
    """Build the voice pack into [server] voice_dir: espeak-ng offline, or from recordings."""
    from ..voice import build_default_pack, import_recorded_pack, load_pack

    config = config_of(ctx)
    folder = import_recorded_pack(recordings, config) if recordings else build_default_pack(config)
    click.echo(f"语音包已生成：{folder}（{len(load_pack(folder).clips)} 个片段）")


@cli.command()
@click.option("--dest", default=None, type=click.Path(file_okay=False), help="backup folder (default: [backup] dir)")
@click.option("--keep", type=click.IntRange(min=1), default=None, help="backups kept per database (default: [backup] keep, 14)")
@click.pass_context
def backup(ctx, dest, keep):
    """Back up the hall's databases (online, safe while the server runs)."""
    from .backup import backup_hall

    for path in backup_hall(config_of(ctx), dest=dest, keep=keep):
        click.echo(f"已备份：{path}")


@cli.command()
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "to", default=None, type=click.Path(dir_okay=False), help="database to replace (default: found by the file name)")
@click.option("--force", is_flag=True, help="restore even while the server has the database open")
@click.pass_context
def restore(ctx, backup_file, to, force):
    """Restore a database from a backup; the replaced one is kept beside it."""
    from .backup import restore_hall

    restored, saved = restore_hall(config_of(ctx), backup_file, to=to, force=force)
    click.echo(f"已恢复：{restored}" + (f"（原数据库已另存为 {saved}）" if saved else ""))


@cli.command()
@click.option("--site", "site_file", default=None, type=click.Path(dir_okay=False),
              help="site description TOML (default: [content] site)")
@click.pass_context
def sync(ctx, site_file):
    """Sync disclosure content from the government website (政务公开同步) and print the report."""
    from content import ContentError
    from content.store import ContentStore
    from content.sync import sync_site

    config = config_of(ctx)
    site_file = site_file or config["content"].get("site")
    if not site_file:
        raise click.UsageError("没有站点描述文件：用 --site FILE，或在配置 [content] site 中设置")
    try:
        with ContentStore(config["content"]["database"]) as content_store:
            report = sync_site(content_store, site_file)
    except ContentError as error:
        click.echo(f"错误：{error.message}", err=True)
        sys.exit(2)
    click.echo(report.summary())


@cli.command("print-test")
@click.option("--printer", default=None, help="printer URI (default: [kiosk] printer)")
@click.pass_context
def print_test_command(ctx, printer):
    """Print a sample ticket; with preview://DIR write DIR/A001.png and DIR/A001.bin."""
    from printer.testprint import print_test
    from printer.uri import resolve_printer_uri

    config = config_of(ctx)
    sys.exit(print_test(printer or resolve_printer_uri(config["kiosk"]["printer"], config["_base_dir"]), echo=click.echo))


@cli.command("idcard-test")
@click.option("--reader", default=None, help="ID card reader URI (default: [kiosk] idcard)")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.5), default=15, show_default=True,
              help="seconds to wait for a card")
@click.pass_context
def idcard_test_command(ctx, reader, timeout_s):
    """Read one ID card: masked name, sex, birth date, age, masked number (exit 0; no card: 3; reader trouble: 1)."""
    from idcard.check import idcard_test

    from .. import clock

    config = config_of(ctx)
    uri = reader or config["kiosk"].get("idcard")
    if not uri:
        raise click.UsageError("没有身份证阅读器：用 --reader URI，或在配置 [kiosk] idcard 中设置")
    today = clock.local(clock.utc_now(), config["hall"]["timezone"]).date()
    sys.exit(idcard_test(uri, timeout_s, today, config["kiosk"]["green_channel_age"], echo=click.echo))


@cli.command("purge-id-hashes")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="keep this many days (default: [privacy] id_hash_days, 30)")
@click.pass_context
def purge_id_hashes_command(ctx, days):
    """Forget the ID card hashes and masked names of tickets and past bookings older than N days."""
    from ..privacy import purge_id_hashes

    purged = purge_id_hashes(hall_db(ctx), config_of(ctx), days)
    click.echo(f"已清除 {purged['before']} 之前的身份证散列：号票 {purged['tickets']} 张，预约 {purged['appointments']} 个")


@cli.command("report")
@click.option("--from", "first_day", required=True, help="first local day, YYYY-MM-DD")
@click.option("--to", "last_day", required=True, help="last local day, YYYY-MM-DD (inclusive)")
@click.option("--format", "format_", type=click.Choice(["text", "csv", "xlsx"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="file to write (default: stdout)")
@click.pass_context
def report_command(ctx, first_day, last_day, format_, output):
    """The hall's figures for a range of days: the summary paragraph, or tables as CSV / XLSX."""
    from ..stats import Period
    from .report import render

    config = config_of(ctx)
    result = render(hall_db(ctx), config, Period.parse(first_day, last_day), format_)
    data = result.encode("utf-8") if isinstance(result, str) else result
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def main():
    cli(prog_name="govhall")


if __name__ == "__main__":
    main()
