"""The sync's record in the admin: a run in which every page failed reads 失败, one in which some did
reads 部分失败, and its times are the hall's local times (not UTC)."""

from __future__ import annotations

from datetime import datetime

from content.store import ContentStore
from queue_server import clock


def _run(database, report):
    with ContentStore(database) as contents:
        run_id = contents.start_sync_run("site.toml")
        contents.finish_sync_run(run_id, report)
        return contents.sync_runs(limit=1)[0]


def test_failed_runs_say_so_in_local_time(hall_config, admin_browser):
    database = hall_config["content"]["database"]
    failure = {"message": "无法连接网站", "url": "http://county.example/zwgk/1.html"}
    unreachable = _run(database, {"failed": [failure] * 3})
    page = admin_browser.get("/admin/content/sync").text
    rows = page[page.index("最近的同步"):]
    assert "失败" in rows and "已完成" not in rows
    local = clock.local(datetime.fromisoformat(unreachable["started_at"]), hall_config["hall"]["timezone"])
    assert local.strftime("%Y-%m-%d %H:%M:%S") in rows
    assert "UTC" not in page

    _run(database, {"new": [{"url": "http://county.example/zwgk/2.html"}], "failed": [failure]})
    overview = admin_browser.get("/admin/content/").text
    assert "部分失败（1 页）" in overview and "UTC" not in overview
    _run(database, {"new": [{"url": "http://county.example/zwgk/3.html"}]})
    assert "已完成" in admin_browser.get("/admin/content/").text
