// Keeping a page live: the picture from a snapshot URL, changes from /api/v1/stream.
//
// The stream replays what was missed (Last-Event-ID), and on every (re)connection the page
// also re-reads the snapshot, so a screen that was away (server restart, network cut, a night)
// shows the true picture again. A periodic check catches a connection that died silently.
"use strict";

const GovhallLive = (() => {
  const EVENT_TYPES = [
    "ticket_issued", "ticket_called", "ticket_recalled", "ticket_serving", "ticket_no_show", "ticket_held",
    "ticket_requeued", "ticket_transferred", "ticket_finished", "ticket_cancelled", "window_opened",
    "window_closed", "window_paused", "window_resumed", "evaluation_recorded",
  ];

  class Feed {
    // options: snapshotUrl (a string, or a function giving one), onSnapshot(snapshot), onEvent(event), fetchOptions, reconcileMs, onStatus(online)
    constructor(options) {
      this.options = Object.assign({ reconcileMs: 15000, refreshDelayMs: 120 }, options);
      this.lastId = null;         // newest event id seen (stream or snapshot)
      this.snapshotId = 0;        // last_event_id of the snapshot on screen
      this.source = null;
      this.retryMs = 1000;
      this.refreshTimer = null;
      this.serverOffsetMs = 0;    // server clock minus this machine's clock
    }

    start(initialSnapshot) {
      if (initialSnapshot) this._applySnapshot(initialSnapshot);
      this._connect();
      setInterval(() => this.refresh(), this.options.reconcileMs);
      window.addEventListener("online", () => this._reconnect(0));
      return this;
    }

    _applySnapshot(snapshot) {
      if (snapshot.now) this.serverOffsetMs = Date.parse(snapshot.now) - Date.now();
      if (typeof snapshot.last_event_id === "number") {
        this.snapshotId = snapshot.last_event_id;
        if (this.lastId === null) this.lastId = snapshot.last_event_id;  // the stream starts here
        // Events the stream has not brought yet; normal for a few milliseconds, not for seconds.
        if (snapshot.last_event_id > this.lastId) this._behindSince = this._behindSince || Date.now();
        else this._behindSince = null;
      }
      this.options.onSnapshot(snapshot, this);
    }

    _connect() {
      const url = "/api/v1/stream" + (this.lastId !== null ? "?last_event_id=" + this.lastId : "");
      const source = new EventSource(url);
      this.source = source;
      const handle = (message) => this._handle(message);
      EVENT_TYPES.forEach((type) => source.addEventListener(type, handle));
      source.onopen = () => {
        this.retryMs = 1000;
        this._status(true);
        this.refresh();
      };
      source.onerror = () => {
        this._status(false);
        // The browser retries by itself after a dropped connection; after an HTTP error it gives up.
        if (source.readyState === EventSource.CLOSED) this._reconnect(this.retryMs);
      };
    }

    _reconnect(delayMs) {
      if (this.source) this.source.close();
      this.source = null;
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = setTimeout(() => this._connect(), delayMs);
      this.retryMs = Math.min(this.retryMs * 2, 15000);
    }

    _handle(message) {
      let event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (this.lastId !== null && event.id <= this.lastId) return;  // replayed twice
      this.lastId = event.id;
      if (this._behindSince && event.id >= this.snapshotId) this._behindSince = null;
      this.options.onEvent && this.options.onEvent(event, this);
      this.scheduleRefresh();
    }

    _status(online) {
      document.documentElement.dataset.live = online ? "online" : "offline";
      // a notice only when the break lasts: a reconnect within a few seconds goes unseen
      const notice = document.getElementById("offline");
      clearTimeout(this._offlineTimer);
      if (online) { if (notice) notice.classList.remove("shown"); }
      else if (notice) this._offlineTimer = setTimeout(() => notice.classList.add("shown"), 4000);
      this.options.onStatus && this.options.onStatus(online);
    }

    scheduleRefresh(delayMs) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.refresh(), delayMs === undefined ? this.options.refreshDelayMs : delayMs);
    }

    async refresh() {
      try {
        const url = typeof this.options.snapshotUrl === "function" ? this.options.snapshotUrl() : this.options.snapshotUrl;
        if (!url) return;
        const response = await fetch(url,
          Object.assign({ cache: "no-store", credentials: "same-origin" }, this.options.fetchOptions || {}));
        if (!response.ok) throw new Error("HTTP " + response.status);
        this._applySnapshot(await response.json());
        document.documentElement.dataset.snapshot = "ok";
      } catch (error) {
        document.documentElement.dataset.snapshot = "failed";
        return;
      }
      // The snapshot knows of events the stream never brought: the connection is dead without
      // having said so (a cut cable, a sleeping network). Start it again.
      if (this._behindSince && Date.now() - this._behindSince > 5000) {
        this._behindSince = null;
        this._reconnect(0);
      }
    }

    serverNow() { return new Date(Date.now() + this.serverOffsetMs); }

    // How many seconds ago an event happened, by the server's clock.
    ageSeconds(event) { return (this.serverNow().getTime() - Date.parse(event.at)) / 1000; }
  }

  // Date and time in the hall's zone, whatever the zone of the screen's machine.
  function hallDateParts(date, timeZone) {
    const parts = {};
    new Intl.DateTimeFormat("zh-CN", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", weekday: "long",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(date).forEach((p) => { parts[p.type] = p.value; });
    return parts;
  }

  function hallDay(isoOrDate, timeZone) {
    const p = hallDateParts(new Date(isoOrDate), timeZone);
    return `${p.year}-${p.month}-${p.day}`;
  }

  function hallTime(iso, timeZone) {
    const p = hallDateParts(new Date(iso), timeZone);
    return `${p.hour}:${p.minute}`;
  }

  function startClock(feed, timeZone, dateElement, timeElement) {
    const tick = () => {
      const p = hallDateParts(feed.serverNow(), timeZone);
      if (dateElement) dateElement.textContent = `${p.year}年${p.month}月${p.day}日 ${p.weekday}`;
      if (timeElement) timeElement.textContent = `${p.hour}:${p.minute}:${p.second}`;
    };
    tick();
    setInterval(tick, 1000);
  }

  // Build an element: el("li", {class: "x", dataset: {id: 3}}, "text", child)
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function pageData() {
    return JSON.parse(document.getElementById("page-data").textContent);
  }

  const STATUS_NAMES = {
    waiting: "等候中", called: "已呼叫", serving: "办理中", done: "已办结", no_show: "过号", cancelled: "已取消",
  };

  return { Feed, hallDay, hallTime, startClock, el, pageData, STATUS_NAMES };
})();
