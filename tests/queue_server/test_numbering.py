"""Ticket numbers: per prefix, per local day of the hall, never duplicated, never reused."""

from __future__ import annotations

import pytest

import multiprocessing
from datetime import datetime, timezone

import requests

from helpers import bearer
from queue_server import store
from queue_server.config import load_config
from queue_server.queue import Queue

pytestmark = pytest.mark.calendar  # also run at fixed moments of the hall's clock (Makefile)

SERVICE = "最低生活保障申请"  # prefix A, no daily cap


def _issue_many(config_path: str, service_id: int, count: int) -> list[str]:
    config = load_config(config_path, environ={})
    db = store.connect(config["server"]["database"])
    queue = Queue(db, config)
    return [queue.issue_ticket(service_id)["number"] for _ in range(count)]


def test_eight_processes_get_800_distinct_gap_free_numbers(hall_config, hall_db, tmp_path):
    service_id = store.get_service_by_name(hall_db, SERVICE)["id"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        results = pool.starmap(_issue_many, [(str(tmp_path / "govhall.toml"), service_id, 100)] * 8)
    numbers = [n for chunk in results for n in chunk]
    assert len(numbers) == 800
    assert len(set(numbers)) == 800
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 801)]
    # each process saw its own numbers in increasing order
    for chunk in results:
        assert chunk == sorted(chunk)
    stored = hall_db.execute("SELECT count(*), count(DISTINCT number) FROM ticket").fetchone()
    assert tuple(stored) == (800, 800)


def _at(text: str):
    moment = datetime.fromisoformat(text)
    return lambda: moment


def test_local_day_boundary_is_the_halls_midnight_not_utc(hall_config, hall_db):
    service_id = store.get_service_by_name(hall_db, SERVICE)["id"]
    # 23:59 and 00:01 Beijing time: two days, so both are A001
    late = Queue(hall_db, hall_config, now=_at("2026-11-24T23:59:00+08:00")).issue_ticket(service_id)
    early = Queue(hall_db, hall_config, now=_at("2026-11-25T00:01:00+08:00")).issue_ticket(service_id)
    assert late["number"] == "A001" and early["number"] == "A001"
    days = [r[0] for r in hall_db.execute("SELECT local_day FROM ticket ORDER BY id")]
    assert days == ["2026-11-24", "2026-11-25"]
    # 07:59 and 08:01 Beijing are 23:59 and 00:01 UTC of different UTC days, but one hall day
    a = Queue(hall_db, hall_config, now=_at("2026-11-25T07:59:00+08:00")).issue_ticket(service_id)
    b = Queue(hall_db, hall_config, now=_at("2026-11-25T00:01:00+00:00")).issue_ticket(service_id)
    assert datetime.fromisoformat(a["issued_at"]).astimezone(timezone.utc).day == 24
    assert (a["number"], b["number"]) == ("A002", "A003")


def test_services_sharing_a_prefix_share_a_sequence(hall_config, hall_db):
    queue = Queue(hall_db, hall_config)
    first = queue.issue_ticket(store.get_service_by_name(hall_db, "最低生活保障申请")["id"])
    second = queue.issue_ticket(store.get_service_by_name(hall_db, "临时救助申请")["id"])
    other = queue.issue_ticket(store.get_service_by_name(hall_db, "失业登记")["id"])
    assert (first["number"], second["number"], other["number"]) == ("A001", "A002", "B001")


def test_a_new_day_starts_at_one_without_deleting_anything(hall_config, hall_db):
    service_id = store.get_service_by_name(hall_db, SERVICE)["id"]
    monday = Queue(hall_db, hall_config, now=_at("2026-11-23T10:00:00+08:00"))
    for _ in range(3):
        monday.issue_ticket(service_id)
    tuesday = Queue(hall_db, hall_config, now=_at("2026-11-24T10:00:00+08:00")).issue_ticket(service_id)
    assert tuesday["number"] == "A001"
    assert hall_db.execute("SELECT count(*) FROM ticket").fetchone()[0] == 4


def test_killed_server_continues_numbering_and_loses_no_ticket(served_hall, tokens):
    service_id = 1
    url = served_hall.url + "/api/v1/tickets"
    first = [requests.post(url, json={"service_id": service_id}, headers=bearer(tokens["kiosk"]), timeout=5).json()
             for _ in range(30)]
    served_hall.kill(9)
    served_hall.start()
    second = [requests.post(url, json={"service_id": service_id}, headers=bearer(tokens["kiosk"]), timeout=5).json()
              for _ in range(5)]
    numbers = [t["number"] for t in first + second]
    assert numbers == [f"A{i:03d}" for i in range(1, 36)]
    # every ticket answered before the kill is still there after it
    for ticket in first:
        status = requests.get(f"{served_hall.url}/api/v1/tickets/{ticket['token']}", timeout=5)
        assert status.status_code == 200 and status.json()["number"] == ticket["number"]
