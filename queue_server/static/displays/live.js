// Keeping a page live: the picture from a snapshot URL, changes from /api/v1/stream.
//
// The stream replays what was missed (Last-Event-ID), and on every (re)connection the page
// also re-reads the snapshot, so a screen that was away (server restart, network cut, a night)
// shows the true picture again. A periodic check catches a connection that died silently.
//
// The stream is read with fetch rather than EventSource: an EventSource delivers only the event
// types a page names in advance, so a type it does not know (hall_changed from the admin, a type
// added next year) would pass unseen, its id would never count as seen, and the picture would wait
// for the next periodic check. Here every event advances the last id and refreshes the picture.
"use strict";

const GovhallLive = (() => {
  const RETRY_MS = 2000;            // until the server says otherwise (`retry:`)
  const HTTP_ERROR_RETRY_MAX_MS = 15000;
  const SILENT_STREAM_MS = 40000;   // the server sends a keep-alive every 15 s; this long without one is a dead line

  class Feed {
    // options: snapshotUrl (a string, or a function giving one), onSnapshot(snapshot), onEvent(event), fetchOptions,
    // reconcileMs, refreshDelayMs, offlineNoticeMs, onStatus(online)
    constructor(options) {
      this.options = Object.assign({ reconcileMs: 15000, refreshDelayMs: 120, offlineNoticeMs: 4000 }, options);
      this.lastId = null;         // newest event id seen (stream or snapshot)
      this.snapshotId = 0;        // last_event_id of the snapshot on screen
      this.connection = null;     // AbortController of the stream being read
      this.connects = 0;          // streams opened so far (a technician's and the tests' view of reconnects)
      this.retryMs = RETRY_MS;
      this.httpRetryMs = RETRY_MS;
      this.online = null;
      this.refreshTimer = null;
      this.serverOffsetMs = 0;    // server clock minus this machine's clock
    }

    start(initialSnapshot) {
      if (initialSnapshot) this._applySnapshot(initialSnapshot);
      this._connect();
      setInterval(() => {
        if (this.connection && Date.now() - this._lastByteAt > SILENT_STREAM_MS) this._reconnect(0);
        this.refresh();
      }, this.options.reconcileMs);
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

    // --- the stream ------------------------------------------------------------------
    _connect() {
      const url = "/api/v1/stream" + (this.lastId !== null ? "?last_event_id=" + this.lastId : "");
      const connection = new AbortController();
      this.connection = connection;
      this.connects += 1;
      this._read(url, connection);
    }

    async _read(url, connection) {
      let response;
      try {
        // a device's token (fetchOptions.headers) goes on the stream too: it decides what the stream tells
        const headers = Object.assign({ Accept: "text/event-stream" }, (this.options.fetchOptions || {}).headers);
        response = await fetch(url, { cache: "no-store", credentials: "same-origin", signal: connection.signal, headers });
      } catch (error) {
        this._dropped(connection, false);  // refused, unreachable, or aborted on purpose
        return;
      }
      if (!response.ok || !response.body) {
        this._dropped(connection, true);
        return;
      }
      this._lastByteAt = Date.now();
      this._wasOpen = true;
      this.httpRetryMs = RETRY_MS;
      this._status(true);
      this.refresh();
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      this._message = { type: "", data: [], id: null };
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this._lastByteAt = Date.now();
          buffer = this._parse(buffer + decoder.decode(value, { stream: true }));
        }
      } catch (error) {
        // the connection broke (server stopped, network cut) or was aborted on purpose
      }
      this._dropped(connection, false);
    }

    // Server-sent events, line by line (the text/event-stream format); returns the unfinished line.
    _parse(text) {
      let end;
      while ((end = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, end).replace(/\r$/, "");
        text = text.slice(end + 1);
        const message = this._message;
        if (line === "") {
          if (message.data.length) this._handle(message.type || "message", message.data.join("\n"), message.id);
          this._message = { type: "", data: [], id: null };
          continue;
        }
        if (line.startsWith(":")) continue;  // a comment: "connected", "keep-alive"
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") message.data.push(value);
        else if (field === "event") message.type = value;
        else if (field === "id") message.id = value;
        else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
      }
      return text;
    }

    // The stream ended or never opened. A connection replaced on purpose is not a loss.
    _dropped(connection, httpError) {
      if (connection !== this.connection) return;
      this.connection = null;
      this._status(false);
      // A stream that was open and broke is most often a server worker restarting (or another worker
      // of the same server taking over): try again at once, spread over a fraction of the retry time
      // so a hall's hundreds of screens do not all knock in the same millisecond. Then every `retry`.
      let delayMs = this._wasOpen ? Math.random() * this.retryMs / 4 : this.retryMs;
      this._wasOpen = false;
      if (httpError) {  // the server answered with an error: try again, less and less often
        delayMs = this.httpRetryMs;
        this.httpRetryMs = Math.min(this.httpRetryMs * 2, HTTP_ERROR_RETRY_MAX_MS);
      }
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = setTimeout(() => this._connect(), delayMs);
    }

    _reconnect(delayMs) {
      const old = this.connection;
      this.connection = null;
      if (old) old.abort();
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = setTimeout(() => this._connect(), delayMs);
    }

    // Every event counts, whatever its type: its id is seen, and the picture is re-read shortly
    // after (a hall_changed renames a window, an unknown type may change anything).
    _handle(type, data, fieldId) {
      let event;
      try { event = JSON.parse(data); } catch (error) { event = null; }
      const id = event && typeof event.id === "number" ? event.id : Number(fieldId);
      if (!Number.isFinite(id)) return;
      if (this.lastId !== null && id <= this.lastId) return;  // replayed twice
      this.lastId = id;
      if (this._behindSince && id >= this.snapshotId) this._behindSince = null;
      if (event) {
        if (!event.type) event.type = type;
        if (!event.data) event.data = {};
        this.options.onEvent && this.options.onEvent(event, this);
      }
      this.scheduleRefresh();
    }

    _status(online) {
      document.documentElement.dataset.live = online ? "online" : "offline";
      // A notice only when the break lasts: a reconnect within a few seconds goes unseen. Every
      // failed retry reports offline again; a notice already on its way is left to come.
      const notice = document.getElementById("offline");
      if (online) {
        clearTimeout(this._offlineTimer);
        this._offlineTimer = null;
        if (notice) notice.classList.remove("shown");
      } else if (notice && !this._offlineTimer) {
        this._offlineTimer = setTimeout(() => notice.classList.add("shown"), this.options.offlineNoticeMs);
      }
      const changed = this.online !== online;
      this.online = online;
      if (changed && this.options.onStatus) this.options.onStatus(online);
    }

    scheduleRefresh(delayMs) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.refresh(), delayMs === undefined ? this.options.refreshDelayMs : delayMs);
    }

    async refresh() {
      try {
        const url = typeof this.options.snapshotUrl === "function" ? this.options.snapshotUrl() : this.options.snapshotUrl;
        if (!url) return;
        let snapshot;
        for (let attempt = 1; ; attempt++) {
          const response = await fetch(url,
            Object.assign({ cache: "no-store", credentials: "same-origin" }, this.options.fetchOptions || {}));
          if (!response.ok) throw new Error("HTTP " + response.status);
          snapshot = await response.json();
          // Taken before events this screen has already applied (they overtook it on the way): its
          // picture is older than the screen's, and would put a called window back to idle. Ask again.
          const stale = typeof snapshot.last_event_id === "number" && this.lastId !== null
            && snapshot.last_event_id < this.lastId;
          if (!stale || attempt >= 3) break;
        }
        this._applySnapshot(snapshot);
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

  // A server message fit for the screen: Chinese (the server's are), else a Chinese one with the HTTP status.
  function chineseMessage(message, status, failed = "请求失败") {
    return typeof message === "string" && /[\u4e00-\u9fff]/.test(message) ? message : `${failed}（${status}）`;
  }

  return { Feed, hallDay, hallTime, startClock, el, pageData, STATUS_NAMES, chineseMessage };
})();
