"""Benchmark of the statistics: a year of a busy county hall (500,000 tickets, ~290,000 ratings)
and the time to produce its figures.

Measured, median of several runs each, on a warm database:
- `govhall report` text for the whole year (target: <= 1 s) — in process, and as a command;
- the admin statistics page's figures for the year and for one month;
- CSV and XLSX exports of the year; the six charts of a month.

The history is made by tests/admin/synthetic.py straight into SQLite (indexes built after the
load, as a bulk load would). Run: `.venv/bin/python tests/bench/bench_stats.py` (about 1-2
minutes); writes var/bench/stats.json."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from admin.synthetic import generate  # noqa: E402
from helpers import make_hall  # noqa: E402

from queue_server import stats, store  # noqa: E402
from queue_server.ops import charts, report  # noqa: E402

OUTPUT = REPO / "var" / "bench" / "stats.json"
TICKETS_PER_DAY = 2000  # × ~250 working days ≈ 500,000
WORKING_DAYS = 250
YEAR = stats.Period("2025-01-01", "2025-12-31")
MONTH = stats.Period("2025-06-01", "2025-06-30")
TARGET_REPORT_SECONDS = 1.0


def build_history(folder: Path) -> tuple[dict, int, float]:
    config = make_hall(folder)
    db = store.connect(config["server"]["database"])
    started = time.perf_counter()
    indexes = [row[0] for row in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('ticket', 'evaluation') AND sql IS NOT NULL")]
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('ticket', 'evaluation') AND sql IS NOT NULL")]
    for name in names:
        db.execute(f"DROP INDEX {name}")
    count = generate(db, date(2025, 1, 1), WORKING_DAYS, TICKETS_PER_DAY)
    for sql in indexes:
        db.execute(sql)
    db.conn.close()
    return config, count, time.perf_counter() - started


def timed(function, runs: int) -> list[float]:
    function()  # warm the page cache once
    result = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        result.append(time.perf_counter() - started)
    return result


def main():
    folder = Path(tempfile.mkdtemp(prefix="govhall-bench-stats-"))
    print(f"building a year of history in {folder} …", flush=True)
    config, count, build_seconds = build_history(folder)
    db = store.connect(config["server"]["database"])
    ratings = db.execute("SELECT count(*) FROM evaluation").fetchone()[0]
    print(f"{count} tickets, {ratings} ratings in {build_seconds:.0f} s", flush=True)

    month_figures = stats.hall_statistics(db, config, MONTH)
    rows = [
        ("report text, year (in process)", 7, lambda: report.render(db, config, YEAR, "text"), TARGET_REPORT_SECONDS),
        ("report figures, month", 7, lambda: stats.hall_statistics(db, config, MONTH, detail=False), None),
        ("statistics page figures, month", 5, lambda: stats.hall_statistics(db, config, MONTH), None),
        ("statistics page figures, year", 3, lambda: stats.hall_statistics(db, config, YEAR), None),
        ("CSV export, year", 3, lambda: report.to_csv(report.tables(report.build(db, config, YEAR, detail=True))), None),
        ("XLSX export, year", 3, lambda: report.to_xlsx(report.tables(report.build(db, config, YEAR, detail=True))), None),
        ("six charts, month", 3, lambda: [draw(month_figures) for draw in charts.CHARTS.values()], None),
    ]
    command = [sys.executable, "-m", "queue_server", "--config", str(folder / "govhall.toml"), "report",
               "--from", YEAR.first_day, "--to", YEAR.last_day]

    def run_command():
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)

    rows.insert(1, ("`govhall report` command, year (incl. start-up)", 3, run_command, None))
    results = []
    print(f"\n{'measure':52} {'median s':>9} {'min s':>7} {'max s':>7}  target")
    for label, runs, function, target in rows:
        samples = timed(function, runs)
        median = statistics.median(samples)
        results.append({"measure": label, "runs": runs, "median_s": round(median, 4), "min_s": round(min(samples), 4),
                        "max_s": round(max(samples), 4), "target_s": target,
                        "meets_target": None if target is None else median <= target})
        verdict = "" if target is None else (f"<= {target} s " + ("ok" if median <= target else "MISSED"))
        print(f"{label:52} {median:9.3f} {min(samples):7.3f} {max(samples):7.3f}  {verdict}", flush=True)
    print("\n" + report.render(db, config, YEAR, "text"))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({
        "tickets": count, "ratings": ratings, "period": [YEAR.first_day, YEAR.last_day],
        "database_mb": round(os.path.getsize(config["server"]["database"]) / 2 ** 20, 1),
        "build_seconds": round(build_seconds, 1), "results": results,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "sqlite": __import__("sqlite3").sqlite_version},
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {OUTPUT.relative_to(REPO)}")
    db.conn.close()
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
