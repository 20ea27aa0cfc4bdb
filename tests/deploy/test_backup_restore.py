"""Backups taken while the real server issues tickets, and restores of them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from queue_server import store
from queue_server.accounts import register_kiosk
from queue_server.ops.backup import (BackupError, DatabaseInUse, backup_database, database_in_use, list_backups,
                                 restore_database, restore_hall)
from queue_server.ops.cli import cli
from helpers import bearer, make_hall





def ticket_numbers(path: Path) -> dict[int, str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT id, number FROM ticket"))
    finally:
        conn.close()


def issued_events(path: Path) -> set[int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT ticket_id FROM event WHERE type = 'ticket_issued'")}
    finally:
        conn.close()


class TicketWriter(threading.Thread):
    """A kiosk taking tickets from the live server as fast as it answers; `committed`
    holds every ticket the server has confirmed (201), i.e. committed to the database."""

    def __init__(self, url: str, token: str, service_ids: list[int]):
        super().__init__(daemon=True)
        self.url, self.token, self.service_ids = url, token, service_ids
        self.committed: dict[int, str] = {}
        self.stop = threading.Event()
        self.enough = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        session = requests.Session()
        count = 0
        try:
            while not self.stop.is_set():
                service_id = self.service_ids[count % len(self.service_ids)]
                response = session.post(f"{self.url}/api/v1/tickets", json={"service_id": service_id},
                                        headers=bearer(self.token), timeout=30)
                assert response.status_code == 201, response.text
                ticket = response.json()
                self.committed[ticket["id"]] = ticket["number"]
                count += 1
                if count >= 30:
                    self.enough.set()
        except BaseException as error:  # reported by the test
            self.error = error
            self.enough.set()


def test_backup_while_the_server_issues_tickets_then_restore(served_hall, tmp_path):
    database = Path(served_hall.config["server"]["database"])
    db = store.connect(database)
    _, kiosk_token = register_kiosk(db, "备份测试自助机")
    db.conn.close()
    departments = requests.get(f"{served_hall.url}/api/v1/services", timeout=10).json()["departments"]
    services = [s for d in departments for s in d["services"] if s["open"] and not s["daily_cap"]]
    assert services, "the demo hall should have open services without a cap"

    writer = TicketWriter(served_hall.url, kiosk_token, [s["id"] for s in services[:3]])
    writer.start()
    assert writer.enough.wait(60) and writer.error is None, writer.error

    backups_dir = tmp_path / "backups"
    taken = []
    for _ in range(3):
        committed_before = dict(writer.committed)
        path = backup_database(database, backups_dir, keep=2)
        in_backup = ticket_numbers(path)
        # every ticket committed before the backup began is in it, with the same number
        assert {i: in_backup.get(i) for i in committed_before} == committed_before
        # a consistent snapshot: no ticket without the event written in its transaction
        assert set(in_backup) == issued_events(path)
        taken.append((path, in_backup))
    assert writer.is_alive() and writer.error is None
    assert len(writer.committed) > len(taken[0][1]) or len(taken[-1][1]) > len(taken[0][1]), \
        "the writer should have gone on during the backups"

    # the newest two are kept, oldest first; a backup is one file, no -wal beside it
    assert list_backups(backups_dir, database.stem) == [p for p, _ in taken[1:]]
    assert not taken[0][0].exists()
    assert sorted(p.name for p in backups_dir.iterdir()) == sorted(p.name for p, _ in taken[1:])

    # restoring over the live database is refused while the server holds it
    assert database_in_use(database)
    with pytest.raises(DatabaseInUse):
        restore_database(taken[1][0], database)
    assert len(ticket_numbers(database)) >= len(writer.committed)

    writer.stop.set()
    writer.join(30)
    assert writer.error is None
    all_committed = dict(writer.committed)

    # the nightly command, while the server still runs
    config_path = str(served_hall.config_path)
    result = subprocess.run([sys.executable, "-m", "queue_server", "--config", config_path, "backup",
                             "--dest", str(backups_dir), "--keep", "5"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    final = Path(result.stdout.strip().splitlines()[0].split("：", 1)[1])
    assert final.parent == backups_dir and final.name.startswith("govhall-")

    served_hall.stop()
    assert not database_in_use(database)

    # the disk lost the database: the restore brings back every committed ticket
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "queue_server", "--config", config_path, "restore", str(final)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    restored = ticket_numbers(database)
    assert restored == all_committed
    check = sqlite3.connect(database)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()

    # going back to an earlier backup keeps the database it replaces beside it
    earlier_path, earlier_tickets = taken[1]
    saved = restore_database(earlier_path, database)
    assert ticket_numbers(database) == earlier_tickets
    assert saved is not None and saved.parent == database.parent and "before-restore" in saved.name
    assert ticket_numbers(saved) == all_committed

    # the server starts on the restored database and numbers go on after the restored ones
    served_hall.start()
    response = requests.post(f"{served_hall.url}/api/v1/tickets", json={"service_id": services[0]["id"]},
                             headers=bearer(kiosk_token), timeout=10)
    assert response.status_code == 201, response.text
    assert response.json()["number"] not in {n for n in earlier_tickets.values() if n[0] == services[0]["prefix"]}


def test_forced_restore_lands_in_one_transaction_under_an_open_connection(hall_config, tmp_path):
    database = Path(hall_config["server"]["database"])
    db = store.connect(database)
    db.execute("INSERT INTO department (name) VALUES ('备份前的部门')")
    db.conn.close()
    snapshot = backup_database(database, tmp_path / "backups", keep=3)
    db = store.connect(database)
    db.execute("INSERT INTO department (name) VALUES ('备份后的部门')")
    db.conn.close()

    # another process keeps a connection open, as the server would
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, sqlite3\n"
         f"c = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
         "print(c.execute('PRAGMA journal_mode=WAL').fetchone()[0], flush=True)\n"
         "sys.stdin.readline()\n"
         "print(sorted(r[0] for r in c.execute('SELECT name FROM department')), flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "wal"
        with pytest.raises(DatabaseInUse):
            restore_database(snapshot, database)
        restore_database(snapshot, database, force=True)
        holder.stdin.write("\n")
        holder.stdin.flush()
        seen = holder.stdout.readline()
    finally:
        holder.kill()
        holder.wait()
    assert "备份前的部门" in seen and "备份后的部门" not in seen
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_bad_backup_is_refused_and_the_database_left_alone(hall_config, tmp_path):
    database = Path(hall_config["server"]["database"])
    before = ticket_numbers(database), database.read_bytes()
    garbage = tmp_path / "govhall-20260101T000000Z.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore_database(garbage, database)
    unrelated = tmp_path / "other.db"
    conn = sqlite3.connect(unrelated)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="没有一张相同的表"):
        restore_database(unrelated, database)
    assert (ticket_numbers(database), database.read_bytes()) == before


def test_backup_names_keep_and_same_second(hall_config, tmp_path):
    database = Path(hall_config["server"]["database"])
    moment = datetime(2026, 11, 25, 18, 30, tzinfo=timezone.utc)
    first = backup_database(database, tmp_path, keep=3, now=moment)
    second = backup_database(database, tmp_path, keep=3, now=moment)
    assert first.name == "govhall-20261125T183000Z.db"
    assert second.name == "govhall-20261125T183000Z-2.db"
    later = [backup_database(database, tmp_path, keep=3, now=moment.replace(hour=h)) for h in (19, 20)]
    assert list_backups(tmp_path, "govhall") == [second, *later]
    assert not list(tmp_path.glob("*.partial"))
    with pytest.raises(BackupError):
        backup_database(database, tmp_path, keep=0)
    with pytest.raises(BackupError):
        backup_database(tmp_path / "missing.db", tmp_path)


def test_cli_backs_up_both_databases_and_restores_each_by_name(tmp_path):
    hall = tmp_path / "hall"
    hall.mkdir()
    config = make_hall(hall)
    content = Path(config["content"]["database"])
    conn = sqlite3.connect(content)
    conn.execute("CREATE TABLE document (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO document (title) VALUES ('关于调整城乡低保标准的通知')")
    conn.commit()
    conn.close()
    (hall / "govhall.toml").write_text((hall / "govhall.toml").read_text(encoding="utf-8")
                                       + '\n[backup]\ndir = "backups"\nkeep = 2\n', encoding="utf-8")
    runner = CliRunner()
    config_arg = ["--config", str(hall / "govhall.toml")]
    for _ in range(3):
        result = runner.invoke(cli, [*config_arg, "backup"])
        assert result.exit_code == 0, result.output
    assert len(list_backups(hall / "backups", "govhall")) == 2
    content_backups = list_backups(hall / "backups", "content")
    assert len(content_backups) == 2

    conn = sqlite3.connect(content)
    conn.execute("DELETE FROM document")
    conn.commit()
    conn.close()
    result = runner.invoke(cli, [*config_arg, "restore", str(content_backups[-1])])
    assert result.exit_code == 0, result.output
    assert str(content) in result.output
    conn = sqlite3.connect(content)
    assert conn.execute("SELECT title FROM document").fetchall() == [("关于调整城乡低保标准的通知",)]
    conn.close()

    # a file whose name matches neither database needs --to
    stray = tmp_path / "copy.db"
    stray.write_bytes(content_backups[-1].read_bytes())
    result = runner.invoke(cli, [*config_arg, "restore", str(stray)])
    assert result.exit_code == 2 and "--to" in result.output
    _, saved = restore_hall(config, stray, to=str(content))
    assert saved is not None and saved.exists()
