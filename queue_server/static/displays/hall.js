// The hall display (综合屏): latest calls, who is served where, people waiting, notices.
// With ?audio=1 it is also the hall's speaker: each call is played, one after another.
"use strict";

(() => {
  const { Feed, hallDay, hallTime, startClock, el, pageData } = GovhallLive;
  const page = pageData();
  const zone = page.timezone;
  const CALL_TYPES = new Set(["ticket_called", "ticket_recalled"]);
  const SPOKEN_TYPES = new Set(["ticket_called", "ticket_recalled", "window_paused"]);
  const SPEAK_IF_YOUNGER_THAN_S = 90;  // a display back after a break speaks recent calls, not old ones
  const RECENT_ROWS = 6;
  // the smallest type a name may shrink to, in rem (a rem is 1/120 of the screen's width)
  const MIN_NAME_REM = { sname: 1.2, wname: 1.5 };
  const MIN_WAITING_ROW_REM = 3.2;  // room for a two-line name in the smallest type

  let calls = new Map();  // event_id → call, today's only
  let localDay = page.snapshot.local_day;
  let painted = false;  // the first picture appears without the highlight flashing

  // --- calls -------------------------------------------------------------------
  function callFromEvent(event) {
    return { event_id: event.id, type: event.type, at: event.at, number: event.data.number,
             window: event.data.window, window_name: event.data.window_name, service: event.data.service };
  }

  function mergeCalls(list) {
    list.forEach((call) => calls.set(call.event_id, call));
    // today's only: yesterday's last calls are not "the latest calls" of a new morning
    for (const [id, call] of calls) if (hallDay(call.at, zone) !== localDay) calls.delete(id);
    renderCalls();
  }

  function renderCalls() {
    const ordered = [...calls.values()].sort((a, b) => b.event_id - a.event_id);
    const newest = ordered[0];
    const latest = document.getElementById("latest");
    const shownId = latest.dataset.eventId;
    if (newest) {
      document.getElementById("latest-number").textContent = newest.number;
      document.getElementById("latest-window").textContent = newest.window;
      document.getElementById("latest-window-name").textContent =
        (newest.type === "ticket_recalled" ? "（重呼）" : "") + (newest.window_name || "");
      if (shownId !== String(newest.event_id)) {
        const firstPaint = !painted;
        latest.dataset.eventId = newest.event_id;
        latest.classList.remove("flash");
        void latest.offsetWidth;  // restart the highlight animation
        if (!firstPaint) latest.classList.add("flash");
      }
    } else {
      document.getElementById("latest-number").textContent = "—";
      document.getElementById("latest-window").textContent = "—";
      document.getElementById("latest-window-name").textContent = "暂无叫号";
      delete latest.dataset.eventId;
    }
    const rows = ordered.slice(0, RECENT_ROWS).map((call, index) =>
      el("tr", { class: index === 0 ? "newest" : "", dataset: { eventId: call.event_id, number: call.number } },
        el("td", { class: "num" }, call.number),
        el("td", {}, `${call.window}号窗口`),
        el("td", { class: "at" }, hallTime(call.at, zone))));
    document.getElementById("calls").replaceChildren(...rows);
    painted = true;
  }

  // --- windows and waiting ------------------------------------------------------
  function renderWindows(windows) {
    const items = windows.map((w) => {
      let state;
      if (w.state === "paused") state = el("span", { class: "state paused" }, "暂停服务");
      else if (w.state === "closed") state = el("span", { class: "state closed" }, "未开放");
      else if (w.current) state = el("span", { class: "current" }, w.current.number);
      else state = el("span", { class: "state idle" }, "等候叫号");
      return el("li", { class: "window-row state-" + w.state, dataset: { window: w.number } },
        el("span", { class: "wno" }, `${w.number}号`),
        el("span", { class: "wname" }, w.name),
        state);
    });
    document.getElementById("windows").replaceChildren(...items);
    fitNames("#windows .wname");
  }

  function renderWaiting(services) {
    let total = 0;
    const items = services.map((s) => {
      total += s.waiting;
      return el("li", { class: s.waiting ? "" : "none", dataset: { serviceId: s.service_id } },
        el("span", { class: "sname", title: s.service }, s.service),
        el("span", { class: "count" }, s.waiting));
    });
    document.getElementById("waiting").replaceChildren(...items);
    document.getElementById("waiting-total").textContent = total;
    layoutWaiting();
  }

  // Two columns of services; three, in a wider panel, when a hall has so many that two columns'
  // rows would be too low for a two-line name.
  function layoutWaiting() {
    const list = document.getElementById("waiting");
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const gap = parseFloat(getComputedStyle(list).rowGap) || 0;
    const rows = Math.max(1, Math.floor((list.clientHeight + gap) / (MIN_WAITING_ROW_REM * rem + gap)));
    const columns = Math.max(2, Math.ceil(list.children.length / rows));
    list.style.setProperty("--columns", columns);
    document.querySelector(".hall-grid").classList.toggle("many-services", columns > 2);
    fitNames("#waiting .sname");
  }

  // A name too big for its box gets smaller type rather than an ellipsis: first on one line, a
  // little smaller; else on two lines (service names), as large as fits; never below MIN_NAME_REM,
  // so "城乡居民养老保险参保登记" is read whole from across the hall.
  function fitNames(selector) {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const overflows = (node) => {
      // the text's own width, to the fraction of a pixel (scrollWidth rounds off a sliver the ellipsis hides)
      const range = document.createRange();
      range.selectNodeContents(node);
      return node.scrollHeight > node.clientHeight || range.getBoundingClientRect().width > node.clientWidth + 0.5;
    };
    const shrink = (node, from, to) => {
      let size = from;
      while (size > to && overflows(node)) {
        size = Math.max(to, size - 0.05 * rem);
        node.style.fontSize = size + "px";
      }
    };
    document.querySelectorAll(selector).forEach((node) => {
      node.style.fontSize = "";
      node.classList.add("one-line");
      const full = parseFloat(getComputedStyle(node).fontSize);
      const smallest = MIN_NAME_REM[node.classList[0]] * rem;
      shrink(node, full, Math.max(smallest, full * 0.9));
      if (!overflows(node)) return;
      node.classList.remove("one-line");
      node.style.fontSize = "";
      shrink(node, full, smallest);
    });
  }

  function fitAllNames() {
    layoutWaiting();
    fitNames("#windows .wname");
  }

  function renderTicker(notices) {
    const ticker = document.getElementById("ticker");
    const text = (notices || []).join("　　★　　");
    if (ticker.dataset.text === text) return;  // do not restart the scroll on every refresh
    ticker.dataset.text = text;
    ticker.textContent = text;
    ticker.style.animationDuration = Math.max(20, text.length * 0.45) + "s";
  }

  function onSnapshot(snapshot) {
    if (snapshot.local_day !== localDay) { localDay = snapshot.local_day; calls = new Map(); }
    mergeCalls(snapshot.calls || []);
    renderWaiting(snapshot.waiting || []);  // first: many services take width from the window list
    renderWindows(snapshot.windows || []);
    renderTicker(snapshot.notices);
  }

  function onEvent(event, feed) {
    if (CALL_TYPES.has(event.type)) {
      mergeCalls([callFromEvent(event)]);
      // the window list follows at once; the snapshot refresh that follows confirms it
      const row = document.querySelector(`#windows [data-window="${event.data.window}"]`);
      if (row && event.id > feed.snapshotId) {
        row.lastElementChild.replaceWith(el("span", { class: "current" }, event.data.number));
      }
    }
    if (speaker && SPOKEN_TYPES.has(event.type) && feed.ageSeconds(event) < SPEAK_IF_YOUNGER_THAN_S) {
      speaker.enqueue(event);
    }
  }

  // --- the speaker: one announcement at a time, in the order the calls were made ----
  class Speaker {
    constructor() {
      this.queue = [];
      this.playing = false;
      this.log = [];  // what was spoken, when (read by tests and by a curious technician)
      this.unlock = document.getElementById("audio-unlock");
      this.unlock.addEventListener("click", () => { this.unlock.hidden = true; this.pump(); });
    }

    enqueue(event) {
      if (this.queue.some((e) => e.id === event.id)) return;
      this.queue.push(event);
      this.pump();
    }

    async pump() {
      if (this.playing || !this.queue.length) return;
      this.playing = true;
      const event = this.queue[0];
      const entry = { event_id: event.id, type: event.type, number: event.data.number, window: event.data.window };
      const audio = new Audio(`/api/v1/announcements/${event.id}.wav`);
      try {
        await audio.play();
        entry.started = performance.now();
        await new Promise((resolve) => {
          // never wait for ever on a broken clip: its length plus a margin
          const guard = setTimeout(resolve, ((audio.duration || 20) + 5) * 1000);
          audio.addEventListener("ended", () => { clearTimeout(guard); resolve(); }, { once: true });
          audio.addEventListener("error", () => { clearTimeout(guard); resolve(); }, { once: true });
        });
        entry.ended = performance.now();
        entry.duration = audio.duration;
        this.log.push(entry);
        this.queue.shift();
      } catch (error) {
        if (error && error.name === "NotAllowedError") {
          // the browser wants a touch before it plays sound; keep the call and ask for one
          this.unlock.hidden = false;
          this.playing = false;
          return;
        }
        entry.error = String(error);
        this.log.push(entry);
        this.queue.shift();
      }
      this.playing = false;
      this.pump();
    }
  }

  const speaker = page.audio ? new Speaker() : null;
  window.govhallSpeaker = speaker;
  if (speaker) document.body.classList.add("speaking");

  const feed = new Feed({ snapshotUrl: "/api/v1/display", onSnapshot, onEvent });
  window.govhallFeed = feed;
  feed.start(page.snapshot);
  window.addEventListener("resize", fitAllNames);
  document.fonts.ready.then(fitAllNames);  // the first fit may have measured a fallback font
  startClock(feed, zone, document.getElementById("clock-date"), document.getElementById("clock-time"));
})();
