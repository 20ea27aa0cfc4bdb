"""The queue domain: issuing numbers, the window actions, estimates and the display picture.

Every change runs in one BEGIN IMMEDIATE transaction and appends one row to the event
log; after commit `on_change` is called so live subscribers can be woken."""

from __future__ import annotations

import json
import math
import secrets
import statistics
from contextlib import contextmanager
from datetime import datetime, timedelta

from idcard.privacy import mask_name

from . import clock, store
from .appointments import Appointments
from .errors import (
    AlreadyEvaluated,
    AlreadyWaiting,
    BadRequest,
    DailyCapReached,
    EvaluationClosed,
    Forbidden,
    NotFound,
    QueueEmpty,
    ServiceClosed,
    TransferRefused,
    UnknownService,
    UnknownTicket,
    UnknownWindow,
    WindowClosed,
    WindowPaused,
    WindowTaken,
    WrongState,
)
from .hall import next_opening, service_opening
from .privacy import display_name

MIN_SAMPLES = 5  # finished tickets before a service's own handling time is trusted alone
OUTCOMES = ("办结", "受理", "补齐补正", "不予受理", "咨询解答", "其他")
EVALUATION_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
# What a window can do, by the names the API and the staff workstation use.
WINDOW_ACTIONS = ("open", "close", "pause", "resume", "call-next", "recall", "start", "no-show", "hold", "requeue",
                  "finish", "transfer")

# What the public may see of a ticket (never its token).
PUBLIC_TICKET_FIELDS = ("id", "number", "service_id", "service", "department", "category", "status", "priority",
                        "window", "window_name", "issued_at", "called_at", "finished_at", "outcome", "call_count",
                        "transfer_count")


def ticket_tag(ticket: dict) -> str | None:
    """The short mark a screen shows beside a number: 预约 for a booked ticket, 优先 for 绿色通道."""
    if ticket.get("appointment_code"):
        return "预约"
    return "优先" if ticket.get("priority") else None


def public_ticket(ticket: dict) -> dict:
    # `appointment` marks a checked-in booking's ticket (预约 on screens and paper); its code stays private
    return {key: ticket.get(key) for key in PUBLIC_TICKET_FIELDS} | {"appointment": bool(ticket.get("appointment_code"))}


