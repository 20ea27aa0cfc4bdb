"""Reading systemd unit files and checking their govhall command lines against the CLI."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[2]
UNITS_DIR = REPO / "systemd"
GOVHALL = "/opt/govhall/venv/bin/govhall"
# Programs that exist only on an installed machine: the venv, and the display's
# compositor (a Debian package the install script adds on display machines).
INSTALLED_ONLY = {GOVHALL, "/usr/bin/cage"}


def unit_files() -> list[Path]:
    return sorted(p for p in UNITS_DIR.iterdir() if p.suffix in {".service", ".timer"})


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections → key → every value given (systemd allows repeats), continuations joined."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not logical and raw.lstrip().startswith(("#", ";")):
            continue
        if raw.endswith("\\"):
            logical += raw[:-1] + " "
            continue
        line, logical = (logical + raw).strip(), ""
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def exec_start(path: Path) -> list[str]:
    """The ExecStart command line, split like systemd would (prefixes like '-' removed)."""
    values = parse_unit(path).get("Service", {}).get("ExecStart", [])
    assert len(values) == 1, f"{path.name}: expected one ExecStart, found {values}"
    argv = shlex.split(values[0])
    argv[0] = argv[0].lstrip("-@:+!")
    return argv


def _remaining(ctx: click.Context) -> list[str]:
    # click 8.2 keeps a group's subcommand name apart from the rest; click 9 will not
    return list(getattr(ctx, "_protected_args", [])) + list(ctx.args)


def govhall_command_problem(cli: click.Group, args: list[str]) -> str | None:
    """Parse `args` (after the program name) with the real click group, without running
    anything. Returns None when the (sub)command exists and takes these options, else why not."""
    try:
        ctx = cli.make_context("govhall", list(args), resilient_parsing=False)
    except click.ClickException as error:
        return f"global options: {error.format_message()}"
    command, rest, path = cli, _remaining(ctx), ["govhall"]
    while isinstance(command, click.Group) and rest:
        name = rest[0]
        sub = command.get_command(ctx, name)
        if sub is None:
            return f"no such command: `{' '.join(path + [name])}` (known: {', '.join(command.list_commands(ctx))})"
        path.append(name)
        try:
            ctx = sub.make_context(name, rest[1:], parent=ctx, resilient_parsing=False)
        except click.ClickException as error:
            return f"`{' '.join(path)}`: {error.format_message()}"
        command, rest = sub, _remaining(ctx)
    if command is cli:
        return "no subcommand given"
    if rest:
        return f"`{' '.join(path)}`: unexpected arguments {rest}"
    return None


def subcommand_of(args: list[str]) -> str:
    """The subcommand words after the global options: ['--config', 'X', 'serve'] → 'serve'."""
    words, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif arg.startswith("-"):
            break
        else:
            words.append(arg)
    return " ".join(words)


def verify(units: list[str], root: Path | None = None) -> tuple[int, list[str]]:
    """systemd-analyze verify; returns its exit code and every line it printed."""
    command = ["systemd-analyze", "verify", "--man=no"]
    if root is not None:
        command.append(f"--root={root}")
    result = subprocess.run(command + units, capture_output=True, text=True, timeout=120)
    return result.returncode, [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


_NOT_EXECUTABLE = re.compile(r"^(?P<unit>[\w@.-]+): Command (?P<path>\S+) is not executable: No such file or directory$")


def unexpected_verify_lines(lines: list[str], installed_only: set[str] = INSTALLED_ONLY) -> list[str]:
    """What verify said, less the programs that exist only on an installed machine."""
    unexpected = []
    for line in lines:
        match = _NOT_EXECUTABLE.match(line)
        if match and match.group("path") in installed_only:
            continue
        unexpected.append(line)
    return unexpected
