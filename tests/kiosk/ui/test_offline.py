"""The queue server goes away and comes back: ticketing says so clearly and recovers by
itself; 政务公开 and 办事指南 keep working from the kiosk's own cache meanwhile."""

from __future__ import annotations

import time

import kivy_harness as harness


def type_pinyin(app, letters: str):
    """Open the on-screen keyboard if needed and press each letter, as a finger would."""
    screen = app.manager.get_screen("disclosure")
    if not screen.keyboard_open:
        harness.tap(harness.find(app, "SearchBox"))
    for letter in letters:
        harness.tap(next(k for k in harness.find_all(app, "KeyButton") if k.text == letter))


def test_offline_is_obvious_and_tickets_come_back_within_five_seconds(at_home, hall):
    app = at_home
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.tap(harness.find(app, "ListRow", "县民政局"))
    assert any(c.status for c in harness.find_all(app, "ServiceCard"))  # waits shown while online
    hall.stop()
    try:
        harness.wait_until(lambda: app.server_state == "offline", what="the kiosk to notice", timeout=15)
        # services greyed, their (stale) waits hidden, one large panel says what to do
        cards = harness.find_all(app, "ServiceCard")
        assert cards and not any(c.pickable for c in cards) and not any(c.status for c in cards)
        panel = harness.find(app, "WrapLabel", "暂时无法取号，请到咨询台人工取号")
        assert panel.font_size >= 36
        harness.screenshot("offline-services")
        harness.tap(cards[0])
        assert app.manager.current == "services" and not app.issuing
        harness.tap(harness.find(app, "BarButton", "首页"))
        tile = harness.find(app, "Tile", "取号")
        assert not tile.enabled and tile.hint == "暂时无法取号"
        assert harness.find(app, "WrapLabel", "暂时无法取号，请到咨询台人工取号")
        assert "取号服务连接中" in harness.find(app, "FitLabel", "取号服务连接中").text  # the strip, on every screen
        harness.screenshot("offline-home")
    finally:
        hall.start()
    back = time.monotonic()
    harness.wait_until(lambda: app.server_state == "ready", what="recovery", timeout=15)
    recovered_after = time.monotonic() - back
    assert recovered_after <= 5.0, f"tickets back only {recovered_after:.1f} s after the server"
    assert harness.find(app, "Tile", "取号").enabled
    assert not [w for w in harness.find_all(app, "WrapLabel", "暂时无法取号") if harness.visible(w)]
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", "县民政局"), what="the departments again")
    harness.tap(harness.find(app, "ListRow", "县民政局"))
    harness.tap(harness.find(app, "ServiceCard", "临时救助申请"))
    harness.wait_until(lambda: app.manager.current == "ticket", what="a ticket after recovery")
    assert app.ticket["number"].startswith("A")


def test_issuing_while_the_server_is_down_says_so(at_home, hall):
    app = at_home
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", "县民政局"), what="departments")
    harness.tap(harness.find(app, "ListRow", "县民政局"))
    hall.stop()
    try:
        harness.tap(harness.find(app, "ServiceCard", "最低生活保障申请"))
        harness.wait_until(lambda: app.server_state == "offline" and not app.issuing, what="the failed request")
        assert app.manager.current == "services"
        assert harness.find(app, "WrapLabel", "暂时无法取号，请到咨询台人工取号")
    finally:
        hall.start()
    harness.wait_until(lambda: app.server_state == "ready", what="recovery", timeout=15)


def test_browsing_and_search_work_from_the_cache_with_the_server_down(at_home, hall):
    app = at_home
    hall.stop()
    try:
        harness.wait_until(lambda: app.server_state == "offline", what="the kiosk to notice", timeout=15)
        harness.tap(harness.find(app, "Tile", "政务公开"))
        assert app.manager.current == "disclosure"
        harness.tap(harness.find(app, "Chip", "社会保障"))
        rows = harness.find_all(app, "ListRow")
        assert rows and all("社会保障" not in r.title or True for r in rows)
        harness.tap(harness.find(app, "ListRow", "最低生活保障标准"))
        assert app.manager.current == "article"
        assert harness.find(app, None, "索引号")
        assert harness.find(app, None, "11150123MB0000001X/2026-00012")
        assert harness.find(app, None, "公开日期")
        assert harness.find(app, "Image").texture is not None  # QR code to the original page
        harness.tap(harness.find(app, "BarButton", "返回"))
        assert app.manager.current == "disclosure"
        # a common topic, tapped
        harness.tap(harness.find(app, "Chip", "低保"))
        results = harness.find_all(app, "ListRow")
        assert any("最低生活保障" in r.title for r in results)
        assert "低保" in harness.find(app, None, "搜索结果").text
        # pinyin on the on-screen keyboard: the box says what the list is the result of
        type_pinyin(app, "luohu")
        assert harness.find(app, "SearchBox").text == "搜索：luohu"
        assert any("落户" in r.title for r in harness.find_all(app, "ListRow"))
        harness.tap(harness.find(app, "KioskButton", "清空"))
        assert harness.find(app, "SearchBox").text.startswith("点此用拼音搜索")
        type_pinyin(app, "qqqqzz")
        assert harness.find(app, "Notice", "没有找到")
        # 办事指南 from the cache too
        harness.tap(harness.find(app, "BarButton", "首页"))
        harness.tap(harness.find(app, "Tile", "办事指南"))
        harness.tap(harness.find(app, "ListRow", "最低生活保障申请"))
        assert app.manager.current == "guide"
        for field in ("法定依据", "申请条件", "办理程序", "申报材料", "办理时限", "收费标准", "联系方式"):
            assert harness.find(app, None, field)
        assert harness.find(app, None, "居民户口簿")
    finally:
        hall.start()
    harness.wait_until(lambda: app.server_state == "ready", what="recovery", timeout=15)


def test_materials_list_prints(at_home, hall):
    app = at_home
    harness.tap(harness.find(app, "Tile", "办事指南"))
    harness.tap(harness.find(app, "ListRow", "临时救助申请"))
    before = len(app.printer.output())
    harness.tap(harness.find(app, "KioskButton", "打印材料清单"))
    harness.wait_until(lambda: "已打印" in app.manager.get_screen("guide").print_message, what="the list printed")
    printed = app.printer.output()[before:]
    assert "临时救助申请书".encode("gb18030") in printed


def test_new_content_reaches_the_kiosk(at_home, hall):
    from content.store import ContentStore

    app = at_home
    with ContentStore(hall.config["content"]["database"]) as content:
        content.save_announcement({"title": "本周六上午大厅延时服务", "body": "办理社保卡业务的群众可前来。"})
    app.refresh_content()
    harness.wait_until(lambda: any("延时服务" in a["title"] for a in app._announcements), what="the new announcement")
    with ContentStore(hall.config["content"]["database"]) as content:
        server_version = content.version()
    app.refresh_content()
    harness.wait_until(lambda: app.content_version == server_version, what="the kiosk to hold the server's version")
