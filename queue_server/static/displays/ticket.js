// The citizen's ticket page (/t/<token>, the QR code on the ticket): position, people ahead,
// estimated wait, and the window once called. Re-read whenever the hall's queue moves.
"use strict";

(() => {
  const { Feed, pageData, hallTime, chineseMessage } = GovhallLive;
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
    alerts.follow(ticket);
    $("t-cancel").hidden = !waiting;
    renderRating(ticket);
  }

  // --- a chime and a buzz: once when only a few are ahead, and each time the ticket is called ------
  // Phones play sound and vibrate only after a tap on the page, hence the button that turns them on.
  const alerts = {
    on: false, audio: null, log: [],  // what was signalled (read by tests)
    lastAhead: null, lastCalls: 0, near: false,
    enable() {
      this.on = true;
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !this.audio) this.audio = new Context();
      if (this.audio && this.audio.state === "suspended") this.audio.resume();
      $("t-alerts").setAttribute("aria-pressed", "true");
      $("t-alerts").textContent = "提醒已开启";
      $("t-alerts-state").textContent = `前面还剩 ${page.near_ahead} 人和叫到您时，手机会响铃并振动`;
    },
    signal(kind, text) {
      $("t-alert").textContent = text;
      $("t-alert").hidden = false;
      const entry = { kind, sound: false, vibrate: false };
      if (this.on) {
        entry.sound = this.chime(kind === "called" ? 3 : 2);
        if (navigator.vibrate) entry.vibrate = navigator.vibrate(kind === "called" ? [400, 150, 400, 150, 400] : [300]);
      }
      this.log.push(entry);
    },
    chime(times) {
      if (!this.audio) return false;
      const start = this.audio.currentTime;
      for (let i = 0; i < times; i += 1) {
        const tone = this.audio.createOscillator(), gain = this.audio.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.4, start + i * 0.5);
        gain.gain.exponentialRampToValueAtTime(0.001, start + i * 0.5 + 0.4);
        tone.connect(gain).connect(this.audio.destination);
        tone.start(start + i * 0.5);
        tone.stop(start + i * 0.5 + 0.45);
      }
      return true;
    },
    follow(ticket) {
      if (ticket.status === "waiting") {
        const nearNow = ticket.ahead <= page.near_ahead;
        // once on the way down; a page opened when already near says so without a chime
        const text = ticket.ahead ? `前面还有 ${ticket.ahead} 人，请到候号区留意叫号` : "下一位就是您，请留意叫号";
        if (nearNow && !this.near && this.lastAhead !== null) this.signal("near", text);
        else if (nearNow && !$("t-alert").hidden) $("t-alert").textContent = text;  // the count moves on, silently
        this.near = nearNow;
        this.lastAhead = ticket.ahead;
      } else if (ticket.status === "called" && ticket.call_count > this.lastCalls && this.lastAhead !== null) {
        this.signal("called", `请到 ${ticket.window} 号窗口办理`);
      } else if (ticket.status !== "called") {
        $("t-alert").hidden = true;
      }
      if (this.lastAhead === null) this.lastAhead = ticket.ahead;
      this.lastCalls = ticket.call_count || 0;
    },
  };
  window.govhallTicketAlerts = alerts;
  $("t-alerts").addEventListener("click", () => alerts.enable());

  // --- cancel: a citizen who leaves frees the place for the people behind ------------------------
  $("t-cancel").addEventListener("click", async () => {
    if (!confirm(`确定取消 ${$("t-number").textContent} 号的排队吗？取消后需重新取号。`)) return;
    $("t-cancel").disabled = true;
    try {
      const response = await fetch(`/api/v1/tickets/${encodeURIComponent(page.token)}/cancel`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        $("t-alert").textContent = chineseMessage(data.message, response.status, "取消未成功");
        $("t-alert").hidden = false;
      }
    } catch (error) {
      $("t-alert").textContent = "网络异常，取消未成功，请稍后重试";
      $("t-alert").hidden = false;
    }
    $("t-cancel").disabled = false;
    feed.refresh();
  });

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
