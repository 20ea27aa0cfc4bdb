"""The kiosk's parts that need no window: the HTTP client, the service list, the content
cache and the printer lane, against a real server on 127.0.0.1 and a `dummy:` printer."""

from __future__ import annotations

import socket
import sys

import pytest

from content.demo import load_demo_content
from content.store import ContentStore
from kiosk.cache import ContentCache
from kiosk.catalog import parse_services
from kiosk.client import HallClient, ServerRejected, ServerUnreachable
from kiosk.printing import PrinterStation, materials_slip, ticket_slip
from printer import PaperOut, PrinterStatus


def test_the_kiosk_package_needs_no_kivy_for_its_domain():
    import kiosk.launch  # noqa: F401 - `govhall kiosk` imports this before Kivy is configured
    assert not any(name == "kivy.core.window" for name in sys.modules)


def test_services_issue_and_rejections(live_server, tokens, hall_db):
    client = HallClient(live_server.url, tokens["kiosk"])
    departments = parse_services(client.services())
    choice = departments[0].services[0]
    assert choice.pickable and choice.status_text() == "前面没有人"
    ticket = client.issue_ticket(choice.id)
    assert ticket["number"] == f"{ticket['number'][0]}001"
    hall_db.execute("UPDATE service SET enabled = 0 WHERE id = ?", [choice.id])
    hall_db.conn.commit()
    with pytest.raises(ServerRejected) as refused:
        client.issue_ticket(choice.id)
    assert refused.value.code == "service_closed" and 400 <= refused.value.status < 500
    closed = next(s for d in parse_services(client.services()) for s in d.services if s.id == choice.id)
    assert not closed.pickable and closed.status_text() == "该事项暂停办理"
    assert closed.status_text("en") == "This service is suspended"


def test_daily_cap_is_explained(live_server, tokens, hall_db):
    client = HallClient(live_server.url, tokens["kiosk"])
    service_id = hall_db.execute("SELECT id FROM service WHERE name = '食品经营许可'").fetchone()[0]
    hall_db.execute("UPDATE service SET daily_cap = 1 WHERE id = ?", [service_id])
    hall_db.conn.commit()
    client.issue_ticket(service_id)
    with pytest.raises(ServerRejected) as refused:
        client.issue_ticket(service_id)
    assert refused.value.code == "daily_cap_reached"
    full = next(s for d in parse_services(client.services()) for s in d.services if s.id == service_id)
    assert full.cap_reached and full.status_text() == "今日已停止取号" and full.remaining_today == 0
    assert full.status_text("en") == "No more tickets today"


def test_no_server_is_unreachable_not_a_crash():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServerUnreachable):
        HallClient(f"http://127.0.0.1:{port}").services()


def test_heartbeat_reaches_the_server(live_server, tokens):
    client = HallClient(live_server.url, tokens["kiosk"])
    me = client.whoami()
    client.heartbeat(me["id"], "paper_out", 7, last_print_failure={"number": "A001", "error": "printer_paper_out"})
    kiosks = HallClient(live_server.url, tokens["admin"])._call("GET", "/kiosks")["kiosks"]
    assert kiosks[0]["printer_status"] == "paper_out" and kiosks[0]["content_version"] == 7


def test_content_cache_follows_the_server(live_server, hall_config, tmp_path):
    with ContentStore(hall_config["content"]["database"]) as content:
        load_demo_content(content)
        server_version = content.version()
    cache = ContentCache(tmp_path / "cache")
    assert cache.version() == 0
    assert cache.refresh(HallClient(live_server.url)) == server_version
    assert cache.reader.search("低保", limit=5)
    assert cache.reader.guide_for_service("最低生活保障申请")["materials"]
    with ContentStore(hall_config["content"]["database"]) as content:
        content.delete_guide("临时救助申请")
    cache.refresh(HallClient(live_server.url))
    assert cache.reader.guide_for_service("临时救助申请") is None
    cache.close()


