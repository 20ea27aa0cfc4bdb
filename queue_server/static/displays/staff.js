// The window staff's workstation (虚拟呼叫器): take a window, then call, recall, start, no-show,
// hold, transfer, pause/resume and finish — by button or by key. One action at a time: while a
// request is in flight every action is refused, so a double click never calls two tickets.
// An admin may also act on a window a staff member holds, without taking it from them (代为操作).
"use strict";

(() => {
  const { Feed, el, pageData, hallTime, STATUS_NAMES, chineseMessage } = GovhallLive;
  const page = pageData();
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);

  const CONNECTION_LOST = "服务器连接中断，请稍后重试";
  const DESK_KEY = "govhall.staff.window";  // an admin's window in this tab, kept across a reload
  const isAdmin = page.me.role === "admin";

  let windowNumber = page.my_window;  // the window on the desk: taken by this person, or an admin's held one
  if (!windowNumber && isAdmin) windowNumber = Number(sessionStorage.getItem(DESK_KEY)) || null;
  let view = null;                    // GET /windows/<n>
  let busy = false;
  let lastError = null;               // the code of the error on screen, if any

  function setWindow(number) {
    windowNumber = number;
    if (!number) view = null;
    if (number) sessionStorage.setItem(DESK_KEY, number);
    else sessionStorage.removeItem(DESK_KEY);
  }

  // The staff member in a window listing (the display's, without ids) is this person.
  function isMe(staff) {
    if (!staff) return false;
    if (staff.id !== undefined) return staff.id === page.me.id;
    if (staff.employee_no && page.me.employee_no) return staff.employee_no === page.me.employee_no;
    return staff.name === page.me.name;
  }

  // A window on the desk that someone else holds: an admin acting on it, not its holder.
  function actingForOther() {
    return Boolean(view && view.state !== "closed" && view.staff && !isMe(view.staff));
  }

  const DONE_MESSAGES = {
    "call-next": (t) => `已呼叫 ${t.number}`, recall: (t) => `已重呼 ${t.number}`,
    start: (t) => `${t.number} 开始办理`, "no-show": (t) => `${t.number} 已记为过号`,
    hold: (t) => `${t.number} 已挂起，顺延等候`, transfer: (t) => `${t.number} 已转移`,
    finish: (t) => `${t.number} 已办结`, requeue: (t) => `${t.number} 已顺延回队列`,
    pause: () => "窗口已暂停服务", resume: () => "窗口已恢复服务", open: () => "已登录窗口", close: () => "已退出窗口",
  };

  // --- talking to the API ----------------------------------------------------------
  async function api(method, path, body) {
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {  // no answer at all: the server is down or the network is cut
      throw Object.assign(new Error(CONNECTION_LOST), { code: "connection_lost" });
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401) location.href = "/login?next=/staff";
      throw Object.assign(new Error(chineseMessage(data.message, response.status)), { code: data.error });
    }
    return data;
  }

  function say(text, kind, code) {
    const box = $("message");
    box.textContent = text;
    box.className = "message " + (kind || "ok");
    lastError = kind === "error" ? code || "error" : null;
  }

  function sayError(error) { say(error.message, "error", error.code); }

  // Every action goes through here: the one gate against doing anything twice.
  async function act(action, body) {
    if (busy || !windowNumber) return;
    busy = true;
    document.body.dataset.busy = "1";
    paint();
    try {
      const result = await api("POST", `/windows/${windowNumber}/${action}`, body);
      say((DONE_MESSAGES[action] || (() => "已完成"))(result));
      if (action === "close") setWindow(null);
    } catch (error) {
      sayError(error);
    } finally {
      await load();
      busy = false;
      delete document.body.dataset.busy;
      paint();
    }
  }

  // --- what is on screen -----------------------------------------------------------
  async function load() {
    try {
      if (windowNumber) view = await api("GET", `/windows/${windowNumber}`);
      if (view && view.state === "closed") setWindow(null);  // closed, here or elsewhere
      if (!windowNumber) renderPicker((await api("GET", "/windows")).windows);
    } catch (error) {
      if (error.code === "unknown_window") setWindow(null);  // removed by the admin meanwhile
      sayError(error);
    }
    paint();
  }

  // Free windows can be taken; a window someone else holds stays theirs: an admin may act on it
  // (代为操作), anyone else sees who holds it.
  function renderPicker(windows) {
    const items = windows.map((w) => {
      const holder = w.state !== "closed" ? w.staff : null;
      let button;
      if (!holder || isMe(holder)) {
        button = el("button", { type: "button", class: "primary", dataset: { window: w.number } }, "登录此窗口");
        button.addEventListener("click", () => takeWindow(w.number));
      } else if (isAdmin) {
        button = el("button", { type: "button", dataset: { window: w.number, acting: "1" } }, "代为操作");
        button.addEventListener("click", () => actFor(w.number, holder.name));
      } else {
        button = el("button", { type: "button", disabled: true, dataset: { window: w.number } }, `已由 ${holder.name} 登录`);
      }
      const state = w.state === "paused" ? "暂停服务" : "开放";
      return el("li", { class: "state-" + w.state, dataset: { window: w.number } },
        el("b", {}, `${w.number}号窗口`), el("span", {}, w.name),
        el("span", { class: "holder" }, holder ? `${holder.name} 已登录（${state}）` : "未开放"),
        button);
    });
    $("window-list").replaceChildren(...items);
  }

  async function takeWindow(number) {
    if (busy) return;
    busy = true;
    try {
      await api("POST", `/windows/${number}/open`);
      setWindow(number);
      say(`已登录 ${number} 号窗口`);
    } catch (error) {
      // taken by someone a moment ago: the refreshed list shows by whom (and, for an admin, 代为操作)
      sayError(error);
    } finally {
      busy = false;
      await load();
    }
  }

  // An admin at a held window: acts through the API (admins may act on any window); the
  // window stays logged in to its staff member.
  async function actFor(number, holderName) {
    if (busy) return;
    setWindow(number);
    say(`正在代为操作 ${number} 号窗口（${holderName} 仍在登录中）`);
    await load();
  }

  // Which actions make sense now; everything is off while a request is in flight.
  function allowed() {
    const can = new Set();
    if (!view || busy) return can;
    const current = view.current;
    if (view.state === "open" && !current) can.add("call-next");
    if (current && current.status === "called") ["recall", "start", "no-show"].forEach((a) => can.add(a));
    if (current) ["hold", "transfer", "finish"].forEach((a) => can.add(a));
    if (view.state === "open") can.add("pause");
    if (view.state === "paused") can.add("resume");
    if (!current) can.add("close");
    can.add("requeue");
    return can;
  }

  // Why an action cannot be done now, in the words of the desk (a refused key always says why).
  function whyNot(action) {
    if (busy) return "正在处理上一步操作，请稍候";
    if (!view) return "请先选择窗口";
    const current = view.current;
    const paused = view.state === "paused";
    switch (action) {
      case "call-next":
        if (paused) return "窗口已暂停服务，请先按 P 恢复服务";
        if (current) return `${current.number} 尚未办结，请先办结（F）、过号（M）、挂起（H）或转移（T）`;
        return "窗口未开放";
      case "recall": case "start": case "no-show":
        if (!current) return "当前没有已呼叫的号票，请先按 N 呼叫下一位";
        return `${current.number} 已在办理中，不能${{ recall: "重呼", start: "再次开始办理", "no-show": "记为过号" }[action]}`;
      case "hold": case "transfer": case "finish":
        return "当前没有办理中的号票，请先按 N 呼叫下一位";
      case "pause": case "resume":
        return "窗口未开放，不能暂停或恢复";
      case "close":
        return current ? `${current.number} 尚未办结，请先办结后再退出窗口` : "现在不能退出窗口";
      default:
        return "现在不能进行此操作";
    }
  }

  // After a dialog or a field the keys work again at once: nothing keeps the focus.
  function returnFocusToKeys() {
    const focused = document.activeElement;
    if (focused && focused !== document.body && !focused.closest("dialog[open]")) focused.blur();
  }

  function paint() {
    $("picker").hidden = Boolean(windowNumber);
    $("desk").hidden = !windowNumber;
    const can = allowed();
    document.querySelectorAll("[data-action]").forEach((button) => { button.disabled = !can.has(button.dataset.action); });
    document.querySelector('[data-action="pause"]').hidden = view && view.state === "paused";
    document.querySelector('[data-action="resume"]').hidden = !(view && view.state === "paused");
    if (!view || !windowNumber) return;
    const forOther = actingForOther();
    $("desk-holder").hidden = !forOther;
    $("desk-holder").textContent = forOther
      ? `代为操作 · ${view.staff.name}${view.staff.employee_no ? `（${view.staff.employee_no}）` : ""} 已登录本窗口` : "";
    $("leave-desk").hidden = !forOther;
    $("close-window").textContent = forOther ? "关闭窗口" : "退出窗口";
    $("desk-window").textContent = `${view.number}号窗口`;
    $("desk-name").textContent = view.name;
    const stateTag = $("desk-state");
    stateTag.textContent = view.state === "paused" ? `暂停服务${view.pause_reason ? "：" + view.pause_reason : ""}`
      : view.state === "open" ? "开放" : "未开放";
    stateTag.className = "state-tag state-" + view.state;
    const current = view.current;
    $("current-number").textContent = current ? current.number : "—";
    $("current-number").classList.toggle("empty", !current);
    $("current-info").textContent = current
      ? `${current.service} · ${STATUS_NAMES[current.status] || "状态已更新"}${current.call_count > 1 ? ` · 已呼叫 ${current.call_count} 次` : ""}`
      : (view.state === "paused" ? "窗口暂停中" : "暂无办理中的号票");
    $("desk-services").textContent = "本窗口事项：" + view.services.map((s) => s.name).join("、");
    const rows = view.waiting.map((t) => el("tr", { dataset: { ticketId: t.id } },
      el("td", { class: "num" }, t.number, t.priority ? el("span", { class: "priority" }, "优先") : null),
      el("td", {}, t.service), el("td", {}, hallTime(t.issued_at, page.timezone))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 3, class: "empty" }, "暂无等候")));
    $("waiting-list").replaceChildren(...rows);
    $("count-done").textContent = view.today.done || 0;
    $("count-no-show").textContent = view.today.no_show || 0;
    $("count-waiting").textContent = view.waiting.length;
  }

  // --- dialogs -------------------------------------------------------------------
  function openDialog(id) {
    if (busy) return;
    const dialog = $(id);
    if (!dialog.open) dialog.showModal();
  }

  function closeDialogs() {
    document.querySelectorAll("dialog[open]").forEach((d) => d.close());
    returnFocusToKeys();
  }

  document.querySelectorAll("dialog [data-close]").forEach((b) => b.addEventListener("click", closeDialogs));
  // Esc, or a choice: the browser puts the focus back on the button that opened the dialog; take it off
  document.querySelectorAll("dialog").forEach((d) => d.addEventListener("close", () => setTimeout(returnFocusToKeys)));

  $("finish-dialog").querySelectorAll("[data-outcome]").forEach((button) =>
    button.addEventListener("click", () => { closeDialogs(); act("finish", { outcome: button.dataset.outcome }); }));
  $("finish-dialog").addEventListener("keydown", (event) => {
    const choice = $("finish-dialog").querySelectorAll("[data-outcome]")[Number(event.key) - 1];
    if (choice && !event.repeat) { event.preventDefault(); choice.click(); }
  });

  $("pause-dialog").querySelectorAll("[data-reason]").forEach((button) =>
    button.addEventListener("click", () => { closeDialogs(); act("pause", { reason: button.dataset.reason }); }));
  $("pause-dialog").addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT") return;
    const choice = $("pause-dialog").querySelectorAll("[data-reason]")[Number(event.key) - 1];
    if (choice && !event.repeat) { event.preventDefault(); choice.click(); }
  });
  $("pause-form").addEventListener("submit", (event) => {
    event.preventDefault();
    closeDialogs();
    act("pause", { reason: $("pause-reason").value.trim() });
    $("pause-reason").value = "";
  });

  // --- transfer: a fresh choice each time, only among what can take the ticket -----------------
  const option = (value, text) => el("option", { value }, text);

  // Windows (other than this one, for the same service) that call the target service.
  function transferWindows(targetService) {
    const sameService = targetService === view.current.service_id;
    return page.windows.filter((w) => w.services.includes(targetService) && !(sameService && w.number === view.number));
  }

  function fillTransferWindows() {
    const chosen = Number($("transfer-service").value) || view.current.service_id;
    const anyWindow = chosen !== view.current.service_id
      ? option("", "（不指定，该事项任一窗口办理）") : option("", "（请选择窗口）");
    $("transfer-window").replaceChildren(anyWindow,
      ...transferWindows(chosen).map((w) => option(w.number, `${w.number}号窗口 · ${w.name}`)));
  }

  function openTransfer() {
    const current = view.current;
    $("transfer-number").textContent = current.number;
    $("transfer-error").textContent = "";
    const services = page.services.filter((s) => s.id !== current.service_id);
    $("transfer-service").replaceChildren(option("", `（不改变事项：${current.service}）`),
      ...services.map((s) => option(s.id, `${s.department} · ${s.name}`)));
    fillTransferWindows();
    openDialog("transfer-dialog");
    $("transfer-service").focus();
  }

  $("transfer-service").addEventListener("change", () => { $("transfer-error").textContent = ""; fillTransferWindows(); });
  $("transfer-window").addEventListener("change", () => { $("transfer-error").textContent = ""; });

  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const service = Number($("transfer-service").value) || null, target = Number($("transfer-window").value) || null;
    const current = view && view.current;
    if (!current) { closeDialogs(); return; }
    if (!service && !target) {  // the same service at the same window is no transfer at all
      $("transfer-error").textContent = "请选择另一个事项或另一个窗口";
      return;
    }
    closeDialogs();
    const body = {};
    if (service) body.service_id = service;
    if (target) body.to_window = target;
    act("transfer", body);
  });

  $("requeue-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = $("requeue-number").value.trim().toUpperCase();
    if (!number) { say("请输入过号返回的号码", "error"); return; }
    returnFocusToKeys();  // the next N calls the next person, it is not typed into the field
    act("requeue", { number }).then(() => { $("requeue-number").value = ""; });
  });
  $("requeue-number").addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); returnFocusToKeys(); }
  });

  // --- buttons and keys ----------------------------------------------------------
  const DIALOG_OF = { finish: "finish-dialog", pause: "pause-dialog", transfer: "transfer-dialog" };

  function trigger(action) {
    if (!allowed().has(action)) { say(whyNot(action), "error", "refused_key"); return; }
    if (action === "transfer") openTransfer();
    else if (DIALOG_OF[action]) openDialog(DIALOG_OF[action]);
    else if (action === "close") {
      const question = actingForOther() ? `关闭 ${windowNumber} 号窗口？${view.staff.name} 将退出该窗口。`
        : `退出 ${windowNumber} 号窗口？`;
      if (confirm(question)) act("close");
    }
    else if (action !== "requeue") act(action);
  }

  document.querySelectorAll(".actions [data-action], #close-window").forEach((button) =>
    button.addEventListener("click", () => trigger(button.dataset.action)));

  // back to the list without leaving the window (an admin's; its holder stays logged in)
  $("leave-desk").addEventListener("click", () => {
    if (busy) return;
    setWindow(null);
    say("");
    load();
  });

  document.addEventListener("keydown", (event) => {
    if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) return;
    const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
    const buttons = [...document.querySelectorAll(`.actions [data-key="${key}"]`)];
    const button = buttons.find((b) => !b.hidden) || buttons[0];
    if (!button) return;
    event.preventDefault();
    trigger(button.dataset.action);
  });

  // --- live ------------------------------------------------------------------------
  const feed = new Feed({
    snapshotUrl: () => (windowNumber ? `/api/v1/windows/${windowNumber}` : "/api/v1/windows"),
    refreshDelayMs: 250,
    onSnapshot: (snapshot) => {
      if (busy) return;  // the action in flight reloads when it is done
      if (windowNumber && snapshot.number === windowNumber) {
        // "closed" may be a picture read just before this desk took the window: ask again before leaving it
        if (snapshot.state === "closed") { if (view && view.state !== "closed") load().then(() => feed.refresh()); return; }
        view = snapshot;
      }
      else if (!windowNumber && snapshot.windows) renderPicker(snapshot.windows);
      paint();
    },
    onEvent: (event) => {
      // a citizen pressed 呼叫工作人员 on a kiosk: every workstation hears it
      if (event.type === "kiosk_help") {
        const box = $("message");
        box.textContent = `【求助】${event.data.message || "自助机需要协助"}（${event.data.kiosk || ""}）`;
        box.className = "message error kiosk-help";
      }
    },
    onStatus: (online) => {
      $("live-state").textContent = online ? "实时连接正常" : "连接中断，正在重连…";
      $("live-state").className = "live-state " + (online ? "online" : "offline");
      if (online && lastError === "connection_lost") say("服务器连接已恢复，可以继续操作");
    },
  });
  window.govhallFeed = feed;
  load().then(() => feed.start());
})();
