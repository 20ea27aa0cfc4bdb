"""The hall's speaker says the present: a burst of calls is not read out for minutes afterwards.
Whether a call is still worth saying is decided when it is about to play — its ticket still called
at that window, the call fresh — and the big 当前叫号 box follows what is said. The page's own
audio queue and log (window.govhallSpeaker) are read to see it."""

from __future__ import annotations

from playwright.sync_api import expect

from queue_server import store

from .conftest import Api, db_of, open_page, screenshot

WINDOWS = range(1, 11)
SPEAK_IF_YOUNGER_THAN_S = 30  # hall.js


def _burst_of_calls(server, hall, tokens) -> dict:
    """Two tickets of every service, then the ten windows opened by the admin and calling at once."""
    kiosk, admin = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["admin"])
    db = db_of(hall)
    try:
        services = [s["id"] for s in store.list_services(db)]
    finally:
        db.conn.close()
    for service in services * 2:
        kiosk.issue(service)
    for number in WINDOWS:
        admin.post(f"/windows/{number}/open")
    return {number: admin.post(f"/windows/{number}/call-next")["number"] for number in WINDOWS}


def _speaker_page(server, context):
    page = open_page(context, server.url + "/display?audio=1")
    page.wait_for_function("window.govhallFeed && document.documentElement.dataset.live === 'online'")
    return page


def _settled_log(page, timeout=60_000):
    """The speaker's log once nothing is playing or waiting."""
    return page.wait_for_function(
        "!window.govhallSpeaker.playing && window.govhallSpeaker.queue.length === 0 && window.govhallSpeaker.log",
        timeout=timeout, polling=200).json_value()


def test_calls_finished_before_their_turn_are_never_played(server, hall, context, tokens):
    hall["voice"]["repeat"] = 1
    speaker = _speaker_page(server, context)
    called = _burst_of_calls(server, hall, tokens)
    admin = Api(server.url, tokens["admin"])
    speaker.wait_for_function("window.govhallSpeaker.log.length + window.govhallSpeaker.queue.length"
                              " + (window.govhallSpeaker.playing ? 1 : 0) >= 10")
    for number in WINDOWS:
        admin.post(f"/windows/{number}/finish")
    log = _settled_log(speaker)
    by_event = {entry["event_id"]: entry for entry in log}
    assert len(by_event) == 10, log  # every call either spoken or given up, once
    played = [entry for entry in log if "dropped" not in entry]
    # only what was already playing when the finishes came: at most the first call and the one after it
    assert len(played) <= 2, played
    assert {entry["dropped"] for entry in log if "dropped" in entry} <= {"not_called", "queue_full"}, log
    assert {entry["number"] for entry in log} == set(called.values())
    # the big box no longer invites anyone: every ticket is finished
    expect(speaker.locator("#latest-number")).to_have_text("—")
    screenshot(speaker, "speaker-after-burst-finished-1920x1080")
    assert speaker.js_errors == []


def test_a_burst_left_standing_is_spoken_fresh_or_not_at_all(server, hall, context, tokens):
    hall["voice"]["repeat"] = 2  # the hall's own setting: about seven seconds a call
    speaker = _speaker_page(server, context)
    called = _burst_of_calls(server, hall, tokens)
    queue_sizes = []
    # while it speaks, the box shows the call being spoken, never one still waiting its turn
    for _ in range(3):
        speaker.wait_for_function("window.govhallSpeaker.playing", timeout=20_000)
        state = speaker.evaluate("""() => ({ playing: window.govhallSpeaker.playing && window.govhallSpeaker.playing.data.number,
            box: document.getElementById('latest-number').textContent,
            queued: window.govhallSpeaker.queue.length })""")
        queue_sizes.append(state["queued"])
        if state["playing"]:
            assert state["box"] == state["playing"], state
        speaker.wait_for_timeout(2500)
    log = _settled_log(speaker, timeout=90_000)
    played = [entry for entry in log if "dropped" not in entry]
    assert played and all(entry["age_s"] <= SPEAK_IF_YOUNGER_THAN_S for entry in played), played
    assert len(played) < 10  # some of the ten could only have been said too late
    assert {entry["dropped"] for entry in log if "dropped" in entry} <= {"too_old", "queue_full"}, log
    assert max(queue_sizes) <= 6
    assert {entry["number"] for entry in log} == set(called.values())
    assert speaker.js_errors == []
