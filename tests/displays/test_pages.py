"""The pages and the announcement route over plain HTTP (Flask's test client)."""

from __future__ import annotations

import io
import wave

import pytest

from queue_server import store
from queue_server.web.app import create_app
from queue_server.accounts import Principal
from queue_server.queue import Queue

from .conftest import db_of


@pytest.fixture
def client(hall):
    return create_app(hall).test_client()


def call_one(config) -> dict:
    """Issue a ticket and have window 1 call it, through the domain."""
    db = db_of(config)
    try:
        queue = Queue(db, config)
        staff = store.find_staff_login(db, "王丽")
        actor = Principal("staff", role="staff", staff_id=staff["id"])
        queue.issue_ticket(store.get_service_by_name(db, "最低生活保障申请")["id"])
        queue.open_window(1, actor)
        return queue.call_next(1, actor)
    finally:
        db.conn.close()


def test_tv_pages_render_with_the_picture_embedded(client, hall):
    called = call_one(hall)
    page = client.get("/display")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "和林格尔县政务服务中心" in html and called["number"] in html  # in the embedded snapshot
    window = client.get("/display/window/1").get_data(as_text=True)
    assert "1号窗口" in window and "民政综合窗口" in window and "王丽" in window and "服务监督电话" in window


def test_unknown_windows_and_tickets_are_404(client):
    assert client.get("/display/window/99").status_code == 404
    assert client.get("/evaluate/99").status_code == 404
    missing = client.get("/t/no-such-token")
    assert missing.status_code == 404 and "没有找到这张号票" in missing.get_data(as_text=True)


def test_the_workstation_needs_a_login(client):
    response = client.get("/staff")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_announcement_of_a_call_is_a_wav(client, hall):
    called = call_one(hall)
    response = client.get(f"/api/v1/announcements/{called['event_id']}.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as wav:
        assert wav.getframerate() == 22050 and wav.getnframes() / 22050 > 5


def test_events_without_speech_and_unknown_events_are_404(client, hall):
    call_one(hall)
    issued = next(e for e in store.events_after(db_of(hall), 0) if e["type"] == "ticket_issued")
    response = client.get(f"/api/v1/announcements/{issued['id']}.wav")
    assert response.status_code == 404 and response.json["error"] == "not_announced"
    assert client.get("/api/v1/announcements/99999.wav").json["error"] == "not_found"


def test_without_a_voice_pack_the_route_says_how_to_build_one(hall, tmp_path):
    hall["server"]["voice_dir"] = str(tmp_path / "no-pack")
    called = call_one(hall)
    response = create_app(hall).test_client().get(f"/api/v1/announcements/{called['event_id']}.wav")
    assert response.status_code == 503 and "govhall voice build" in response.json["message"]


def _set_photo(config, photo):
    db = db_of(config)
    staff = store.find_staff_login(db, "王丽")
    db["staff"].update(staff["id"], {"photo": photo})
    db.conn.close()


def test_the_window_photo_is_served_from_var_only(client, hall, tmp_path):
    call_one(hall)  # 王丽 is at window 1
    assert client.get("/display/window/1/photo").mimetype == "image/svg+xml"  # no photo: the silhouette
    (tmp_path / "photos").mkdir()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    (tmp_path / "photos" / "wangli.png").write_bytes(png)
    _set_photo(hall, "wangli.png")
    response = client.get("/display/window/1/photo")
    assert response.mimetype == "image/png" and response.data == png
    for outside in ("../../../../etc/passwd", "/etc/hostname", "govhall.db", "secret_key"):
        _set_photo(hall, outside)
        assert client.get("/display/window/1/photo").mimetype == "image/svg+xml", outside


HUGE_IDS = ["99999999999999999999999", str(2**63), str(2**63 - 1)]  # past SQLite's integers, and its largest


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_too_big_for_the_database_are_404_not_500(client, hall, huge):
    call_one(hall)
    wav = client.get(f"/api/v1/announcements/{huge}.wav")
    assert wav.status_code == 404 and wav.is_json and wav.json["error"] == "not_found"
    for path in (f"/display/window/{huge}/photo", f"/display/window/{huge}", f"/evaluate/{huge}"):
        assert client.get(path).status_code == 404, path
