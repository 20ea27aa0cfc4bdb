// The citizen's ticket page (/t/<token>, the QR code on the ticket): position, people ahead,
// estimated wait, and the window once called. Re-read whenever the hall's queue moves.
"use strict";

(() => {
  const { Feed, pageData, hallTime } = GovhallLive;
  const page = pageData();
  const $ = (id) => document.getElementById(id);
  const MESSAGES = {
    waiting: () => "排队等候中",
    called: (t) => `请到 ${t.window} 号窗口办理`,
    serving: (t) => `正在 ${t.window} 号窗口办理`,
    done: () => "已办结，感谢您的耐心等候",
    no_show: () => "已过号，请到窗口或服务台咨询顺延办理",
    cancelled: () => "号票已取消",
  };

  function render(ticket) {
    $("ticket").dataset.status = ticket.status;
    $("t-number").textContent = ticket.number;
    $("t-service").textContent = ticket.service;
    $("t-status").textContent = (MESSAGES[ticket.status] || (() => "状态已更新，请留意大厅叫号"))(ticket);
    const waiting = ticket.status === "waiting";
    $("f-ahead").hidden = !waiting;
    $("f-wait").hidden = !waiting;
    $("t-ahead").textContent = ticket.ahead;
    $("t-wait").textContent = ticket.estimated_wait_min;
    const atWindow = ticket.window && (ticket.status === "called" || ticket.status === "serving");
    $("f-window").hidden = !atWindow;
    $("t-window").textContent = atWindow ? `${ticket.window}号窗口 ${ticket.window_name || ""}` : "";
    $("t-issued").textContent = hallTime(ticket.issued_at, page.timezone);
    $("t-updated").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false, timeZone: page.timezone });
    if (ticket.status === "called" && navigator.vibrate && render.lastStatus !== "called") navigator.vibrate([300, 150, 300]);
    render.lastStatus = ticket.status;
    renderRating(ticket);
  }

  // 好差评 after finish: the page offers it while the server says it is open, once per ticket.
  let chosenLevel = null;
  function renderRating(ticket) {
    const offer = ticket.evaluation || {};
    const given = offer.given;
    $("rate").hidden = !offer.open || Boolean(given) || renderRating.sent;
    $("rated").hidden = !given;
    if (given) $("rated-detail").textContent = `您的评价：${given.level_name}`;
    if (offer.open && offer.until) {
      const until = new Date(offer.until).toLocaleString("zh-CN", { timeZone: page.timezone, month: "numeric",
        day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
      $("rate-until").textContent = `，${until} 前有效`;
    }
  }

  document.querySelectorAll("#rate [data-level]").forEach((button) => button.addEventListener("click", () => {
    chosenLevel = Number(button.dataset.level);
    document.querySelectorAll("#rate [data-level]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    $("rate-send").disabled = false;
  }));

  $("rate-send").addEventListener("click", async () => {
    if (!chosenLevel || renderRating.sending) return;
    renderRating.sending = true;
    $("rate-send").disabled = true;
    $("rate-error").textContent = "";
    const comment = $("rate-comment").value.trim();
    try {
      const response = await fetch(`/api/v1/tickets/${encodeURIComponent(page.token)}/evaluation`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(comment ? { level: chosenLevel, comment } : { level: chosenLevel }),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok || data.error === "already_evaluated") {
        renderRating.sent = true;
        feed.refresh();
      } else {
        $("rate-error").textContent = data.message || "评价未能提交，请稍后重试";
        $("rate-send").disabled = false;
      }
    } catch (error) {
      $("rate-error").textContent = "网络异常，评价未能提交，请稍后重试";
      $("rate-send").disabled = false;
    }
    renderRating.sending = false;
  });

  render(page.ticket);
  // Any ticket event may move this ticket up; re-read its status shortly after, not on each one.
  const feed = new Feed({ snapshotUrl: `/api/v1/tickets/${encodeURIComponent(page.token)}`, onSnapshot: render,
                          refreshDelayMs: 400, reconcileMs: 30000 });
  window.govhallFeed = feed;
  feed.start();
})();
