"""Backups of the hall's SQLite databases, safe while the server runs.

A backup is taken with SQLite's online backup API: one read transaction copies a
consistent snapshot while the server keeps writing (WAL mode lets readers and the
writer go on side by side). The copy is checked (`PRAGMA integrity_check`), turned into a
single self-contained file (rollback journal, no -wal/-shm), and only then renamed
into place, so a half-written backup never counts as one.

Backups are named `<database stem>-<UTC time>.db` (`govhall-20261125T183000Z.db`);
the newest `keep` of each database are kept.

A restore copies the backup into the database with the same API, inside one write
transaction of the destination: it either replaces everything or nothing. It refuses
while another process (the server) has the database open, unless forced."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .. import clock
from ..errors import Conflict, QueueError

DEFAULT_KEEP = 14
BUSY_TIMEOUT_SECONDS = 30
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"

# SQLite's unix VFS: every connection to a WAL database holds a shared lock on this byte
# of the -shm file for as long as it is open ("DMS", dead-man switch).
_SHM_DMS_OFFSET = 128


class BackupError(QueueError):
    code = "backup_error"
    status = 500


class DatabaseInUse(Conflict):
    code = "database_in_use"


def _backup_name_pattern(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?\.db$")


def list_backups(dest_dir: str | os.PathLike, stem: str) -> list[Path]:
    """The backups of database `stem` in `dest_dir`, oldest first."""
    pattern = _backup_name_pattern(stem)
    found = []
    folder = Path(dest_dir)
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match and path.is_file():
            found.append(((match.group(1), int(match.group(2) or 0)), path))
    return [path for _, path in sorted(found)]


def _integrity_problems(conn: sqlite3.Connection) -> list[str]:
    result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if result == ["ok"] else result


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    return conn


def _check_is_database(path: Path) -> None:
    """A readable SQLite file that passes integrity_check, or BackupError."""
    if not path.is_file():
        raise BackupError(f"找不到文件：{path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = _integrity_problems(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} 不是可用的 SQLite 数据库：{error}") from error
    if problems:
        raise BackupError(f"{path} 未通过完整性检查：{'；'.join(problems[:5])}")


def _copy_snapshot(src: Path, target: Path) -> None:
    """Copy a consistent snapshot of `src` into a new single-file database `target`."""
    source = _open(src)
    try:
        copy = sqlite3.connect(str(target), isolation_level=None)
        try:
            # pages=-1: the whole database in one step, i.e. from one read snapshot.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = _integrity_problems(copy)
            if problems:
                raise BackupError(f"{src} 的备份未通过完整性检查：{'；'.join(problems[:5])}")
        finally:
            copy.close()
    finally:
        source.close()
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())


def _damaged(error: Exception) -> bool:
    text = str(error).lower()
    return "malformed" in text or "not a database" in text or "完整性" in text


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_name(dest_dir: Path, stem: str, moment: datetime) -> Path:
    base = f"{stem}-{moment.strftime(_STAMP_FORMAT)}"
    candidate, counter = dest_dir / f"{base}.db", 1
    while candidate.exists():
        counter += 1
        candidate = dest_dir / f"{base}-{counter}.db"
    return candidate


def backup_database(src: str | os.PathLike, dest_dir: str | os.PathLike, keep: int = DEFAULT_KEEP,
                    now: datetime | None = None) -> Path:
    """Back up the SQLite database `src` into `dest_dir`, keeping the newest `keep` backups
    of it there; returns the new backup's path. Safe while other processes write to `src`."""
    src, dest_dir = Path(src), Path(dest_dir)
    if keep < 1:
        raise BackupError("至少要保留 1 份备份（keep ≥ 1）")
    if not src.is_file():
        raise BackupError(f"找不到要备份的数据库：{src}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    moment = (now or clock.utc_now()).astimezone(timezone.utc)
    final = _free_name(dest_dir, src.stem, moment)
    partial = final.with_name(final.name + ".partial")
    try:
        _copy_snapshot(src, partial)
        os.replace(partial, final)
    except sqlite3.Error as error:
        raise BackupError(f"备份 {src} 失败：{error}") from error
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
    _fsync_dir(dest_dir)
    for old in list_backups(dest_dir, src.stem)[:-keep]:
        old.unlink()
    return final


def database_in_use(path: str | os.PathLike) -> bool:
    """Whether another process has the WAL database at `path` open.

    Probes the lock every open connection holds on the -shm file. POSIX locks belong to
    the process, so call this before this process opens the database itself."""
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except PermissionError as error:
        raise BackupError(f"没有权限检查 {path} 是否在使用中（请以 govhall 用户运行，如 sudo govhall restore …）") from error
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_OFFSET)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_OFFSET)
        return False
    finally:
        os.close(fd)