def test_printer_station_prints_and_reports_paper_out(live_server, tokens):
    ticket = HallClient(live_server.url, tokens["kiosk"]).issue_ticket(1)
    slip = ticket_slip(ticket, "和林格尔县政务服务中心", ["当日号票当日有效。"], "Asia/Shanghai")
    station = PrinterStation("dummy:")
    station.print_ticket(slip)
    assert ticket["number"].encode() in station.output()
    assert station.status() == PrinterStatus.READY
    empty = PrinterStation("dummy:?status=paper_out")
    with pytest.raises(PaperOut):
        empty.print_ticket(slip)
    assert empty.status() == PrinterStatus.PAPER_OUT
    guide = {"service": "临时救助申请", "department": "县民政局", "materials": ["临时救助申请书"], "contact": "12345"}
    station.print_materials(materials_slip(guide, "和林格尔县政务服务中心"))
    assert "临时救助申请书".encode("gb18030") in station.output()


def test_after_a_print_the_station_repeats_what_the_printer_said(live_server, tokens, tmp_path):
    """The heartbeat carries the printer's own word: paper near end stays near end after a
    good print, and a printer that never answers stays unknown — never a "ready" it did not say."""
    ticket = HallClient(live_server.url, tokens["kiosk"]).issue_ticket(1)
    slip = ticket_slip(ticket, "和林格尔县政务服务中心", [], "Asia/Shanghai")
    low = PrinterStation("dummy:?status=paper_near_end")
    low.print_ticket(slip)
    assert low.last_status == PrinterStatus.PAPER_NEAR_END
    one_way = PrinterStation(f"file://{tmp_path / 'lp0'}")
    one_way.print_ticket(slip)
    assert (tmp_path / "lp0").read_bytes() and one_way.last_status == PrinterStatus.UNKNOWN
    answering = PrinterStation("dummy:")
    answering.print_ticket(slip)
    assert answering.last_status == PrinterStatus.READY


def test_a_call_for_help_reaches_the_staff_and_the_admin_console(live_server, tokens, hall_db):
    from queue_server import hall_admin, store

    client = HallClient(live_server.url, tokens["kiosk"])
    kiosk_id = client.whoami()["id"]
    answer = client.call_for_help(kiosk_id)
    assert answer["message"] == f"自助机 {kiosk_id} 需要协助"
    event = next(e for e in store.events_after(hall_db, 0) if e["type"] == "kiosk_help")
    assert event["data"]["kiosk"] == "测试自助机" and event["id"] == answer["event_id"]
    health = {k["id"]: k for k in hall_admin.kiosk_health(hall_db)}
    assert health[kiosk_id]["alerts"][0] == f"自助机 {kiosk_id} 需要协助"
    with pytest.raises(ServerRejected) as other:
        client.call_for_help(kiosk_id + 1)  # a kiosk calls only for itself
    assert other.value.status == 403


def test_card_and_tile_edges_stand_out_from_the_background():
    """WCAG's 3:1 for the edges of things to tap: white cards get an outline, tiles are solid."""
    import re
    from pathlib import Path

    colours = {name: tuple(float(v) for v in values.split(",")[:3]) for name, values in re.findall(
        r"^#:set (\w+) \(([^)]*)\)", (Path(__file__).parents[2] / "kiosk" / "kiosk.kv").read_text(), re.M)}

    def luminance(rgb):
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for edge in ("CARD_EDGE", "TICKET_RED", "INFO_BLUE", "GUIDE_GREEN", "HALL_BLUE"):
        assert contrast(colours[edge], colours["BACKGROUND"]) >= 3.0, edge
    assert contrast(colours["CARD_EDGE"], (1, 1, 1)) >= 3.0  # against the white card itself too


