"""deploy/install.sh, run for real into a scratch root under tmp_path.

The scratch install builds govhall from a copy of the source into a real venv, offline
(`--no-index --no-deps`); the libraries it needs at run time come from the test's own
environment through PYTHONPATH, so the installed `govhall` can run its first `init`."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from deploy.systemd_units import REPO, exec_start, unexpected_verify_lines, unit_files, verify

INSTALL = "deploy/install.sh"
# the packages pyproject.toml lists (top-level folders), and what the install itself reads
PACKAGES = sorted({name.split(".")[0] for name in
                   tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]})
SOURCE_PARTS = ["pyproject.toml", "README.md", *PACKAGES, "deploy", "systemd", "docs"]
ALL_ROLES = ["server", "kiosk", "display"]
PRINTER = "usb://0416:5011?in_ep=0x81&out_ep=0x03"


def copy_source(target: Path) -> Path:
    """The parts of the checkout an install needs (pip builds inside its source folder,
    so it must not be the repository itself)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    target.mkdir(parents=True)
    for part in SOURCE_PARTS:
        path = REPO / part
        if path.is_dir():
            shutil.copytree(path, target / part, ignore=ignore)
        else:
            shutil.copy2(path, target / part)
    return target


def install_env() -> dict:
    return dict(os.environ,
                PYTHON=sys.executable,
                GOVHALL_PIP_OPTS="--no-index --no-deps --no-build-isolation",
                PYTHONPATH=sysconfig.get_paths()["purelib"],
                PIP_NO_CACHE_DIR="1")


def run_install(source: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(source / INSTALL), *args], capture_output=True, text=True,
                            env=install_env(), timeout=300, cwd=source.parent)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def passwd_entry(root: Path, name: str) -> list[str]:
    for line in (root / "etc/passwd").read_text().splitlines():
        if line.split(":")[0] == name:
            return line.split(":")
    raise AssertionError(f"no user {name} in {root}/etc/passwd")


def group_members(root: Path) -> dict[str, set[str]]:
    groups = {}
    for line in (root / "etc/group").read_text().splitlines():
        name, _, gid, members = line.split(":")
        groups[name] = {m for m in members.split(",") if m}
    return groups