def _table_names(path: Path) -> set[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return set(sqlite_utils.Database(conn).table_names())
    finally:
        conn.close()


def restore_database(backup: str | os.PathLike, dest: str | os.PathLike, force: bool = False,
                     now: datetime | None = None) -> Path | None:
    """Replace the database `dest` with the contents of `backup`.

    Refuses (DatabaseInUse) while another process has `dest` open, unless `force`: then
    the copy still lands in one transaction, but a running server keeps whatever it
    holds in memory, so stop it first whenever you can. The database being replaced is
    first saved beside it as `<stem>-before-restore-<time>.db` (a damaged one, which SQLite cannot
    read whole, byte for byte as `<stem>-damaged-<time>.db`); returns that path (None
    when `dest` did not exist)."""
    backup, dest = Path(backup), Path(dest)
    _check_is_database(backup)
    if not force and database_in_use(dest):
        raise DatabaseInUse(f"数据库 {dest} 正在被其他程序使用（服务器是否在运行？）。"
                            "请先停止服务（systemctl stop govhall-server），或加 --force 在线恢复。")
    saved = None
    if dest.is_file():
        current_tables, backup_tables = _table_names(dest), _table_names(backup)
        if current_tables and not current_tables & backup_tables:
            raise BackupError(f"{backup} 与 {dest} 没有一张相同的表，可能选错了备份文件")
        moment = (now or clock.utc_now()).astimezone(timezone.utc)
        saved = _free_name(dest.parent, f"{dest.stem}-before-restore", moment)
        try:
            _copy_snapshot(dest, saved)
        except (sqlite3.Error, BackupError) as error:
            if not _damaged(error):
                raise BackupError(f"保存当前数据库 {dest} 失败，未恢复：{error}") from error
            # a damaged file is what a restore is for: keep its bytes as they are, for whoever looks later
            saved.unlink(missing_ok=True)
            saved = _free_name(dest.parent, f"{dest.stem}-damaged", moment)
            shutil.copyfile(dest, saved)
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = _open(backup)
    try:
        target = _open(dest)
        try:
            source.backup(target, pages=-1)
            problems = _integrity_problems(target)
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"恢复 {dest} 失败：{error}") from error
    finally:
        source.close()
    if problems:
        raise BackupError(f"恢复后的 {dest} 未通过完整性检查：{'；'.join(problems[:5])}")
    return saved


# --- the hall: every database of one config ------------------------------------

def hall_databases(config: dict) -> dict[str, Path]:
    """The databases a hall backs up, by their config section."""
    return {"server": Path(config["server"]["database"]), "content": Path(config["content"]["database"])}


def backup_settings(config: dict, dest: str | None = None, keep: int | None = None) -> tuple[Path, int]:
    """Where backups go and how many are kept: the arguments, else `[backup] dir/keep`,
    else `var/backups` beside the config and 14."""
    section = config.get("backup", {})
    folder = Path(dest or section.get("dir") or "var/backups")
    if not folder.is_absolute():
        folder = Path(config["_base_dir"]) / folder
    return folder, int(keep if keep is not None else section.get("keep") or DEFAULT_KEEP)


def newest_backup_age_hours(config: dict, now: datetime | None = None) -> float | None:
    """Hours since the newest backup of the hall database was written (None: there is none)."""
    folder, _keep = backup_settings(config)
    found = list_backups(folder, Path(config["server"]["database"]).stem)
    if not found:
        return None
    newest = datetime.fromtimestamp(found[-1].stat().st_mtime, timezone.utc)
    return round(((now or clock.utc_now()) - newest).total_seconds() / 3600, 1)


def backup_hall(config: dict, dest: str | None = None, keep: int | None = None) -> list[Path]:
    """Back up every existing database of the hall; returns the new backups."""
    folder, keep = backup_settings(config, dest, keep)
    databases = [path for path in hall_databases(config).values() if path.is_file()]
    if not databases:
        raise BackupError("没有可备份的数据库（请先运行 govhall init）")
    return [backup_database(path, folder, keep) for path in databases]


def restore_hall(config: dict, backup: str | os.PathLike, to: str | None = None,
                 force: bool = False) -> tuple[Path, Path | None]:
    """Restore a backup file over the hall database it was taken from (found by its
    name), or over `to`. Returns (restored database, saved previous database)."""
    backup = Path(backup)
    if to:
        dest = Path(to)
    else:
        matches = [path for path in hall_databases(config).values()
                   if _backup_name_pattern(path.stem).match(backup.name)]
        if len(matches) != 1:
            names = "、".join(f"{p.stem}-*.db" for p in hall_databases(config).values())
            raise BackupError(f"无法从文件名 {backup.name} 判断要恢复哪个数据库（应为 {names}），请用 --to 指定")
        dest = matches[0]
    return dest, restore_database(backup, dest, force=force)
