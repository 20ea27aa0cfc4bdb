// A window display (窗口屏): the number being served, the window, the staff member (监督岗牌).
"use strict";

(() => {
  const { Feed, startClock, pageData } = GovhallLive;
  const page = pageData();
  const number = page.window;

  function render(w) {
    if (!w) return;
    const stateBox = document.getElementById("window-state");
    let label = "", current = "", service = "";
    if (w.state === "paused") {
      label = "暂停服务";
      service = w.pause_reason || "请稍候，或到其他窗口办理";
    } else if (w.state === "closed") {
      label = "本窗口暂未开放";
      service = "请留意大厅叫号";
    } else if (w.current) {
      label = w.current.status === "serving" ? "正在办理" : "请以下号码到本窗口办理";
      current = w.current.number;
      service = w.current.service;
    } else {
      label = "等候叫号";
      service = "请留意大厅叫号信息";
    }
    stateBox.dataset.state = w.state + (w.current && w.state === "open" ? "-serving" : "");
    document.getElementById("state-label").textContent = label;
    document.getElementById("current-number").textContent = current;
    document.getElementById("current-service").textContent = service;
    document.getElementById("window-name").textContent = w.name;
    document.getElementById("staff-name").textContent = w.staff ? w.staff.name : "";
    document.getElementById("staff-no").textContent = w.staff && w.staff.employee_no ? w.staff.employee_no : "—";
    // a new face only when the staff member or their photo changed
    const photo = document.getElementById("staff-photo");
    const key = photoKey(w.staff);
    if (photo.dataset.key !== key) {
      photo.dataset.key = key;
      photo.src = `/display/window/${number}/photo?v=${encodeURIComponent(key)}`;
    }
  }

  function photoKey(staff) {
    return staff ? `${staff.employee_no || staff.name}|${staff.photo || ""}` : "";
  }

  function onSnapshot(snapshot) {
    render((snapshot.windows || []).find((x) => x.number === number));
    if (snapshot.supervision_phone) document.getElementById("supervision-phone").textContent = snapshot.supervision_phone;
  }

  function onEvent(event, feed) {
    // a call for this window shows at once; the snapshot that follows fills in the rest
    if ((event.type === "ticket_called" || event.type === "ticket_recalled") && event.data.window === number
        && event.id > feed.snapshotId) {
      document.getElementById("window-state").dataset.state = "open-serving";
      document.getElementById("state-label").textContent = "请以下号码到本窗口办理";
      document.getElementById("current-number").textContent = event.data.number;
      document.getElementById("current-service").textContent = event.data.service || "";
    }
  }

  const feed = new Feed({ snapshotUrl: "/api/v1/display", onSnapshot, onEvent });
  window.govhallFeed = feed;
  feed.start(page.snapshot);
  startClock(feed, page.timezone, document.getElementById("clock-date"), document.getElementById("clock-time"));
})();
