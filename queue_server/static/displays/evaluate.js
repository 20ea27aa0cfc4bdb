// The evaluator at a window (评价器): when the window finishes a ticket it asks for one of the
// five 好差评 levels, records it once, thanks the citizen and goes back to idle. A timeout
// records nothing. The tablet holds its evaluator token (from ?key=) in localStorage.
"use strict";

(() => {
  const { Feed, pageData, chineseMessage } = GovhallLive;
  const page = pageData();
  const number = page.window;
  const storageKey = `govhall.evaluator.${number}`;
  const ASK_IF_YOUNGER_THAN_S = 120;  // a tablet back after a break does not ask about old tickets
  const THANKS_SECONDS = 4;
  const $ = (id) => document.getElementById(id);

  // ?key=TOKEN: keep it on the tablet and take it out of the address bar
  const params = new URLSearchParams(location.search);
  if (params.get("key")) {
    localStorage.setItem(storageKey, params.get("key"));
    params.delete("key");
    history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
  }
  const token = localStorage.getItem(storageKey);

  let asking = null;      // the ticket being asked about
  let sending = false;
  let countdown = null;
  const answered = new Set();  // ticket ids evaluated (or given up on) on this tablet

  function show(screen) {
    ["eval-idle", "eval-ask", "eval-reasons", "eval-thanks", "eval-setup"].forEach((id) => { $(id).hidden = id !== screen; });
    document.body.dataset.screen = screen.replace("eval-", "");
  }

  function idle() {
    clearInterval(countdown);
    asking = null;
    reasonsFor = null;
    show(token ? "eval-idle" : "eval-setup");
  }

  function ask(ticket) {
    if (!token || answered.has(ticket.id)) return;
    asking = ticket;
    sending = false;
    $("eval-number").textContent = ticket.number;
    $("eval-service").textContent = ticket.service || "";
    document.querySelectorAll("[data-level]").forEach((b) => { b.disabled = false; });
    show("eval-ask");
    let left = page.timeout;
    $("eval-seconds").textContent = left;
    clearInterval(countdown);
    countdown = setInterval(() => {
      left -= 1;
      $("eval-seconds").textContent = Math.max(0, left);
      if (left <= 0) { answered.add(ticket.id); idle(); }  // nothing is recorded
    }, 1000);
  }

  // A good rating is sent at once; after 不满意 / 非常不满意 the citizen may say why (taps, a line of
  // text). Walking away from that screen still records the level, with what was chosen so far.
  let reasonsFor = null;  // { level, label } while the reasons screen is up
  let reasonsLeft = 0;    // seconds before it sends what was chosen; each tap or keystroke gives time again

  function evaluate(level, button) {
    if (!asking || sending) return;
    const label = button.textContent.replace(/★/g, "");
    if ((page.ask_reasons_for || []).includes(level)) askReasons(level, label);
    else send(level, label, [], null);
  }

  function askReasons(level, label) {
    reasonsFor = { level, label };
    document.querySelectorAll("[data-reason]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    $("eval-comment").value = "";
    $("eval-reasons-level").textContent = label;
    show("eval-reasons");
    reasonsLeft = page.timeout;
    $("eval-reasons-seconds").textContent = reasonsLeft;
    clearInterval(countdown);
    countdown = setInterval(() => {
      reasonsLeft -= 1;
      $("eval-reasons-seconds").textContent = Math.max(0, reasonsLeft);
      if (reasonsLeft <= 0) sendReasons();
    }, 1000);
  }

  function sendReasons() {
    if (!reasonsFor) return;
    const chosen = [...document.querySelectorAll('[data-reason][aria-pressed="true"]')].map((b) => b.dataset.reason);
    const { level, label } = reasonsFor;
    reasonsFor = null;
    send(level, label, chosen, $("eval-comment").value.trim() || null);
  }

  document.querySelectorAll("[data-reason]").forEach((button) => button.addEventListener("click", () => {
    button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
  }));
  $("eval-reasons").addEventListener("input", () => { reasonsLeft = page.timeout; });
  $("eval-reasons").addEventListener("click", () => { reasonsLeft = page.timeout; });
  $("eval-reasons-send").addEventListener("click", sendReasons);
  $("eval-reasons-back").addEventListener("click", () => { if (asking) { reasonsFor = null; ask(asking); } });

  async function send(level, label, reasons, comment) {
    if (!asking || sending) return;  // one evaluation per ticket, whatever the fingers do
    sending = true;
    const ticket = asking;
    document.querySelectorAll("[data-level]").forEach((b) => { b.disabled = true; });
    clearInterval(countdown);
    let detail = `您对 ${ticket.number} 的评价：${label}`;
    const body = { ticket_id: ticket.id, level };
    if (reasons.length) body.reasons = reasons;
    if (comment) body.comment = comment;
    try {
      const response = await fetch("/api/v1/evaluations", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (response.status === 409 && data.error === "already_evaluated") detail = `${ticket.number} 已评价过`;
      else if (!response.ok) detail = chineseMessage(data.message, response.status, "评价未能保存");
      else if (reasons.length || comment) detail += "。我们将尽快回访，谢谢您的意见";
    } catch (error) {
      detail = "网络异常，评价未能保存";
    }
    answered.add(ticket.id);
    $("eval-thanks-detail").textContent = detail;
    show("eval-thanks");
    asking = null;
    setTimeout(() => { if (!asking) idle(); }, THANKS_SECONDS * 1000);
  }

  document.querySelectorAll("[data-level]").forEach((button) =>
    button.addEventListener("click", () => evaluate(Number(button.dataset.level), button)));

  function onEvent(event, feed) {
    if (event.data.window !== number) return;
    if (event.type === "ticket_finished" && feed.ageSeconds(event) < ASK_IF_YOUNGER_THAN_S) ask(event.data);
    // evaluated elsewhere (the staff's screen): do not ask again
    if (event.type === "evaluation_recorded") {
      answered.add(event.data.ticket_id);
      if (asking && asking.id === event.data.ticket_id) idle();
    }
  }

  function onSnapshot(snapshot) {
    const w = (snapshot.windows || []).find((x) => x.number === number);
    if (!w) return;
    $("eval-window-name").textContent = w.name;
    const photo = $("eval-photo"), key = w.staff ? `${w.staff.employee_no || w.staff.name}|${w.staff.photo || ""}` : "";
    photo.hidden = !w.staff;
    if (photo.dataset.key !== key) {
      photo.dataset.key = key;
      photo.src = `/display/window/${number}/photo?v=${encodeURIComponent(key)}`;
    }
    $("eval-staff").textContent = w.staff ? `${w.staff.name}${w.staff.employee_no ? `（工号 ${w.staff.employee_no}）` : ""}` : "";
  }

  idle();
  // with its token the stream gives this window's ticket ids, which the rating is filed by
  const fetchOptions = token ? { headers: { Authorization: `Bearer ${token}` } } : {};
  const feed = new Feed({ snapshotUrl: "/api/v1/display", onSnapshot, onEvent, refreshDelayMs: 1000, fetchOptions });
  window.govhallFeed = feed;
  feed.start(page.snapshot);
})();
