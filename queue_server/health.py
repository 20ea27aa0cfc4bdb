"""What `/api/v1/healthz` reports: whether the hall can work, and what needs a technician soon.

- the database takes a write within WRITE_BOUND_MS (the lock taken and let go, nothing written);
- the file passes SQLite's quick check: at start (in a helper process, the server answering
  meanwhile), on demand (`?check=integrity`), and again on every health check while the file is
  known to be damaged, so a file repaired or restored (`govhall restore --force`) is noticed
  without restarting the server;
- free disk space beside the database, the voice pack present, the age of the newest backup.

A damaged file or a write that does not answer in time is `503` (monitoring and the kiosks'
fall-back rely on it); the rest are `warnings` beside a `200`: the hall can work meanwhile."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

from . import clock, offload, store

WRITE_BOUND_MS = 2000
LOW_DISK_MB = 500
OLD_BACKUP_HOURS = 36  # a nightly backup missed once is still fine; twice is not
DAMAGED_MESSAGE = "数据库文件已损坏，请用 govhall restore 从备份恢复（restore it with `govhall restore`）"

# per database file: the last integrity check's outcome, and whether a request met a damaged page
_state: dict[str, dict] = {}
_state_lock = threading.Lock()


def _of(database: str) -> dict:
    with _state_lock:
        return _state.setdefault(database, {"problems": None, "checked_at": None, "damaged": False})


def is_damage(error: BaseException) -> bool:
    """Whether an SQLite error means a damaged file (not a busy or missing one)."""
    text = str(error).lower()
    return isinstance(error, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text
                                                         or "corrupt" in text)


def note_damage(database: str):
    """A request met a damaged page: report it until a check finds the file sound again."""
    _of(database)["damaged"] = True


def check_integrity_of(database: str) -> list[str]:
    """The quick check on its own connection (on a low-priority thread: it reads the whole file)."""
    try:
        db = store.connect(database)
    except sqlite3.DatabaseError as error:
        return [str(error)]
    try:
        return store.integrity_problems(db)
    except sqlite3.DatabaseError as error:
        return [str(error)]
    finally:
        db.conn.close()


def run_integrity_check(database: str) -> list[str]:
    problems = offload.run_on_low_thread(check_integrity_of, database)
    state = _of(database)
    state.update(problems=problems, checked_at=clock.to_iso(clock.utc_now()), damaged=bool(problems))
    return problems


def check_in_background(database: str):
    """The check at start: the server answers meanwhile (integrity `checking`)."""
    def run():
        try:
            run_integrity_check(database)
        except Exception as error:  # a helper that could not start: say so, do not stop the server
            _of(database).update(problems=[f"检查未完成：{error}"], checked_at=clock.to_iso(clock.utc_now()))

    threading.Thread(target=run, name="govhall-integrity-check", daemon=True).start()


def report(db, config: dict, backup_age_hours: float | None, check_integrity: bool = False) -> tuple[int, dict]:
    """(HTTP status, body) of the health check; `backup_age_hours` of the newest backup (None: none)."""
    database = config["server"]["database"]
    state = _of(database)
    if check_integrity or state["damaged"]:
        run_integrity_check(database)

    body: dict = {"time": clock.to_iso(clock.utc_now())}
    started = time.perf_counter()
    try:
        store.write_probe(db, WRITE_BOUND_MS)
        body["database"] = "ok"
    except sqlite3.OperationalError as error:
        body["database"] = "unavailable"
        body["database_error"] = str(error)
    except sqlite3.DatabaseError as error:
        note_damage(database)
        body["database"] = "damaged"
        body["database_error"] = str(error)
    body["write_ms"] = round((time.perf_counter() - started) * 1000, 1)

    problems = state["problems"]
    body["integrity"] = {"result": "checking" if problems is None else ("ok" if not problems else "damaged"),
                         "checked_at": state["checked_at"], "problems": (problems or [])[:5]}
    damaged = body["database"] == "damaged" or state["damaged"] or bool(problems)

    folder = Path(database).resolve().parent
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    voice = Path(config["server"]["voice_dir"])
    voice_present = voice.is_dir() and any(voice.glob("*.wav"))
    backup_hours = backup_age_hours
    body.update(disk_free_mb=free_mb, voice_pack=voice_present, last_backup_age_hours=backup_hours)

    warnings = []
    if free_mb < LOW_DISK_MB:
        warnings.append(f"磁盘剩余空间不足 {LOW_DISK_MB} MB")
    if not voice_present:
        warnings.append("语音包不存在（govhall voice build）")
    if backup_hours is None or backup_hours > OLD_BACKUP_HOURS:
        warnings.append("最近 36 小时内没有备份（govhall backup）")
    body["warnings"] = warnings

    if damaged:
        return 503, {"status": "error", "error": "database_damaged", "message": DAMAGED_MESSAGE, **body}
    if body["database"] != "ok":
        return 503, {"status": "error", "error": "database_unavailable",
                     "message": f"数据库在 {WRITE_BOUND_MS // 1000} 秒内未能写入，请稍后重试", **body}
    return 200, {"status": "ok", **body}  # the hall works; `warnings` are for the technician