class Queue:
    def __init__(self, db, config: dict, on_change=None, now=None):
        self.db = db
        self.config = config
        self.zone = config["hall"]["timezone"]
        self.on_change = on_change or (lambda: None)
        self._now = now or clock.utc_now

    # --- plumbing -------------------------------------------------------------

    def now(self) -> datetime:
        return self._now()

    def today(self) -> str:
        return clock.local_day(self.now(), self.zone)

    @contextmanager
    def _write(self):
        with store.immediate(self.db):
            yield
        self.on_change()

    def _event(self, type_, data, ticket=None, window=None, service_id=None, staff_id=None) -> int:
        return store.append_event(
            self.db, clock.to_iso(self.now()), type_, data,
            ticket_id=ticket["id"] if ticket else None,
            window_id=window["id"] if window else None,
            service_id=service_id if service_id is not None else (ticket["service_id"] if ticket else None),
            staff_id=staff_id)

    def _ticket_event(self, type_, ticket_id, window=None, actor=None, **extra) -> dict:
        ticket = store.get_ticket(self.db, ticket_id)
        data = public_ticket(ticket) | extra
        event_id = self._event(type_, data, ticket=ticket, window=window,
                               staff_id=getattr(actor, "staff_id", None))
        return public_ticket(ticket) | {"event_id": event_id}

    # --- services and tickets ------------------------------------------------

    def services(self) -> list[dict]:
        """Departments with their services: open now or why not and when it opens next,
        people ahead of a ticket taken now and the estimate, the windows, tickets left today."""
        now, today = self.now(), self.today()
        waiting = store.count_waiting_by_service(self.db, today)
        competing = store.count_competing_by_service(self.db, today)
        issued = store.count_issued_by_service(self.db, today)
        window_states = store.window_states_by_service(self.db)
        window_numbers = store.window_numbers_by_service(self.db)
        departments: dict[str, dict] = {}
        for service in store.list_services(self.db, include_retired=False):
            opening = service_opening(self.db, service, now, self.zone)
            cap = service["daily_cap"]
            taken = issued.get(service["id"], 0)
            full = bool(cap) and taken >= cap
            reopens = None if opening.open and not full else next_opening(
                self.db, service, now, self.zone, skip_today=full or opening.code == "holiday")
            entry = {
                "id": service["id"], "name": service["name"], "prefix": service["prefix"],
                "category": service["category"], "enabled": bool(service["enabled"]),
                "open": opening.open and not full, "closed_reason": opening.reason or ("今日号源已取完" if full else ""),
                "closed_code": opening.code or ("cap_reached" if full else ""),
                "daily_cap": cap, "issued_today": taken, "cap_reached": full,
                "remaining_today": max(0, cap - taken) if cap else None,
                "next_open": reopens.strftime("%Y-%m-%dT%H:%M") if reopens else None,
                "waiting": waiting.get(service["id"], 0),
                # a ticket taken now: everyone its windows will call first, of any service they serve
                "ahead": competing.get(service["id"], 0),
                "estimated_wait_min": self.estimated_wait_min(service["id"], competing.get(service["id"], 0),
                                                              window_states.get(service["id"], [])),
                "windows": window_numbers.get(service["id"], []),
                "hours": json.loads(service["hours"]), "days": service["days"],
            }
            departments.setdefault(service["department"], {"name": service["department"], "services": []})
            departments[service["department"]]["services"].append(entry)
        return list(departments.values())

    def issue_ticket(self, service_id, priority: int = 0, appointment_code: str | None = None,
                     kiosk_id: int | None = None, holder_hash: str | None = None,
                     holder_name: str | None = None) -> dict:
        """A ticket. `holder_hash` (the keyed hash of an ID card's number) ties it to a person: one
        waiting ticket per person and service; `holder_name` is kept masked (张*)."""
        if not isinstance(service_id, int) or isinstance(service_id, bool):
            raise BadRequest("service_id 必须是整数")
        if priority not in (0, 1):
            raise BadRequest("priority 只能是 0（普通）或 1（绿色通道/预约）")
        with self._write():
            service = store.get_service(self.db, service_id)
            if not service:
                raise UnknownService(f"没有编号为 {service_id} 的事项", service_id=service_id)
            now = self.now()
            day = clock.local_day(now, self.zone)
            booking = None
            if appointment_code:
                # a booking's place was counted when it was made: its check-in window, not the opening
                # hours or the daily cap, decides; the ticket has its own sequence and goes first
                appointments = Appointments(self.db, self.config, queue=self)
                booking = appointments.claim_for_ticket(appointment_code, service_id)
                if not service["enabled"]:
                    raise ServiceClosed(f"{service['name']}：该事项暂停办理", service_id=service_id)
                priority, appointment_code = 1, booking["code"]
                prefix = self.config["appointments"]["ticket_prefix"] + service["prefix"]
            else:
                opening = service_opening(self.db, service, now, self.zone)
                if not opening.open:
                    raise ServiceClosed(f"{service['name']}：{opening.reason}", service_id=service_id)
                if service["daily_cap"] and store.count_issued(self.db, service_id, day) >= service["daily_cap"]:
                    raise DailyCapReached(f"{service['name']} 今日号源（{service['daily_cap']} 个）已取完，请明日再来或预约办理",
                                          service_id=service_id, daily_cap=service["daily_cap"])
                prefix = service["prefix"]
            if holder_hash:
                first = store.waiting_ticket_of_holder(self.db, holder_hash, service_id, day)
                if first:
                    ahead = store.count_ahead(self.db, first)
                    raise AlreadyWaiting(f"您已取过 {first['number']} 号，前面还有 {ahead} 人，请留意叫号",
                                         number=first["number"], ahead=ahead)
            seq = store.next_seq(self.db, prefix, day)
            ticket_id = store.insert_ticket(self.db, {
                "number": f"{prefix}{seq:03d}", "prefix": prefix, "seq": seq,
                "local_day": day, "service_id": service_id, "status": "waiting", "priority": priority,
                "appointment_code": appointment_code, "token": secrets.token_urlsafe(12),
                "line_key": now.timestamp(), "issued_at": clock.to_iso(now), "kiosk_id": kiosk_id,
                "holder_hash": holder_hash, "holder_name": mask_name(holder_name) if holder_name else None,
            })
            if booking:
                appointments.attach_ticket(booking, ticket_id)
            issued = self._ticket_event("ticket_issued", ticket_id)
        # the reply's figures are read after the commit: the write lock is held for the numbering only
        ticket = store.get_ticket(self.db, ticket_id)
        ahead = store.count_ahead(self.db, ticket) if ticket["status"] == "waiting" else 0
        return issued | {
            "token": ticket["token"], "ahead": ahead,
            "estimated_wait_min": self.estimated_wait_min(service_id, ahead),
            "windows": store.window_numbers_by_service(self.db).get(service_id, []),
            "status_url": self.status_url(ticket["token"]),
        } | ({"appointment_code": booking["code"]} if booking else {})

    def status_url(self, token: str) -> str:
        return self.config["server"]["public_url"].rstrip("/") + f"/t/{token}"

    def ticket_status(self, token: str) -> dict:
        ticket = store.get_ticket_by_token(self.db, token)
        if not ticket:
            raise UnknownTicket("没有这张号票")
        ahead = store.count_ahead(self.db, ticket) if ticket["status"] == "waiting" else 0
        return public_ticket(ticket) | {
            "ahead": ahead,
            "estimated_wait_min": self.estimated_wait_min(ticket["service_id"], ahead)
            if ticket["status"] == "waiting" else 0,
            "local_day": ticket["local_day"],
            "evaluation": self.evaluation_offer(ticket),
        }

    def estimated_wait_min(self, service_id: int, ahead: int, window_states: list[str] | None = None) -> int:
        """People ahead × the recent handling time ÷ windows open for the service.

        Until a service has MIN_SAMPLES finished tickets, the configured default fills the gap,
        so one quick ticket in the morning does not promise everyone a one-minute wait."""
        if ahead <= 0:
            return 0
        queue_config = self.config["queue"]
        default = float(queue_config["default_handle_minutes"])
        samples = [s / 60 for s in store.recent_handle_seconds(self.db, service_id, queue_config["estimate_sample"])
                   if s and s > 0]
        if len(samples) >= MIN_SAMPLES:
            minutes = statistics.median(samples)
        else:
            minutes = (sum(samples) + default * (MIN_SAMPLES - len(samples))) / MIN_SAMPLES
        if window_states is None:  # the states of the windows serving it (services() reads them all at once)
            window_states = [w["state"] for w in store.windows_serving(self.db, service_id)]
        serving = sum(1 for state in window_states if state == "open") or max(1, len(window_states))
        # round first: julianday arithmetic leaves 240.00001 s where 240 s was meant
        return max(1, math.ceil(round(ahead * minutes / serving, 3)))

    def cancel(self, ticket_id: int, actor=None) -> dict:
        with self._write():
            ticket = self._ticket(ticket_id)
            if ticket["status"] != "waiting":
                raise WrongState(f"{ticket['number']} 当前状态为 {ticket['status']}，只有等候中的号票可以取消")
            if actor is not None and actor.is_staff and not actor.is_admin:
                self._check_staff_serves(actor, ticket)
            store.update_ticket(self.db, ticket_id, status="cancelled", finished_at=clock.to_iso(self.now()))
            return self._ticket_event("ticket_cancelled", ticket_id, actor=actor)

    def _check_staff_serves(self, actor, ticket):
        """Staff act on the hall's line only through the window they hold: its services' tickets."""
        for window in store.list_windows(self.db):
            if (window["staff_id"] == actor.staff_id and window["state"] != "closed"
                    and ticket["service_id"] in store.window_service_ids(self.db, window["id"])):
                return
        raise Forbidden(f"{ticket['number']} 不属于您当前窗口办理的事项，不能取消")

    def cancel_by_token(self, token: str) -> dict:
        ticket = store.get_ticket_by_token(self.db, token)
        if not ticket:
            raise UnknownTicket("没有这张号票")
        return self.cancel(ticket["id"])

    def _ticket(self, ticket_id) -> dict:
        ticket = store.get_ticket(self.db, ticket_id)
        if not ticket:
            raise UnknownTicket(f"没有编号为 {ticket_id} 的号票", ticket_id=ticket_id)
        return ticket

    # --- windows ------------------------------------------------------------

    def _window(self, number, actor, *, must_own=True) -> dict:
        if not isinstance(number, int):
            raise UnknownWindow(f"窗口号 {number!r} 无效")
        window = store.get_window(self.db, number)
        if not window:
            raise UnknownWindow(f"没有 {number} 号窗口", window=number)
        if must_own and actor is not None and not actor.is_admin:
            if actor.staff_id is None or window["staff_id"] != actor.staff_id:
                raise Forbidden(f"{number} 号窗口不是您当前登录的窗口", window=number)
        return window

    def _current(self, window, *states) -> dict:
        ticket = store.current_ticket_of_window(self.db, window["id"])
        if not ticket:
            raise WrongState(f"{window['number']} 号窗口当前没有正在办理的号票", window=window["number"])
        if states and ticket["status"] not in states:
            raise WrongState(f"{ticket['number']} 当前状态为 {ticket['status']}，不能进行此操作",
                             window=window["number"], status=ticket["status"])
        return ticket

    def window_action(self, number: int, action: str, actor, *, reason: str = "", after: int | None = None,
                      ticket_number: str | None = None, outcome: str | None = None, service_id: int | None = None,
                      to_window: int | None = None) -> dict:
        """One window action by name: the API's /windows/<n>/<action> and the admin console's
        window buttons both come through here."""
        if action not in WINDOW_ACTIONS:
            raise NotFound(f"没有窗口操作 {action}", actions=list(WINDOW_ACTIONS))
        if action == "requeue" and not ticket_number:
            raise BadRequest("请提供要顺延的号码 number")
        run = {
            "open": lambda: self.open_window(number, actor),
            "close": lambda: self.close_window(number, actor),
            "pause": lambda: self.pause(number, actor, reason=reason),
            "resume": lambda: self.resume(number, actor),
            "call-next": lambda: self.call_next(number, actor),
            "recall": lambda: self.recall(number, actor),
            "start": lambda: self.start(number, actor),
            "no-show": lambda: self.no_show(number, actor),
            "hold": lambda: self.hold(number, actor, after=after),
            "requeue": lambda: self.requeue(number, actor, ticket_number, after=after),
            "finish": lambda: self.finish(number, actor, outcome=outcome),
            "transfer": lambda: self.transfer(number, actor, service_id=service_id, to_window=to_window),
        }[action]
        return run()

    def open_window(self, number: int, actor) -> dict:
        with self._write():
            window = self._window(number, actor, must_own=False)
            if window["retired"]:
                raise WindowClosed(f"{number} 号窗口已停用，不能登录", window=number)
            # nobody takes a window someone holds, admins included: they may act on any window without
            # taking it, or close it for a staff member who left without logging out
            if window["state"] != "closed" and window["staff_id"] not in (None, actor.staff_id):
                holder = store.get_staff(self.db, window["staff_id"])
                raise WindowTaken(f"{number} 号窗口已由 {holder['name']} 登录", window=number)
            if actor.staff_id is not None and not actor.is_admin:
                for other in store.list_windows(self.db):
                    if other["staff_id"] == actor.staff_id and other["state"] != "closed" and other["number"] != number:
                        raise WindowTaken(f"您已在 {other['number']} 号窗口登录，请先退出该窗口", window=other["number"])
            store.set_window_state(self.db, window["id"], "open", staff_id=actor.staff_id)
            self._event("window_opened", self._window_data(window["id"]), window=window, staff_id=actor.staff_id)
        return self.window_view(number)

    def close_window(self, number: int, actor) -> dict:
        with self._write():
            window = self._window(number, actor)
            current = store.current_ticket_of_window(self.db, window["id"])
            if current:
                raise WrongState(f"{current['number']} 尚未办结，请先办结、过号或转移", window=number)
            store.set_window_state(self.db, window["id"], "closed", staff_id=None)
            self._event("window_closed", self._window_data(window["id"]), window=window, staff_id=actor.staff_id)
        return self.window_view(number)

    def pause(self, number: int, actor, reason: str = "") -> dict:
        with self._write():
            window = self._window(number, actor)
            if window["state"] != "open":
                raise WrongState(f"{number} 号窗口当前为 {window['state']}，只有开放的窗口可以暂停", window=number)
            store.set_window_state(self.db, window["id"], "paused", pause_reason=(reason or "").strip()[:100] or None)
            self._event("window_paused", self._window_data(window["id"]), window=window, staff_id=actor.staff_id)
        return self.window_view(number)

    def resume(self, number: int, actor) -> dict:
        with self._write():
            window = self._window(number, actor)
            if window["state"] != "paused":
                raise WrongState(f"{number} 号窗口未暂停", window=number)
            store.set_window_state(self.db, window["id"], "open")
            self._event("window_resumed", self._window_data(window["id"]), window=window, staff_id=actor.staff_id)
        return self.window_view(number)

    def _window_data(self, window_id) -> dict:
        window = store.get_window_by_id(self.db, window_id)
        staff = store.get_staff(self.db, window["staff_id"]) if window["staff_id"] else None
        return {"window": window["number"], "window_name": window["name"], "state": window["state"],
                "pause_reason": window["pause_reason"], "staff_name": staff["name"] if staff else None}

    def _callable_window(self, number, actor) -> dict:
        window = self._window(number, actor)
        if window["retired"]:
            raise WindowClosed(f"{number} 号窗口已停用", window=number)
        if window["state"] == "paused":
            raise WindowPaused(f"{number} 号窗口已暂停服务，请先恢复", window=number)
        if window["state"] == "closed":
            raise WindowClosed(f"{number} 号窗口未开放，请先登录窗口", window=number)
        return window

    def call_next(self, number: int, actor) -> dict:
        with self._write():
            window = self._callable_window(number, actor)
            current = store.current_ticket_of_window(self.db, window["id"])
            if current:
                raise WrongState(f"{current['number']} 尚未办结，请先办结、过号或转移", window=number,
                                 ticket=public_ticket(current))
            day = self.today()
            found = store.next_callable_ticket(self.db, window["id"], day)
            if not found:
                raise QueueEmpty(f"{number} 号窗口的事项暂无等候", window=number)
            ticket = store.get_ticket(self.db, found["id"])
            now = clock.to_iso(self.now())
            store.update_ticket(self.db, ticket["id"], status="called", window_id=window["id"], staff_id=actor.staff_id,
                                called_at=now, first_called_at=ticket["first_called_at"] or now,
                                call_count=ticket["call_count"] + 1, target_window_id=None)
            return self._ticket_event("ticket_called", ticket["id"], window=window, actor=actor)

    def recall(self, number: int, actor) -> dict:
        with self._write():
            window = self._callable_window(number, actor)
            ticket = self._current(window, "called")
            store.update_ticket(self.db, ticket["id"], call_count=ticket["call_count"] + 1,
                                called_at=clock.to_iso(self.now()))
            return self._ticket_event("ticket_recalled", ticket["id"], window=window, actor=actor)

    def start(self, number: int, actor) -> dict:
        """The citizen arrived at the window: called → serving."""
        with self._write():
            window = self._window(number, actor)
            ticket = self._current(window, "called")
            store.update_ticket(self.db, ticket["id"], status="serving", serving_at=clock.to_iso(self.now()))
            return self._ticket_event("ticket_serving", ticket["id"], window=window, actor=actor)

    def no_show(self, number: int, actor) -> dict:
        with self._write():
            window = self._window(number, actor)
            ticket = self._current(window, "called")
            store.update_ticket(self.db, ticket["id"], status="no_show", finished_at=clock.to_iso(self.now()))
            return self._ticket_event("ticket_no_show", ticket["id"], window=window, actor=actor)

    def finish(self, number: int, actor, outcome: str | None = None) -> dict:
        outcome = outcome or "办结"
        if outcome not in OUTCOMES:
            raise BadRequest(f"办理结果须为 {'、'.join(OUTCOMES)} 之一")
        with self._write():
            window = self._window(number, actor)
            ticket = self._current(window, "called", "serving")
            now = clock.to_iso(self.now())
            store.update_ticket(self.db, ticket["id"], status="done", finished_at=now, outcome=outcome,
                                serving_at=ticket["serving_at"] or now)
            return self._ticket_event("ticket_finished", ticket["id"], window=window, actor=actor)

    def _back_in_line_key(self, ticket, after: int) -> float:
        """A line key that puts the ticket (going back as priority 0) after `after` of the tickets its
        windows will call, in their call order (过号顺延). Priority tickets still go first."""
        order = store.competitors_in_call_order(self.db, ticket)
        before = [c["line_key"] for c in order[:after] if c["priority"] == 0]
        behind = [c["line_key"] for c in order[after:] if c["priority"] == 0]
        low = max(before) if before else None
        high = min(behind) if behind else None
        if low is not None and high is not None:
            return (low + high) / 2
        if low is not None:
            return low + 0.001
        if high is not None:
            return high - 0.001
        return self.now().timestamp()

    def hold(self, number: int, actor, after: int | None = None) -> dict:
        """Back in line after K others (missing documents, or 过号顺延)."""
        after = self._requeue_after(after)
        with self._write():
            window = self._window(number, actor)
            ticket = self._current(window, "called", "serving")
            store.update_ticket(self.db, ticket["id"], status="waiting", window_id=None,
                                line_key=self._back_in_line_key(ticket, after), priority=0)
            return self._ticket_event("ticket_held", ticket["id"], window=window, actor=actor, after=after)

    def requeue(self, number: int, actor, ticket_number: str, after: int | None = None) -> dict:
        """A citizen who missed the call comes back: no_show → waiting, after K others (过号顺延)."""
        after = self._requeue_after(after)
        with self._write():
            window = self._window(number, actor)
            ticket = store.get_ticket_by_number(self.db, str(ticket_number).strip().upper(), self.today())
            if not ticket:
                raise UnknownTicket(f"今天没有 {ticket_number} 号")
            if ticket["status"] != "no_show":
                raise WrongState(f"{ticket['number']} 当前状态为 {ticket['status']}，只有过号的号票可以顺延")
            store.update_ticket(self.db, ticket["id"], status="waiting", window_id=None, finished_at=None,
                                line_key=self._back_in_line_key(ticket, after), priority=0)
            return self._ticket_event("ticket_requeued", ticket["id"], window=window, actor=actor, after=after)

    def _requeue_after(self, after) -> int:
        after = self.config["queue"]["requeue_after"] if after is None else after
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= 100:
            raise BadRequest("after 须为 0 到 100 之间的整数")
        return after

    def transfer(self, number: int, actor, service_id: int | None = None, to_window: int | None = None) -> dict:
        """Move the window's ticket to another service or window; the number and issue time are kept."""
        if service_id is None and to_window is None:
            raise BadRequest("请指定转移到的事项（service_id）或窗口（to_window）")
        with self._write():
            window = self._window(number, actor)
            ticket = self._current(window, "called", "serving")
            new_service_id = ticket["service_id"]
            if service_id is not None:
                target_service = store.get_service(self.db, service_id) if isinstance(service_id, int) else None
                if not target_service:
                    raise UnknownService(f"没有编号为 {service_id} 的事项", service_id=service_id)
                if target_service["retired"]:
                    raise TransferRefused(f"{target_service['name']} 已停止办理，不能转入")
                if not target_service["enabled"]:
                    raise TransferRefused(f"{target_service['name']} 已暂停办理，不能转入")
                if not store.windows_serving(self.db, service_id):
                    raise TransferRefused(f"没有窗口办理 {target_service['name']}，转入后将无人叫号")
                new_service_id = service_id
            if new_service_id == ticket["service_id"] and to_window in (None, number):
                raise TransferRefused(f"{ticket['number']} 已在本窗口办理该事项，请选择其他事项或窗口")
            target_window_id = None
            if to_window is not None:
                target = store.get_window(self.db, to_window) if isinstance(to_window, int) else None
                if not target:
                    raise UnknownWindow(f"没有 {to_window} 号窗口", window=to_window)
                if target["retired"]:
                    raise TransferRefused(f"{to_window} 号窗口已停用，不能转入", window=to_window)
                if new_service_id not in store.window_service_ids(self.db, target["id"]):
                    raise TransferRefused(f"{to_window} 号窗口不办理该事项，请同时指定该窗口办理的事项")
                target_window_id = target["id"]
            store.update_ticket(self.db, ticket["id"], status="waiting", window_id=None, service_id=new_service_id,
                                target_window_id=target_window_id, transfer_count=ticket["transfer_count"] + 1)
            return self._ticket_event("ticket_transferred", ticket["id"], window=window, actor=actor,
                                      from_window=number, from_service_id=ticket["service_id"], to_window=to_window)

    # --- views --------------------------------------------------------------

    def window_view(self, number: int) -> dict:
        window = store.get_window(self.db, number)
        if not window:
            raise UnknownWindow(f"没有 {number} 号窗口", window=number)
        staff = store.get_staff(self.db, window["staff_id"]) if window["staff_id"] else None
        current = store.current_ticket_of_window(self.db, window["id"])
        day = self.today()
        services = {s["id"]: s for s in store.list_services(self.db)}
        return {
            "number": window["number"], "name": window["name"], "state": window["state"],
            "pause_reason": window["pause_reason"],
            "staff": {"id": staff["id"], "name": staff["name"], "employee_no": staff["employee_no"],
                      "photo": staff["photo"]} if staff else None,
            "current": public_ticket(current) if current else None,
            "services": [{"id": sid, "name": services[sid]["name"], "prefix": services[sid]["prefix"]}
                         for sid in store.window_service_ids(self.db, window["id"]) if sid in services],
            "waiting": store.list_callable_tickets(self.db, window["id"], day),
            "today": store.window_counts(self.db, window["id"], day),
        }

    def display(self, calls: int = 10) -> dict:
        """The whole current picture for the hall and window screens, read in one snapshot.
        Retired windows and services are not part of it."""
        with store.snapshot(self.db):
            last_id = store.last_event_id(self.db)
            day = self.today()
            waiting = store.count_waiting_by_service(self.db, day)
            next_up = store.next_waiting_by_service(self.db, day)
            windows = []
            for window in store.list_windows(self.db, include_retired=False):
                current = store.current_ticket_of_window(self.db, window["id"])
                windows.append({
                    "number": window["number"], "name": window["name"], "state": window["state"],
                    "pause_reason": window["pause_reason"],
                    "staff": {"name": window["staff_name"], "employee_no": window["staff_employee_no"],
                              "photo": window["staff_photo"]} if window["staff_id"] else None,
                    "current": {"number": current["number"], "service": current["service"],
                                "status": current["status"], "called_at": current["called_at"],
                                "tag": ticket_tag(current)} | self._shown_name(current) if current else None,
                })
            recent = [{"event_id": e["id"], "type": e["type"], "at": e["at"], "number": e["data"].get("number"),
                       "window": e["data"].get("window"), "window_name": e["data"].get("window_name"),
                       "service": e["data"].get("service")}
                      for e in store.recent_call_events(self.db, clock.day_start_utc(day, self.zone), calls)]
            services = [{"service_id": s["id"], "service": s["name"], "prefix": s["prefix"],
                         "department": s["department"], "waiting": waiting.get(s["id"], 0),
                         "next": [{"number": t["number"], "tag": ticket_tag(t)} | self._shown_name(t)
                                  for t in next_up.get(s["id"], [])]}
                        for s in store.list_services(self.db, include_retired=False) if s["enabled"]]
        return {"hall": self.config["hall"]["name"], "now": clock.to_iso(self.now()), "local_day": day,
                "last_event_id": last_id, "calls": recent, "windows": windows, "waiting": services,
                "notices": self.notices(),
                "supervision_phone": self.config["hall"].get("supervision_phone")}

    def _shown_name(self, ticket: dict) -> dict:
        """`{"holder_name": "张*"}` for a card holder's ticket when the hall shows names on its
        screens ([privacy] display_names), else nothing: by default no screen names anyone."""
        name = display_name(ticket, self.config)
        return {"holder_name": name} if name else {}

    def notices(self) -> list[str]:
        """The hall screen's ticker: the notices edited in the admin, else those of the config file."""
        edited = store.get_setting(self.db, "notices")
        return json.loads(edited) if edited is not None else list(self.config["hall"].get("notices", []))

    # --- evaluations (好差评) ---------------------------------------------------
    # Two channels, as the national 好差评 practice has them: the evaluator device of the window
    # that served the ticket, in the minutes after finish, and the citizen holding the ticket's own
    # token (the phone page, the ticket's QR code), within hours. Staff never rate: a rating filed by
    # the window's own people would grade themselves, or a colleague.

    def _evaluation_limits(self) -> tuple[int, int]:
        section = self.config.get("evaluation", {})
        return int(section.get("device_minutes", 10)), int(section.get("citizen_hours", 24))

    def evaluation_offer(self, ticket: dict) -> dict:
        """What the citizen's page may offer: open until when, or the rating already given."""
        given = store.get_evaluation_for_ticket(self.db, ticket["id"])
        if given:
            return {"open": False, "given": {"level": given["level"], "level_name": EVALUATION_LEVELS[given["level"]]}}
        if ticket["status"] != "done" or not ticket["finished_at"]:
            return {"open": False, "given": None}
        _, citizen_hours = self._evaluation_limits()
        until = clock.from_iso(ticket["finished_at"]) + timedelta(hours=citizen_hours)
        return {"open": self.now() < until, "until": clock.to_iso(until), "given": None}

    def evaluate(self, ticket_id, level, actor, comment: str | None = None, reasons=None) -> dict:
        """The evaluator device of the window that served the ticket, within device_minutes of finish."""
        if getattr(actor, "kind", None) != "evaluator":
            raise Forbidden("评价只能由办理窗口的评价器或办事群众本人提交，工作人员不能评价")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise BadRequest("ticket_id 必须是整数")
        device_minutes, _ = self._evaluation_limits()
        rating = _rating(level, comment, reasons)
        with self._write():
            ticket = self._ticket(ticket_id)
            if actor.window_id != ticket["window_id"]:
                raise Forbidden("评价器只能评价本窗口办结的号票")
            return self._record_evaluation(ticket, rating, "evaluator",
                                           timedelta(minutes=device_minutes),
                                           f"办结已超过 {device_minutes} 分钟，评价器不能再评价；可扫描号票二维码评价")

    def evaluate_by_citizen(self, token: str, level, comment: str | None = None, reasons=None) -> dict:
        """The citizen with the ticket's token, within citizen_hours of finish."""
        _, citizen_hours = self._evaluation_limits()
        rating = _rating(level, comment, reasons)
        with self._write():
            ticket = store.get_ticket_by_token(self.db, token)
            if not ticket:
                raise UnknownTicket("没有这张号票")
            return self._record_evaluation(ticket, rating, "citizen",
                                           timedelta(hours=citizen_hours),
                                           f"办结已超过 {citizen_hours} 小时，评价已关闭")

    def _record_evaluation(self, ticket, rating, source, limit, late_message) -> dict:
        level, comment, reasons = rating
        if ticket["status"] != "done" or not ticket["finished_at"]:
            raise WrongState(f"{ticket['number']} 尚未办结，不能评价")
        if self.now() > clock.from_iso(ticket["finished_at"]) + limit:
            raise EvaluationClosed(late_message)
        if store.get_evaluation_for_ticket(self.db, ticket["id"]):
            raise AlreadyEvaluated(f"{ticket['number']} 已评价过")
        evaluation_id = store.insert_evaluation(self.db, {
            "ticket_id": ticket["id"], "level": level, "comment": comment,
            "reasons": json.dumps(reasons, ensure_ascii=False) if reasons else None,
            "window_id": ticket["window_id"], "staff_id": ticket["staff_id"], "at": clock.to_iso(self.now()),
            "source": source,
        })
        window = store.get_window_by_id(self.db, ticket["window_id"]) if ticket["window_id"] else None
        self._event("evaluation_recorded",
                    {"evaluation_id": evaluation_id, "ticket_id": ticket["id"], "number": ticket["number"],
                     "level": level, "level_name": EVALUATION_LEVELS[level], "source": source,
                     "window": window["number"] if window else None},
                    ticket=ticket, window=window, staff_id=ticket["staff_id"])
        # a 差评 opens its follow-up case in this same transaction
        from .followup import open_case_for_evaluation
        open_case_for_evaluation(self.db, evaluation_id, self.config, self.now())
        return {"id": evaluation_id, "ticket_id": ticket["id"], "number": ticket["number"], "level": level,
                "level_name": EVALUATION_LEVELS[level], "comment": comment, "reasons": reasons, "source": source}

    def void_evaluation(self, evaluation_id, reason, actor) -> dict:
        """An admin sets a rating aside (a mistaken key, a proven abuse): it stays, with who and why,
        leaves every figure, and its follow-up case (if any) is withdrawn. Audited in the event log."""
        if not getattr(actor, "is_admin", False):
            raise Forbidden("只有管理员可以作废评价")
        reason = reason if isinstance(reason, str) else ""
        if len(reason) > EVALUATION_TEXT_LIMIT:
            raise BadRequest(f"作废理由不能超过 {EVALUATION_TEXT_LIMIT} 字")
        reason = reason.strip()
        if not reason:
            raise BadRequest("请填写作废理由")
        with self._write():
            evaluation = store.get_evaluation(self.db, evaluation_id)
            if not evaluation:
                raise NotFound(f"没有编号为 {evaluation_id} 的评价")
            if evaluation["voided_at"]:
                raise WrongState("该评价已作废")
            ticket = self._ticket(evaluation["ticket_id"])
            case = store.get_followup_case_by_evaluation(self.db, evaluation_id)
            if case:
                store.delete_followup_case(self.db, case["id"])
            now = clock.to_iso(self.now())
            store.void_evaluation(self.db, evaluation_id, now, actor.staff_id, reason)
            window = store.get_window_by_id(self.db, evaluation["window_id"]) if evaluation["window_id"] else None
            self._event("evaluation_voided",
                        {"evaluation_id": evaluation_id, "ticket_id": ticket["id"], "number": ticket["number"],
                         "level": evaluation["level"], "source": evaluation["source"], "reason": reason,
                         "followup_case_id": case["id"] if case else None,
                         "window": window["number"] if window else None},
                        ticket=ticket, window=window, staff_id=actor.staff_id)
        return {"id": evaluation_id, "ticket_id": ticket["id"], "number": ticket["number"],
                "level": evaluation["level"], "voided_at": now, "void_reason": reason}


