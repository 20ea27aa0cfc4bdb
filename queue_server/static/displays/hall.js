// The hall display (综合屏): the call being announced, who is served where, people waiting (and
// who should get ready), notices. With ?audio=1 it is also the hall's speaker: each call is played,
// one after another, and only while it is still true.
"use strict";

(() => {
  const { Feed, hallDay, hallTime, startClock, el, pageData } = GovhallLive;
  const page = pageData();
  const zone = page.timezone;
  const CALL_TYPES = new Set(["ticket_called", "ticket_recalled"]);
  const SPOKEN_TYPES = new Set(["ticket_called", "ticket_recalled", "window_paused"]);
  // Events that take a ticket away from its window (or change how it stands there).
  const LEAVING_TYPES = new Set(["ticket_finished", "ticket_no_show", "ticket_held", "ticket_transferred",
                                 "ticket_cancelled"]);
  // A call is spoken only while it is this fresh (by the server's clock) and its ticket still stands
  // called at that window: a burst of calls never leaves the hall listening to the past.
  const SPEAK_IF_YOUNGER_THAN_S = 30;
  const SPEAKER_QUEUE_MAX = 6;  // beyond this the oldest waiting announcement is dropped
  const RECENT_ROWS = 6;
  // the smallest type a name may shrink to, in rem (a rem is 1/120 of the screen's long side, at most 16:9)
  const MIN_NAME_REM = { sname: 1.2, wname: 1.5 };
  const MIN_WAITING_ROW_REM = 3.2;   // room for a two-line name in the smallest type
  const NEXT_LINE_REM = 1.5;         // the 请准备 line under a service's name
  // windows: one per row while they fit; else tiles (window number over the ticket number)
  const WINDOW_ROW_MIN_REM = 3.4;
  const TILE_MIN_REM = { width: 8.4, height: 4.8 };
  const PAGE_SECONDS = 10;           // when even tiles do not fit, the windows turn pages

  let calls = new Map();  // event_id → call, today's only
  let windows = new Map();  // window number → the window as the snapshot (and later events) tell it
  let localDay = page.snapshot.local_day;
  let painted = false;  // the first picture appears without the highlight flashing
  let windowPage = 0;

  // --- the windows' picture ----------------------------------------------------------
  // A call counts while its ticket is still at that window (called, or served): a call whose ticket
  // was finished, transferred or sent back, or whose window was paused or closed, is history.
  function callIsCurrent(call) {
    const w = windows.get(call.window);
    return Boolean(w && w.state === "open" && w.current && w.current.number === call.number);
  }

  function callIsStillCalled(call) {
    const w = windows.get(call.window);
    return callIsCurrent(call) && w.current.status === "called";
  }

  // The stream is quicker than the snapshot that follows it: keep the windows true meanwhile.
  function applyEventToWindows(event, feed) {
    if (event.id <= feed.snapshotId) return false;
    const w = windows.get(event.data.window);
    if (!w && !LEAVING_TYPES.has(event.type)) return false;
    if (CALL_TYPES.has(event.type)) {
      w.state = "open";  // only an open window calls
      w.current = { number: event.data.number, service: event.data.service, status: "called",
                    called_at: event.data.called_at || event.at,
                    tag: event.data.appointment ? "预约" : event.data.priority ? "优先" : null };
    } else if (event.type === "ticket_serving" && w && w.current && w.current.number === event.data.number) {
      w.current = Object.assign({}, w.current, { status: "serving" });
    } else if (LEAVING_TYPES.has(event.type)) {
      let changed = false;
      for (const other of windows.values()) {
        if (other.current && other.current.number === event.data.number) { other.current = null; changed = true; }
      }
      return changed;
    } else if (event.type === "window_opened") {
      w.state = "open";
    } else if (event.type === "window_paused") {
      w.state = "paused";
    } else if (event.type === "window_resumed") {
      w.state = "open";
    } else if (event.type === "window_closed") {
      w.state = "closed";
      w.current = null;
    } else {
      return false;
    }
    return true;
  }

  // --- calls -------------------------------------------------------------------
  function callFromEvent(event) {
    return { event_id: event.id, type: event.type, at: event.at, number: event.data.number,
             window: event.data.window, window_name: event.data.window_name, service: event.data.service };
  }

  function mergeCalls(list) {
    list.forEach((call) => calls.set(call.event_id, call));
    // today's only: yesterday's last calls are not "the latest calls" of a new morning
    for (const [id, call] of calls) if (hallDay(call.at, zone) !== localDay) calls.delete(id);
  }

  // The big box: the newest call still true; on the speaking display, never ahead of the voice.
  function boxCall(ordered) {
    const limit = speaker ? speaker.frontier() : Infinity;
    return ordered.find((call) => call.event_id <= limit && callIsCurrent(call));
  }

  function renderCalls() {
    const ordered = [...calls.values()].sort((a, b) => b.event_id - a.event_id);
    const shown = boxCall(ordered);
    const latest = document.getElementById("latest");
    if (shown) {
      document.getElementById("latest-number").textContent = shown.number;
      document.getElementById("latest-window").textContent = shown.window;
      document.getElementById("latest-window-name").textContent =
        (shown.type === "ticket_recalled" ? "（重呼）" : "") + (shown.window_name || "");
      if (latest.dataset.eventId !== String(shown.event_id)) {
        latest.dataset.eventId = shown.event_id;
        latest.classList.remove("flash");
        void latest.offsetWidth;  // restart the highlight animation
        if (painted) latest.classList.add("flash");
      }
    } else {
      document.getElementById("latest-number").textContent = "—";
      document.getElementById("latest-window").textContent = "—";
      document.getElementById("latest-window-name").textContent = ordered.length ? "请留意叫号" : "暂无叫号";
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

  // --- windows ------------------------------------------------------------------
  // Open and paused windows each have a place; closed ones fold into one line. A window's element
  // is kept while it shows the same thing, so a called number keeps blinking across refreshes.
  function windowItem(w) {
    let state;
    if (w.state === "paused") state = el("span", { class: "state paused" }, "暂停服务");
    else if (w.current) {
      state = el("span", { class: "current" },
        w.current.tag ? el("span", { class: "tag" }, w.current.tag) : null,
        el("span", { class: "cnum" }, w.current.number),
        // a masked name (张*) only when the hall turns names on ([privacy] display_names)
        w.current.holder_name ? el("span", { class: "holder" }, w.current.holder_name) : null);
    } else state = el("span", { class: "state idle" }, "等候叫号");
    const called = w.state === "open" && w.current && w.current.status === "called";
    const serving = w.state === "open" && w.current && w.current.status === "serving";
    return el("li", { class: `window-row state-${w.state}${called ? " called" : ""}${serving ? " serving" : ""}`,
                      dataset: { window: w.number }, title: w.name },
      el("span", { class: "wno" }, `${w.number}号`),
      el("span", { class: "wname" }, w.name),
      state);
  }

  function windowKey(w) {
    const c = w.current;
    return [w.number, w.name, w.state, c ? [c.number, c.status, c.called_at, c.tag, c.holder_name].join("|") : ""].join("/");
  }

  function renderWindows() {
    const list = document.getElementById("windows");
    const shown = [...windows.values()].filter((w) => w.state !== "closed").sort((a, b) => a.number - b.number);
    const old = new Map([...list.children].map((node) => [node.dataset.window, node]));
    const items = shown.map((w) => {
      const key = windowKey(w);
      const kept = old.get(String(w.number));
      if (kept && kept.dataset.key === key) return kept;
      const item = windowItem(w);
      item.dataset.key = key;
      return item;
    });
    const same = items.length === list.children.length && items.every((item, i) => list.children[i] === item);
    if (!same) list.replaceChildren(...items);
    const closed = [...windows.values()].filter((w) => w.state === "closed").map((w) => w.number)
      .sort((a, b) => a - b);
    const foldedLine = document.getElementById("windows-closed");
    foldedLine.textContent = closed.length ? `未开放：${closed.join("、")}号窗口` : "";
    foldedLine.hidden = !closed.length;
    if (!shown.length) list.replaceChildren(el("li", { class: "window-empty" }, "窗口暂未开放，请稍候"));
    layoutWindows();
  }

  // One row per window while the rows stay tall enough to read; else tiles in as many columns as
  // it takes (the windows panel widening at the expense of the others); else pages that turn.
  function layoutWindows() {
    const list = document.getElementById("windows");
    const grid = document.querySelector(".hall-grid");
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const count = list.querySelectorAll(".window-row").length;
    const fits = (rowRem, columns) => {
      const gap = parseFloat(getComputedStyle(list).rowGap) || 0;
      const rows = Math.max(1, Math.floor((list.clientHeight + gap) / (rowRem * rem + gap)));
      const maxColumns = Math.max(1, Math.floor((list.clientWidth + gap) / (TILE_MIN_REM.width * rem + gap)));
      return { rows, maxColumns, ok: count <= rows * (columns || maxColumns) };
    };
    grid.classList.remove("many-windows");
    list.classList.remove("tiles");
    list.style.removeProperty("--columns");
    const asRows = fits(WINDOW_ROW_MIN_REM, 1);
    let pages = 1;
    if (!asRows.ok) {
      grid.classList.add("many-windows");
      list.classList.add("tiles");
      const asTiles = fits(TILE_MIN_REM.height);
      const perPage = asTiles.rows * asTiles.maxColumns;
      const columns = Math.min(asTiles.maxColumns, Math.max(1, Math.ceil(count / asTiles.rows)));
      list.style.setProperty("--columns", columns);
      list.style.setProperty("--rows", Math.min(asTiles.rows, Math.ceil(count / columns)));
      pages = Math.max(1, Math.ceil(count / perPage));
      list.dataset.perPage = perPage;
    } else {
      list.dataset.perPage = count || 1;
    }
    list.dataset.pages = pages;
    if (windowPage >= pages) windowPage = 0;
    showWindowPage();
    fitNames("#windows:not(.tiles) .wname");
  }

  function showWindowPage() {
    const list = document.getElementById("windows");
    const pages = Number(list.dataset.pages || 1), perPage = Number(list.dataset.perPage || 1);
    [...list.children].forEach((item, index) =>
      item.classList.toggle("off-page", pages > 1 && Math.floor(index / perPage) !== windowPage));
    document.getElementById("windows-page").textContent = pages > 1 ? `第 ${windowPage + 1}/${pages} 页` : "";
  }

  setInterval(() => {
    const pages = Number(document.getElementById("windows").dataset.pages || 1);
    if (pages < 2) return;
    windowPage = (windowPage + 1) % pages;
    showWindowPage();
  }, PAGE_SECONDS * 1000);

  // --- waiting ------------------------------------------------------------------
  function renderWaiting(services) {
    let total = 0;
    const items = services.map((s) => {
      total += s.waiting;
      const next = (s.next || []).map((t) => el("b", {}, (t.tag ? `${t.number}（${t.tag}）` : t.number)
        + (t.holder_name ? ` ${t.holder_name}` : "")));
      return el("li", { class: s.waiting ? "" : "none", dataset: { serviceId: s.service_id } },
        el("span", { class: "sname", title: s.service }, s.service),
        el("span", { class: "count" }, s.waiting),
        next.length ? el("span", { class: "next" }, "请准备 ", next) : null);
    });
    document.getElementById("waiting").replaceChildren(...items);
    document.getElementById("waiting-total").textContent = total;
    layoutWaiting();
  }

  // Two columns of services, each with its 请准备 line; three, in a wider panel, when a hall has so
  // many that two columns' rows would be too low. A hall with more services still than that keeps
  // the names whole and readable, and leaves the 请准备 lines out.
  const MAX_COLUMNS_WITH_NEXT = 3;
  function layoutWaiting() {
    const list = document.getElementById("waiting");
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const gap = parseFloat(getComputedStyle(list).rowGap) || 0;
    const columnsFor = (rowRem) => {
      const rows = Math.max(1, Math.floor((list.clientHeight + gap) / (rowRem * rem + gap)));
      return Math.max(2, Math.ceil(list.children.length / rows));
    };
    let columns = columnsFor(MIN_WAITING_ROW_REM + NEXT_LINE_REM);
    const withNext = columns <= MAX_COLUMNS_WITH_NEXT;
    if (!withNext) columns = columnsFor(MIN_WAITING_ROW_REM);
    list.classList.toggle("no-next", !withNext);
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

  function layoutAll() {
    layoutWaiting();
    layoutWindows();
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
    windows = new Map((snapshot.windows || []).map((w) => [w.number, w]));
    mergeCalls(snapshot.calls || []);
    renderWaiting(snapshot.waiting || []);  // first: many services take width from the window list
    renderWindows();
    renderCalls();
    renderTicker(snapshot.notices);
  }

  function onEvent(event, feed) {
    const moved = applyEventToWindows(event, feed);
    if (CALL_TYPES.has(event.type)) mergeCalls([callFromEvent(event)]);
    if (speaker && SPOKEN_TYPES.has(event.type)) speaker.enqueue(event);
    if (moved) renderWindows();
    if (moved || CALL_TYPES.has(event.type)) renderCalls();
  }

  // --- the speaker: one announcement at a time, in the order the calls were made ----
  // Whether an announcement is still worth saying is decided when it is about to play, not when
  // it arrived: by then the ticket may be served, transferred or finished, or the call too old.
  class Speaker {
    constructor(feed) {
      this.feed = feed;
      this.queue = [];
      this.playing = null;  // the event being spoken
      this.lastSpokenId = 0;  // the newest event spoken or given up (the big box follows it)
      this.log = [];  // what was spoken or dropped, when (read by tests and by a curious technician)
      this.unlock = document.getElementById("audio-unlock");
      this.unlock.addEventListener("click", () => { this.unlock.hidden = true; this.pump(); });
    }

    // The big box shows no call newer than this.
    frontier() {
      if (this.playing) return this.playing.id;
      return this.queue.length ? this.lastSpokenId : Infinity;
    }

    enqueue(event) {
      if (this.queue.some((e) => e.id === event.id) || (this.playing && this.playing.id === event.id)) return;
      this.queue.push(event);
      while (this.queue.length > SPEAKER_QUEUE_MAX) this._drop(this.queue.shift(), "queue_full");
      this.pump();
    }

    // Why an announcement should not be played now, or null.
    staleReason(event) {
      if (this.feed.ageSeconds(event) > SPEAK_IF_YOUNGER_THAN_S) return "too_old";
      if (event.type === "window_paused") {
        const w = windows.get(event.data.window);
        return w && w.state === "paused" ? null : "window_resumed";
      }
      const call = { number: event.data.number, window: event.data.window };
      if (!callIsStillCalled(call)) return "not_called";
      // a newer call of the same ticket (a recall) will say it again
      if (this.queue.some((e) => e.id > event.id && e.data.number === event.data.number)) return "repeated";
      return null;
    }

    _drop(event, reason) {
      this.log.push({ event_id: event.id, type: event.type, number: event.data.number, window: event.data.window,
                      dropped: reason, at: performance.now() });
      this.lastSpokenId = Math.max(this.lastSpokenId, event.id);
    }

    async pump() {
      if (this.playing) return;
      let event;
      while ((event = this.queue.shift())) {
        const reason = this.staleReason(event);
        if (!reason) break;
        this._drop(event, reason);
      }
      if (!event) { renderCalls(); return; }
      this.playing = event;
      renderCalls();  // the big box shows what is being said
      const entry = { event_id: event.id, type: event.type, number: event.data.number, window: event.data.window,
                      age_s: this.feed.ageSeconds(event) };
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
      } catch (error) {
        if (error && error.name === "NotAllowedError") {
          // the browser wants a touch before it plays sound; keep the call and ask for one
          this.unlock.hidden = false;
          this.queue.unshift(event);
          this.playing = null;
          return;
        }
        entry.error = String(error);
        this.log.push(entry);
      }
      this.lastSpokenId = Math.max(this.lastSpokenId, event.id);
      this.playing = null;
      this.pump();
    }
  }

  const feed = new Feed({ snapshotUrl: "/api/v1/display", onSnapshot, onEvent });
  const speaker = page.audio ? new Speaker(feed) : null;
  window.govhallSpeaker = speaker;
  if (speaker) document.body.classList.add("speaking");
  window.govhallFeed = feed;
  feed.start(page.snapshot);
  window.addEventListener("resize", layoutAll);
  document.fonts.ready.then(layoutAll);  // the first fit may have measured a fallback font
  startClock(feed, zone, document.getElementById("clock-date"), document.getElementById("clock-time"));
})();
