"""The systemd units of a real hall: valid for systemd, pointing at commands that exist,
hardened, and agreeing with the configuration template."""

from __future__ import annotations

import re
import subprocess

import pytest

from queue_server.ops.cli import cli
from queue_server.config import load_config
from deploy.systemd_units import (GOVHALL, INSTALLED_ONLY, REPO, exec_start, govhall_command_problem, parse_unit,
                           subcommand_of, unexpected_verify_lines, unit_files, verify)

SERVICES = {
    # unit → (govhall subcommand, Restart=)
    "govhall-server.service": ("serve", "on-failure"),
    "govhall-kiosk.service": ("kiosk", "on-failure"),
    "govhall-sync.service": ("sync", None),
    "govhall-backup.service": ("backup", None),
}
TIMERS = {"govhall-sync.timer": "govhall-sync.service", "govhall-backup.timer": "govhall-backup.service"}
DISPLAY = "govhall-display.service"


def unit(name):
    return parse_unit(REPO / "systemd" / name)


def test_the_hall_has_every_unit():
    assert {p.name for p in unit_files()} == set(SERVICES) | set(TIMERS) | {DISPLAY}


@pytest.mark.parametrize("path", unit_files(), ids=lambda p: p.name)
def test_unit_passes_systemd_analyze_verify(path):
    code, lines = verify([str(path)])
    assert unexpected_verify_lines(lines) == [], "\n".join(lines)
    # the only thing verify may miss on this machine is a program of an installed machine
    assert code == 0 or lines, lines


def test_verify_is_not_blind():
    """The filter above lets through nothing but missing installed-only programs."""
    lines = ["govhall-kiosk.service: Command /opt/govhall/venv/bin/govhall is not executable: No such file or directory",
             "govhall-x.service: Command /usr/bin/govhall is not executable: No such file or directory",
             "/tmp/x.service:3: Unknown key 'Foo' in section [Service], ignoring."]
    assert unexpected_verify_lines(lines) == lines[1:]


def test_every_execstart_names_a_govhall_subcommand_that_exists():
    problems = []
    for path in unit_files():
        if path.suffix != ".service" or path.name == DISPLAY:
            continue
        argv = exec_start(path)
        if argv[0] != GOVHALL:
            problems.append(f"{path.name}: runs {argv[0]}, not {GOVHALL}")
            continue
        problem = govhall_command_problem(cli, argv[1:])
        if problem:
            problems.append(f"{path.name}: {problem}")
    assert problems == [], "\n".join(problems)


def test_the_command_checker_catches_what_does_not_exist():
    assert govhall_command_problem(cli, ["--config", "/etc/govhall/govhall.toml", "serve"]) is None
    assert "no such command: `govhall no-such-thing`" in govhall_command_problem(cli, ["no-such-thing"])
    assert "backup" in govhall_command_problem(cli, ["backup", "--no-such-option"])
    assert govhall_command_problem(cli, ["--config", "/x"]) == "no subcommand given"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_its_command_with_the_hall_config(name):
    subcommand, restart = SERVICES[name]
    argv = exec_start(REPO / "systemd" / name)
    assert argv[:3] == [GOVHALL, "--config", "/etc/govhall/govhall.toml"]
    assert subcommand_of(argv[1:]) == subcommand
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == ["-/etc/govhall/govhall.env"]
    assert service.get("Restart", [None]) == [restart]


@pytest.mark.parametrize("name", [*SERVICES, DISPLAY])
def test_each_service_is_hardened_and_writes_only_where_it_must(name):
    service = unit(name)["Service"]
    assert service["User"] == ["govhall"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes"}.items():
        assert service.get(key) == [value], f"{name}: {key}"
    assert service["StateDirectory"] == ["govhall"]
    expected_extra = ["/var/backups/govhall"] if name == "govhall-backup.service" else []
    assert service.get("ReadWritePaths", []) == expected_extra


@pytest.mark.parametrize("name", ["govhall-server.service", "govhall-sync.service", "govhall-backup.service",
                                  "govhall-kiosk.service"])
def test_systemd_rates_the_exposure_ok(name):
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                             str(REPO / "systemd" / name)], capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 4.0, result.stdout


def test_kiosk_draws_on_the_console_with_its_devices():
    kiosk = unit("govhall-kiosk.service")
    service = kiosk["Service"]
    groups = set(" ".join(service["SupplementaryGroups"]).split())
    assert {"video", "render", "input", "dialout"} <= groups
    environment = " ".join(service["Environment"]).split()
    assert "SDL_VIDEODRIVER=kmsdrm" in environment and "KIVY_WINDOW=sdl2" in environment
    assert service["TTYPath"] == ["/dev/tty1"] and "PrivateDevices" not in service
    assert "getty@tty1.service" in kiosk["Unit"]["Conflicts"]
    assert kiosk["Install"]["WantedBy"] == ["multi-user.target"]


def test_display_is_chromium_in_kiosk_mode_with_autoplay():
    display = unit(DISPLAY)
    argv = exec_start(REPO / "systemd" / DISPLAY)
    assert argv[0] == "/usr/bin/cage" and "--" in argv
    browser = argv[argv.index("--") + 1:]
    assert browser[0] == "${GOVHALL_BROWSER}" and browser[-1] == "${GOVHALL_DISPLAY_URL}"
    assert "--kiosk" in browser and "--autoplay-policy=no-user-gesture-required" in browser
    assert display["Service"]["EnvironmentFile"] == ["/etc/govhall/display.env"]
    assert display["Service"]["Restart"] == ["always"]
    assert "audio" in " ".join(display["Service"]["SupplementaryGroups"]).split()


@pytest.mark.parametrize("name", TIMERS)
def test_timers_start_their_service_and_catch_up(name):
    timer = unit(name)
    assert (REPO / "systemd" / TIMERS[name]).exists()
    assert timer["Timer"].get("Unit", [TIMERS[name]]) == [TIMERS[name]]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    assert unit(TIMERS[name])["Service"]["Type"] == ["oneshot"]
    result = subprocess.run(["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"][0]],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "Next elapse" in result.stdout, result.stderr


def test_config_template_puts_state_where_the_units_allow_writes(tmp_path):
    config = load_config(REPO / "deploy" / "govhall.toml", environ={})
    for path in (config["server"]["database"], config["server"]["voice_dir"], config["content"]["database"],
                 config["kiosk"]["cache_dir"]):
        assert path.startswith("/var/lib/govhall/"), path
    backup_argv = exec_start(REPO / "systemd" / "govhall-backup.service")
    assert backup_argv[backup_argv.index("--dest") + 1] == config["backup"]["dir"] == "/var/backups/govhall"
    sync = unit("govhall-sync.service")
    assert sync["Unit"]["ConditionPathExists"] == [config["content"]["site"]]
    # a machine's own values come from the environment file, as systemd passes them
    overridden = load_config(REPO / "deploy" / "govhall.toml",
                             environ={"GOVHALL_KIOSK_SERVER": "http://192.168.10.2:8080"})
    assert overridden["kiosk"]["server"] == "http://192.168.10.2:8080"
    assert set(INSTALLED_ONLY) >= {exec_start(p)[0] for p in unit_files() if p.suffix == ".service"}