EVALUATION_TEXT_LIMIT = 500   # the comment box on the evaluator and the ticket page shows the same
EVALUATION_REASON_LIMIT = 40  # one reason (a chip on the evaluator: 态度不好, 等候太久 ...)
EVALUATION_REASONS_MAX = 10


def _rating(level, comment, reasons) -> tuple[int, str | None, list[str]]:
    """A rating as a client sent it, checked before anything is read: (level, comment, reasons)."""
    if not isinstance(level, int) or isinstance(level, bool) or level not in EVALUATION_LEVELS:
        raise BadRequest("level 须为 1（非常不满意）到 5（非常满意）的整数")
    return level, _evaluation_comment(comment), _evaluation_reasons(reasons)


def _evaluation_comment(comment) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise BadRequest("comment 须为文字")
    if len(comment) > EVALUATION_TEXT_LIMIT:  # as sent, spaces included (the OpenAPI's maxLength)
        raise BadRequest(f"评价内容不能超过 {EVALUATION_TEXT_LIMIT} 字")
    return comment.strip() or None


def _evaluation_reasons(reasons) -> list[str]:
    if reasons is None:
        return []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise BadRequest("reasons 须为文字列表")
    if len(reasons) > EVALUATION_REASONS_MAX or any(len(r) > EVALUATION_REASON_LIMIT for r in reasons):
        raise BadRequest(f"评价原因最多 {EVALUATION_REASONS_MAX} 项，每项不超过 {EVALUATION_REASON_LIMIT} 字")
    return list(dict.fromkeys(r.strip() for r in reasons if r.strip()))