def env_lines(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def sourced(path: Path) -> dict[str, str]:
    """The values as a shell that sources the file sees them (the admin's `govhall`
    wrapper does); systemd reads single-quoted values the same way."""
    result = subprocess.run(["sh", "-c", 'set -a; . "$1"; exec env -0', "sh", str(path)],
                            capture_output=True, env={"PATH": "/usr/bin:/bin"}, timeout=30)
    assert result.returncode == 0, result.stderr
    pairs = (item.decode().split("=", 1) for item in result.stdout.split(b"\0") if item)
    return {key: value for key, value in pairs if key.startswith("GOVHALL_")}


def staged_environment(root: Path) -> dict:
    """Run the installed govhall against the staged machine: its config, its paths."""
    return dict(install_env(),
                GOVHALL_CONFIG=str(root / "etc/govhall/govhall.toml"),
                GOVHALL_SERVER_DATABASE=str(root / "var/lib/govhall/govhall.db"),
                GOVHALL_CONTENT_DATABASE=str(root / "var/lib/govhall/content.db"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Every role installed into one scratch root."""
    base = tmp_path_factory.mktemp("install")
    source = copy_source(base / "source")
    root = base / "root"
    result = run_install(source, "--root", str(root), "--server-url", "http://192.168.10.2:8080",
                         "--printer", PRINTER, "--kiosk-token", "kiosk-token-for-tests", *ALL_ROLES)
    return source, root, result


def test_the_service_user_and_its_groups(installed):
    _, root, _ = installed
    user = passwd_entry(root, "govhall")
    assert user[5] == "/var/lib/govhall" and user[6] == "/usr/sbin/nologin"
    assert int(user[2]) < 1000, "a system user"
    groups = group_members(root)
    for group in ("video", "render", "input", "dialout", "lp", "audio"):
        assert "govhall" in groups[group], group


def test_units_installed_and_enabled_per_role(installed):
    _, root, _ = installed
    unit_dir = root / "etc/systemd/system"
    for path in unit_files():
        assert filecmp.cmp(path, unit_dir / path.name, shallow=False), path.name
    wanted = {p.name: os.readlink(p) for p in (unit_dir / "multi-user.target.wants").iterdir()}
    assert wanted == {name: f"/etc/systemd/system/{name}" for name in
                      ("govhall-server.service", "govhall-kiosk.service", "govhall-display.service")}
    timers = {p.name for p in (unit_dir / "timers.target.wants").iterdir()}
    assert timers == {"govhall-backup.timer", "govhall-sync.timer"}


def test_installed_units_verify_inside_the_root(installed, tmp_path):
    _, root, _ = installed
    # systemd's own units (targets the govhall units hang on), as on any Debian machine
    system_units = root / "usr/lib/systemd/system"
    if not system_units.exists():
        shutil.copytree("/usr/lib/systemd/system", system_units, symlinks=True)
    names = [p.name for p in unit_files()]
    code, lines = verify(names, root=root)
    # the venv's govhall exists in the root now; only the display's compositor is a
    # Debian package that a scratch root does not get
    assert unexpected_verify_lines(lines, installed_only={"/usr/bin/cage"}) == [], "\n".join(lines)


def test_configuration_and_this_machines_settings(installed):
    _, root, _ = installed
    etc = root / "etc/govhall"
    assert filecmp.cmp(REPO / "deploy/govhall.toml", etc / "govhall.toml", shallow=False)
    env_file = etc / "govhall.env"
    mode = env_file.stat()
    assert stat.S_IMODE(mode.st_mode) == 0o640
    assert mode.st_uid == 0 and mode.st_gid == int(passwd_entry(root, "govhall")[3])
    assert all(len(values) == 1 for values in env_lines(env_file).values())
    settings = sourced(env_file)
    assert re.fullmatch(r"[0-9a-f]{64}", settings.pop("GOVHALL_SERVER_SECRET_KEY"))
    pin = settings.pop("GOVHALL_KIOSK_ADMIN_PIN")
    assert re.fullmatch(r"\d{6}", pin) and f"kiosk admin PIN: {pin}" in installed[2].stdout
    assert settings == {"GOVHALL_SERVER_PUBLIC_URL": "http://192.168.10.2:8080",
                        "GOVHALL_KIOSK_SERVER": "http://192.168.10.2:8080",
                        "GOVHALL_KIOSK_PRINTER": PRINTER,
                        "GOVHALL_KIOSK_TOKEN": "kiosk-token-for-tests"}
    display = sourced(etc / "display.env")
    assert display["GOVHALL_DISPLAY_URL"] == "http://192.168.10.2:8080/display"
    assert display["GOVHALL_BROWSER"] in {"/usr/bin/chromium", "/usr/bin/chromium-browser"}


def test_udev_rule_for_usb_printers(installed):
    source, root, _ = installed
    assert filecmp.cmp(source / "printer/99-govhall-printer.rules", root / "etc/udev/rules.d/99-govhall-printer.rules",
                       shallow=False)


def test_state_folders_and_the_first_database(installed):
    _, root, _ = installed
    uid, gid = (int(x) for x in passwd_entry(root, "govhall")[2:4])
    for folder in ("var/lib/govhall", "var/backups/govhall"):
        info = (root / folder).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (uid, gid, 0o750), folder
    database = root / "var/lib/govhall/govhall.db"
    info = database.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode) & 0o007) == (uid, 0), "the service user's, not world-readable"
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ticket'").fetchone()[0] == 1
    conn.close()
    # the default voice pack, generated offline, the service user's
    clips = list((root / "var/lib/govhall/voice").glob("*.wav"))
    assert len(clips) > 20 and all(c.stat().st_uid == uid for c in clips)


def test_the_venv_runs_what_the_units_run(installed, tmp_path):
    _, root, _ = installed
    govhall = root / "opt/govhall/venv/bin/govhall"
    assert os.access(govhall, os.X_OK)
    assert os.access(root / "usr/local/bin/govhall", os.X_OK)
    assert (root / "opt/govhall/docs/deploying.md").is_file()
    env = staged_environment(root)
    # the installed copy is the one that runs, not the checkout's
    where = subprocess.run([str(root / "opt/govhall/venv/bin/python"), "-c",
                            "import queue_server; print(queue_server.__file__)"],
                           capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert where.stdout.startswith(str(root / "opt/govhall/venv")), where.stdout + where.stderr
    # the nightly backup, as its unit runs it (config and paths moved into the staged root)
    argv = exec_start(root / "etc/systemd/system/govhall-backup.service")
    assert argv[0] == "/opt/govhall/venv/bin/govhall"
    args = [str(root) + a if a.startswith("/var/backups") else a for a in argv[3:]]
    result = subprocess.run([str(govhall), *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    backups = list((root / "var/backups/govhall").glob("govhall-*.db"))
    assert len(backups) == 1
    restored = tmp_path / "restored.db"
    result = subprocess.run([str(govhall), "restore", str(backups[0]), "--to", str(restored)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sqlite3.connect(restored).execute("PRAGMA user_version").fetchone()[0] >= 1


def test_running_again_keeps_what_the_hall_changed(tmp_path):
    source = copy_source(tmp_path / "source")
    root = tmp_path / "root"
    run_install(source, "--root", str(root), "server")
    toml = root / "etc/govhall/govhall.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("某某县政务服务中心", "和林格尔县政务服务中心"),
                    encoding="utf-8")
    secret = sourced(root / "etc/govhall/govhall.env")["GOVHALL_SERVER_SECRET_KEY"]
    database = root / "var/lib/govhall/govhall.db"
    conn = sqlite3.connect(database)
    conn.execute("INSERT INTO department (name) VALUES ('县民政局')")
    conn.commit()
    conn.close()

    # a recorded voice pack the hall put in place is never replaced
    recorded = root / "var/lib/govhall/voice/请.wav"
    recorded.write_bytes(b"RIFF recorded by the hall")

    second = run_install(source, "--root", str(root), "--server-url", "http://10.0.0.5:8080", "server")
    assert recorded.read_bytes() == b"RIFF recorded by the hall"
    assert "和林格尔县政务服务中心" in toml.read_text(encoding="utf-8")
    settings = sourced(root / "etc/govhall/govhall.env")
    assert settings["GOVHALL_SERVER_SECRET_KEY"] == secret
    assert settings["GOVHALL_SERVER_PUBLIC_URL"] == "http://10.0.0.5:8080"
    lines = env_lines(root / "etc/govhall/govhall.env")
    assert all(len(values) == 1 for values in lines.values()), lines
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT name FROM department").fetchall() == [("县民政局",)]
    conn.close()
    assert passwd_entry(root, "govhall")
    assert [line for line in (root / "etc/passwd").read_text().splitlines() if line.startswith("govhall:")] \
        == [":".join(passwd_entry(root, "govhall"))]
    assert "Creating user" not in second.stdout + second.stderr


def test_dry_run_changes_nothing_and_shows_every_step(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    result = run_install(REPO, "--dry-run", "--root", str(root), *ALL_ROLES)
    assert list(root.iterdir()) == []
    out = result.stdout
    steps = ["+ install -D -m 0644 ", "+ systemd-sysusers ", " -m venv ", " -m pip install ",
             "+ set GOVHALL_SERVER_SECRET_KEY in ", "99-govhall-printer.rules", "govhall.db", " voice build",
             f"+ systemctl --root={root} enable govhall-server.service govhall-backup.timer govhall-sync.timer "
             "govhall-kiosk.service govhall-display.service"]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), out
    assert f"{REPO}[kiosk]" in out
    packages = re.search(r"install by hand: (.*)\)", out).group(1).split()
    assert {"python3-venv", "espeak-ng", "libgbm1", "cage", "fonts-wqy-microhei"} <= set(packages)

    kiosk_only = run_install(REPO, "--dry-run", "--root", str(root), "kiosk").stdout
    assert "govhall-server" not in kiosk_only.split("==> enable:")[1] and " init" not in kiosk_only
    assert "cage" not in re.search(r"install by hand: (.*)\)", kiosk_only).group(1).split()
    assert list(root.iterdir()) == []


def test_bad_arguments_are_refused(tmp_path):
    for args in ([], ["printer"], ["--root"]):
        result = run_install(REPO, *args, check=False)
        assert result.returncode != 0, args
        assert "Usage" in result.stderr or "needs" in result.stderr, result.stderr


def test_shell_scripts_pass_shellcheck():
    scripts = [REPO / "deploy/install.sh", REPO / "deploy/govhall-wrapper.sh"]
    result = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