def test_pinyin_search_by_initials_and_syllables_best_first(tmp_path):
    from kiosk.pinyin_search import PinyinIndex

    with ContentStore(tmp_path / "content.db") as store:
        load_demo_content(store)
        for number, title in enumerate(["关于社保卡换发的通知", "社保缴费基数调整公告"]):
            store.upsert_document({"source_url": f"https://example.gov.cn/doc/{number}", "title": title,
                                   "body": "正文。", "category": "通知公告", "published_on": "2026-03-01"})
        index = PinyinIndex.build(store)
    for typed in ("sb", "shebao", "SheBao"):
        result = index.search(typed, limit=50)
        assert any(hit["title"] == "关于社保卡换发的通知" for hit in result.hits), typed
        assert result.total >= len(result.hits) >= 2
    # initials from the start (社保缴费…) before initials inside the title (关于社保卡…)
    titles = [hit["title"] for hit in index.search("sb").hits]
    assert titles.index("社保缴费基数调整公告") < titles.index("关于社保卡换发的通知")
    assert index.search("qqqzz").total == 0 and index.search("").hits == []


def test_pinyin_search_narrowing_as_one_types_finds_what_a_fresh_search_finds(tmp_path):
    """Each letter searches among the previous letter's matches: the same answer as a search
    from scratch, also after a letter is taken back."""
    from kiosk.pinyin_search import PinyinIndex

    with ContentStore(tmp_path / "content.db") as store:
        load_demo_content(store)
        index = PinyinIndex.build(store)
    fresh = PinyinIndex(index.entries)
    for typed in ("z", "zu", "zuo", "zu", "z", "zh", "zhu", "s", "sh", "she", "shebao", "b", "bd", "bdc"):
        got = index.search(typed, limit=10)
        again = fresh.search(typed, limit=10)
        fresh._last = ("", [])  # a search with nothing before it
        assert (got.total, got.hits) == (again.total, again.hits), typed
        assert len(got.hits) == min(10, got.total)


def test_a_character_no_font_has_reaches_the_admin_page_through_the_heartbeat(live_server, tokens, hall_db):
    """The printer package names the characters it had to leave as empty boxes; the kiosk
    reports the last such slip, and the admin's kiosk list says which character and what to do."""
    from queue_server import hall_admin

    no_font_has = "\U00030000"  # CJK Extension G: no font here (or on a kiosk) draws it
    client = HallClient(live_server.url, tokens["kiosk"])
    ticket = client.issue_ticket(1)
    station = PrinterStation("dummy:")
    station.print_ticket(ticket_slip(dict(ticket, service=f"户籍登记（王{no_font_has}）"), "和林格尔县政务服务中心",
                                     [], "Asia/Shanghai"))
    assert station.last_missing == [no_font_has]
    station.print_ticket(ticket_slip(ticket, "和林格尔县政务服务中心", [], "Asia/Shanghai"))
    assert station.last_missing == []  # a later, plain slip: nothing missing on it
    kiosk_id = client.whoami()["id"]
    client.heartbeat(kiosk_id, "ready", 1, printer_warning={"slip": ticket["number"], "characters": no_font_has,
                                                             "at": "2099-01-01T09:00:00+08:00"})
    alerts = {k["id"]: k for k in hall_admin.kiosk_health(hall_db)}[kiosk_id]["alerts"]
    assert any(no_font_has in alert and ticket["number"] in alert and "fonts-hanazono" in alert for alert in alerts)
    # a day later it is no longer news
    from datetime import datetime, timedelta, timezone

    later = datetime(2099, 1, 1, 1, tzinfo=timezone.utc) + timedelta(days=1, minutes=1)
    alerts = {k["id"]: k for k in hall_admin.kiosk_health(hall_db, now=later)}[kiosk_id]["alerts"]
    assert not any("打印缺字" in alert for alert in alerts)


def test_the_card_reader_and_the_green_channel_age_come_from_the_config(tmp_path):
    from helpers import write_config
    from kiosk.settings import KioskSettings
    from queue_server.config import load_config

    path = write_config(tmp_path)
    text = path.read_text().replace("[kiosk]\n", '[kiosk]\nidcard = "usb://10c4:ea60"\ngreen_channel_age = 65\n', 1)
    path.write_text(text)
    settings = KioskSettings.from_config(load_config(path, environ={}))
    assert settings.idcard == "usb://10c4:ea60" and settings.green_channel_age == 65
    (tmp_path / "plain").mkdir()
    plain = KioskSettings.from_config(load_config(write_config(tmp_path / "plain"), environ={}))
    assert plain.idcard == "" and plain.green_channel_age == 70
