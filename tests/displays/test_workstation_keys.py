"""The workstation used all day by keyboard: the transfer dialog starts empty and offers only what
can take the ticket, a transfer that changes nothing is refused, the keys work again after every
dialog and field, a refused key says why, the queue is on screen at 1366x768, and every label and
every disabled control is legible (WCAG contrast)."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from helpers import bearer

from .conftest import Api, events, login, screenshot, service_id, take_window, wait_until

ALLOWANCE = 10_000

# Contrast of every visible text in the desk against the background it sits on:
# [{text, ratio, disabled}] (WCAG relative luminance; translucent colours composited).
CONTRASTS = """(root) => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
                                   b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                       return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
  };
  const opacity = (node) => { let o = 1; for (let n = node; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
  const found = [];
  root.querySelectorAll('*').forEach((node) => {
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || !node.getClientRects().length || getComputedStyle(node).visibility === 'hidden') return;
    const bg = background(node);
    const fg = parse(getComputedStyle(node).color);
    fg.a *= opacity(node);
    const a = lum(over(fg, bg)), b = lum(bg);
    found.push({ text: node.textContent.trim().slice(0, 20), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
                 disabled: Boolean(node.closest('button:disabled')) });
  });
  return found;
}"""


def _focus_is_free(page) -> bool:
    return page.evaluate("document.activeElement === document.body || document.activeElement === null")


def test_transfer_dialog_keys_and_focus(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    card = service_id(hall, "社会保障卡申领")
    tickets = [kiosk.issue(card) for _ in range(3)]
    staff = login(context, server.url)
    take_window(staff, 2)
    staff.wait_for_function("document.documentElement.dataset.live === 'online'")
    message = staff.locator("#message")

    staff.keyboard.press("f")  # nothing to finish: refused, and it says why
    expect(message).to_have_text("当前没有办理中的号票，请先按 N 呼叫下一位")
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text(tickets[0]["number"], timeout=ALLOWANCE)
    staff.wait_for_function("!document.body.dataset.busy")
    staff.keyboard.press("n")  # a ticket is current: N says what to do first
    expect(message).to_contain_text(f"{tickets[0]['number']} 尚未办结")

    staff.keyboard.press("t")
    dialog = staff.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    services = staff.locator("#transfer-service option").all_inner_texts()
    assert not any("社会保障卡申领" in text for text in services[1:])  # not to its own service
    assert len(services) > 5
    # the same service: only the other window that calls it (3号), never this one
    assert staff.locator("#transfer-window option").all_inner_texts() == ["（请选择窗口）", "3号窗口 · 社保窗口"]
    staff.click('#transfer-form button[type=submit]')  # nothing chosen: no transfer at all
    expect(staff.locator("#transfer-error")).to_have_text("请选择另一个事项或另一个窗口")
    expect(dialog).to_be_visible()
    # another service: the windows that call it
    staff.select_option("#transfer-service", str(service_id(hall, "户籍迁入")))
    assert staff.locator("#transfer-window option").all_inner_texts()[1:] == ["9号窗口 · 户籍窗口"]
    staff.select_option("#transfer-service", "")
    staff.select_option("#transfer-window", "3")
    screenshot(staff, "staff-transfer-dialog-1366x768")
    staff.click('#transfer-form button[type=submit]')
    moved = wait_until(lambda: events(hall, "ticket_transferred"))[-1]["data"]
    assert (moved["number"], moved["to_window"]) == (tickets[0]["number"], 3)
    expect(dialog).not_to_be_visible()
    staff.wait_for_function("!document.body.dataset.busy")
    assert _focus_is_free(staff)

    # the next transfer starts empty again; Esc leaves it and the keys work at once
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text(tickets[1]["number"], timeout=ALLOWANCE)
    staff.wait_for_function("!document.body.dataset.busy")
    staff.keyboard.press("t")
    expect(dialog).to_be_visible()
    assert staff.input_value("#transfer-service") == "" and staff.input_value("#transfer-window") == ""
    staff.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    staff.wait_for_function("document.activeElement === document.body")

    # 过号 then 过号返回 by the field and Enter: the next N calls, it is not typed into the field
    staff.keyboard.press("m")
    expect(message).to_have_text(f"{tickets[1]['number']} 已记为过号", timeout=ALLOWANCE)
    staff.wait_for_function("!document.body.dataset.busy")
    staff.fill("#requeue-number", tickets[1]["number"].lower())
    staff.keyboard.press("Enter")
    wait_until(lambda: events(hall, "ticket_requeued"))
    staff.wait_for_function("!document.body.dataset.busy")
    assert _focus_is_free(staff)
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text(tickets[2]["number"], timeout=ALLOWANCE)
    expect(staff.locator("#requeue-number")).to_have_value("")
    assert staff.js_errors == []


def test_a_transfer_that_changes_nothing_is_refused_by_the_api(server, hall, tokens):
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    kiosk.issue(service_id(hall, "最低生活保障申请"))
    staff.post("/windows/1/open")
    ticket = staff.post("/windows/1/call-next")
    for body in ({"service_id": ticket["service_id"]}, {"service_id": ticket["service_id"], "to_window": 1},
                 {"to_window": 1}):
        refused = requests.post(server.url + "/api/v1/windows/1/transfer", json=body,
                                headers=bearer(tokens["staff1"]), timeout=10)
        assert refused.status_code == 409 and refused.json()["error"] == "transfer_refused", body
        assert "已在本窗口办理该事项" in refused.json()["message"]
    assert events(hall, "ticket_transferred") == []


def test_the_queue_is_above_the_fold_and_every_label_is_legible(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    for _ in range(25):
        kiosk.issue(service_id(hall, "最低生活保障申请"))
    staff = login(context, server.url)
    take_window(staff, 1)
    expect(staff.locator("#waiting-list tr")).to_have_count(25)
    # measured in one step: every repaint replaces the rows, so a row found in one call may be gone in the next
    first_row_bottom, scroller_bottom = staff.evaluate("""() => [
        document.querySelector("#waiting-list tr").getBoundingClientRect().bottom,
        document.getElementById("waiting-scroll").getBoundingClientRect().bottom]""")
    assert first_row_bottom <= 768
    assert scroller_bottom <= 768  # the list scrolls inside the screen, not the page
    assert staff.evaluate("document.documentElement.scrollHeight") <= 768
    screenshot(staff, "staff-long-queue-1366x768")

    contrasts = staff.evaluate(CONTRASTS, staff.locator("#desk").element_handle())
    assert any(found["disabled"] for found in contrasts)  # 重呼, 开始办理 … before a call
    for found in contrasts:
        assert found["ratio"] >= (3.0 if found["disabled"] else 4.5), found
    assert staff.js_errors == []
