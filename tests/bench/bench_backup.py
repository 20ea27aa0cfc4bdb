"""Benchmark of the nightly backup on a year's database, and what it costs a kiosk taking
tickets at the same moment.

1. A hall database holding a busy year: 250 working days x 600 tickets, each with its
   issue event (about 150,000 tickets).
2. `backup_database` on it (median of 3), and `restore_database` of the backup into a
   fresh file.
3. A second process issues tickets through the queue domain as fast as it can, first alone,
   then while backups run back to back: the time each ticket takes, p50 and max.
   Targets: a backup of the year <= 10 s; the kiosk's slowest ticket during backups <= 0.5 s
   (WAL: the backup's read snapshot never blocks the writer).

Run: `.venv/bin/python tests/bench/bench_backup.py` (under a minute); writes var/bench/backup.json."""

from __future__ import annotations

import json
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from queue_server import store  # noqa: E402
from queue_server.ops.backup import backup_database, restore_database  # noqa: E402
from queue_server.config import load_config  # noqa: E402
from queue_server.hall import load_hall  # noqa: E402

OUTPUT = REPO / "var" / "bench" / "backup.json"
DAYS, TICKETS_PER_DAY = 250, 600
WRITER_SECONDS = 8.0
BACKUP_TARGET_S, WRITER_MAX_TARGET_S = 10.0, 0.5

# The writer: issues tickets for `seconds` and prints each one's duration in seconds.
WRITER = """
import json, sys, time
sys.path.insert(0, {repo!r})
from queue_server import store
from queue_server.config import load_config
from queue_server.queue import Queue
config = load_config({config!r}, environ={{}})
db = store.connect(config["server"]["database"])
queue = Queue(db, config)
services = [s["id"] for s in store.list_services(db) if not s["daily_cap"]][:4]
print("ready", flush=True)
sys.stdin.readline()
durations, end, n = [], time.monotonic() + {seconds}, 0
while time.monotonic() < end:
    started = time.perf_counter()
    queue.issue_ticket(services[n % len(services)])
    durations.append(time.perf_counter() - started)
    n += 1
print(json.dumps(durations), flush=True)
"""


def build_year(folder: Path) -> dict:
    config_path = folder / "govhall.toml"
    config_path.write_text('[server]\ndatabase = "govhall.db"\n[content]\ndatabase = "content.db"\n', encoding="utf-8")
    config = load_config(config_path, environ={})
    db = store.connect(config["server"]["database"])
    store.migrate(db)
    load_hall(db, REPO / "content" / "demo" / "hall.toml")
    store.open_all_day(db)
    services = [s for s in store.list_services(db) if not s["daily_cap"]]
    first = date.today() - timedelta(days=400)
    ticket_id = 0
    for day_index in range(DAYS):
        day = (first + timedelta(days=day_index)).isoformat()
        opening = datetime.fromisoformat(day).replace(hour=1, tzinfo=timezone.utc)
        seqs: dict[str, int] = {}
        tickets, events = [], []
        for n in range(TICKETS_PER_DAY):
            service = services[n % len(services)]
            seqs[service["prefix"]] = seq = seqs.get(service["prefix"], 0) + 1
            number, issued, ticket_id = f"{service['prefix']}{seq:03d}", opening + timedelta(seconds=40 * n), ticket_id + 1
            tickets.append({
                "id": ticket_id, "number": number, "prefix": service["prefix"], "seq": seq, "local_day": day,
                "service_id": service["id"], "status": "done", "priority": 0, "token": secrets.token_urlsafe(12),
                "line_key": issued.timestamp(), "issued_at": issued.isoformat(),
                "finished_at": (issued + timedelta(minutes=9)).isoformat()})
            events.append({"at": issued.isoformat(), "type": "ticket_issued", "ticket_id": ticket_id,
                           "service_id": service["id"], "data": json.dumps({"number": number})})
        with store.immediate(db):  # one day, one transaction
            db["ticket"].insert_all(tickets, batch_size=1000)
            db["event"].insert_all(events, batch_size=1000)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return config


def run_writer(config_path: Path, during=None) -> tuple[list[float], list[float]]:
    """Ticket durations of the writer process; `during()` is called repeatedly while it runs
    and its return values (seconds) collected."""
    script = WRITER.format(repo=str(REPO), config=str(config_path), seconds=WRITER_SECONDS)
    writer = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    writer.stdin.write("\n")
    writer.stdin.flush()
    extra = []
    started = time.monotonic()
    while during and time.monotonic() - started < WRITER_SECONDS - 0.2:
        extra.append(during())
    durations = json.loads(writer.stdout.readline())
    writer.wait(30)
    return durations, extra


def main():
    with tempfile.TemporaryDirectory(prefix="govhall-bench-backup-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        config = build_year(tmp)
        built_s = time.perf_counter() - started
        database = Path(config["server"]["database"])
        size_mb = database.stat().st_size / 1e6

        backup_times, backup = [], None
        for _ in range(3):
            started = time.perf_counter()
            backup = backup_database(database, tmp / "backups", keep=3)
            backup_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        restore_database(backup, tmp / "restored" / "govhall.db")
        restore_s = time.perf_counter() - started

        def one_backup():
            began = time.perf_counter()
            backup_database(database, tmp / "backups", keep=2)
            return time.perf_counter() - began

        alone, _ = run_writer(tmp / "govhall.toml")
        during, backups_during = run_writer(tmp / "govhall.toml", during=one_backup)

    def ms(values, q):
        ordered = sorted(values)
        return 1000 * (statistics.median(ordered) if q == 50 else ordered[-1])

    result = {
        "machine": platform.platform(), "python": platform.python_version(),
        "database": {"tickets": DAYS * TICKETS_PER_DAY, "size_mb": round(size_mb, 1), "built_s": round(built_s, 1)},
        "backup_s_median": round(statistics.median(backup_times), 3), "backup_target_s": BACKUP_TARGET_S,
        "restore_s": round(restore_s, 3),
        "writer_alone": {"tickets": len(alone), "p50_ms": round(ms(alone, 50), 2), "max_ms": round(ms(alone, 100), 1)},
        "writer_during_backups": {"tickets": len(during), "backups": len(backups_during),
                                  "p50_ms": round(ms(during, 50), 2), "max_ms": round(ms(during, 100), 1),
                                  "max_target_ms": WRITER_MAX_TARGET_S * 1000},
    }
    print(f"database: {result['database']['tickets']:,} tickets, {size_mb:.1f} MB (built in {built_s:.1f} s)")
    print(f"{'measure':<44}{'value':>12}{'target':>12}")
    print(f"{'backup of the year, median of 3 (s)':<44}{result['backup_s_median']:>12.3f}{BACKUP_TARGET_S:>12.1f}")
    print(f"{'restore into a fresh file (s)':<44}{restore_s:>12.3f}{'':>12}")
    for label, key in (("kiosk alone", "writer_alone"), ("kiosk during backups", "writer_during_backups")):
        entry = result[key]
        print(f"{label + ', tickets':<44}{entry['tickets']:>12}")
        print(f"{label + ', p50 per ticket (ms)':<44}{entry['p50_ms']:>12.2f}")
        target = f"{WRITER_MAX_TARGET_S * 1000:.0f}" if key == "writer_during_backups" else ""
        print(f"{label + ', slowest ticket (ms)':<44}{entry['max_ms']:>12.1f}{target:>12}")
    print(f"{'backups run while the kiosk wrote':<44}{len(backups_during):>12}")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
