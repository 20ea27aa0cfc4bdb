"""A month of made-up history for the demo hall, played through the queue domain itself.

The past working days are replayed on a simulated clock: citizens arrive within each service's
opening hours (weekday mornings busier, Mondays busiest), staff open their windows, call,
recall, mark no-shows, put a ticket back in line for a missing copy, transfer, finish with an
outcome, and citizens rate on the window's evaluator. Every step is a call of `Queue`, exactly
as the staff workstation makes it, so the event log, the statistics, the window ranking and the
差评 follow-up cases (opened by the domain's own rule, then called back and resolved through
`followup`) agree with one another. Only days before today are written: today's queue stays empty.

It is slower than writing rows directly (tests/admin/synthetic.py does that for the statistics
benchmark): about five seconds for the demo's month of some 2,500 tickets. It needs the hall's
real opening hours: run it before `store.open_all_day`."""

from __future__ import annotations

import heapq
import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import clock, followup, store
from ..accounts import Principal
from ..errors import DailyCapReached, QueueEmpty, ServiceClosed
from ..hall import parse_days, parse_hours
from ..queue import Queue

# arrivals by local hour (relative weights), within each service's own opening hours
HOURLY = {8: 6, 9: 15, 10: 16, 11: 10, 12: 1, 13: 1, 14: 6, 15: 12, 16: 10, 17: 3}
WEEKDAY_FACTOR = [1.3, 1.05, 1.0, 0.95, 0.9, 0.4, 0.2]
# how often citizens come for a service of each category (a service's own appeal varies around it)
CATEGORY_WEIGHT = {"公共服务": 3.0, "咨询": 2.5, "非行政许可": 2.0, "行政许可": 1.0}
# median handling minutes by category (log-normal, so some take much longer)
HANDLING_MINUTES = {"咨询": 3.5, "公共服务": 7.0, "非行政许可": 11.0, "行政许可": 16.0}
# after a citizen leaves, the window files and enters the case before it calls the next number
BACK_OFFICE_MINUTES = {"咨询": 0.5, "公共服务": 1.5, "非行政许可": 3.0, "行政许可": 4.0}
NO_SHOW_SHARE = 0.04        # called twice, never came
HOLD_SHARE = 0.02           # back in line after two others: a copy or a signature was missing
TRANSFER_SHARE = 0.025      # the citizen needs another service
RATED_SHARE = 0.62          # citizens who press a key on the evaluator
# 好差评 levels 5..1; 差评 (2, 1) are rare in a real hall, but a demo needs a few cases to show
LEVEL_WEIGHTS = {5: 860, 4: 95, 3: 38, 2: 2, 1: 0.8}
# ...and whatever the calendar, a 差评 is filed on the working days at these shares of the history,
# so every demo has an overdue case, an upheld appeal and resolved cases
PLANTED_BAD_RATINGS = (0.2, 0.45, 0.7)
OUTCOME_WEIGHTS = {"办结": 82, "受理": 11, "补齐补正": 5, "不予受理": 2}

GOOD_COMMENTS = ["工作人员很耐心，一次就办好了", "材料一次告知清楚，没跑冤枉路", "办事效率高，点赞",
                 "帮我把表格都填好了，谢谢", "窗口服务热情周到"]
BAD_COMMENTS = ["等了很久，窗口人员中途离开没有说明", "材料要求前后说法不一致，让我跑了两趟",
                "工作人员态度生硬，问两遍就不耐烦", "叫号后窗口迟迟不办理，一直在打电话", None]
CALLBACK_NOTES = ["电话回访办事群众，已说明情况并致歉，群众表示理解",
                  "回访群众，核实为材料告知不一致，已当面补充一次性告知单",
                  "回访群众，调取窗口录像核实情况属实，群众接受处理意见"]
RESOLUTIONS = ["已对窗口人员批评教育，纳入月度考核，并在全体窗口重申首问负责制",
               "已修订该事项一次性告知单并组织窗口人员学习",
               "已调整该窗口午间轮岗安排，避免无人值守"]
# the hour of the day each step of a case is taken, so steps of one day come in their order
CASE_STEP_HOUR = {"assign": 9, "appeal": 10, "call_back": 10, "uphold": 11, "resolve": 15}
APPEAL_REASON = "群众办结后误按了“非常不满意”，离开前已口头说明，请求核实"
APPEAL_DECISION = "经调取评价器记录和窗口录像，确属误评，申诉成立"


class SimulatedClock:
    """The `now` the queue sees while a past day is replayed."""

    def __init__(self):
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at


@dataclass
class HistorySummary:
    first_day: str = ""
    last_day: str = ""
    days: int = 0
    tickets: int = 0
    done: int = 0
    no_show: int = 0
    held: int = 0
    transferred: int = 0
    evaluations: int = 0
    cases: int = 0

    def text(self) -> str:
        return (f"{self.first_day} 至 {self.last_day} 共 {self.days} 个工作日：号票 {self.tickets} 张，"
                f"办结 {self.done}，过号 {self.no_show}，转移 {self.transferred}，评价 {self.evaluations} 条，"
                f"差评工单 {self.cases} 件")


@dataclass
class _Window:
    number: int
    service_ids: list[int]
    staff: Principal
    evaluator: Principal
    speed: float            # this staff member's handling time against the median
    care: float             # how likely a 差评 is at this window, against the hall's
    pause_at: datetime | None = None    # a short pause today (training, a system update)


@dataclass
class _Service:
    id: int
    name: str
    category: str
    days: set[int]
    spans: list[tuple[int, int]]        # opening minutes of the local day
    weight: float
    window_numbers: list[int] = field(default_factory=list)


def past_working_days(db, today: date, count: int) -> list[date]:
    """The `count` working days before `today` (weekends and the hall's holidays skipped), oldest first."""
    first = today - timedelta(days=count * 2 + 30)
    exceptions = {r["day"]: r["kind"] for r in store.list_hall_days(db, first.isoformat(), today.isoformat())}
    days, day = [], today - timedelta(days=1)
    while len(days) < count and day >= first:
        if followup.is_working_day(day, exceptions):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def make_history(db, config: dict, working_days: int = 30, per_day: int = 80, seed: int = 2026,
                 today: date | None = None) -> HistorySummary:
    """Replay `working_days` past working days of about `per_day` tickets each into the hall's
    database. The hall (services with their real hours, windows, staff) must be loaded; a
    database that already holds tickets is left alone."""
    zone = ZoneInfo(config["hall"]["timezone"])
    today = today or clock.local(clock.utc_now(), config["hall"]["timezone"]).date()
    summary = HistorySummary()
    if sum(store.count_tickets_by_status(db).values()):
        return summary
    days = past_working_days(db, today, working_days)
    if not days:
        return summary
    summary.first_day, summary.last_day, summary.days = days[0].isoformat(), days[-1].isoformat(), len(days)
    replay = _Replay(db, config, zone, random.Random(seed), summary)
    planted = {days[int(len(days) * share)] for share in PLANTED_BAD_RATINGS}
    for index, day in enumerate(days):
        with store.immediate(db):  # a past day is written whole: one commit instead of thousands
            replay.run_day(day, per_day, later_days=days[index + 1:], bad_rating_due=day in planted)
    summary.cases = len(store.list_followup_cases(db))
    return summary


class _Replay:
    def __init__(self, db, config, zone, rnd: random.Random, summary: HistorySummary):
        self.db, self.zone, self.rnd, self.summary = db, zone, rnd, summary
        self.clock = SimulatedClock()
        self.queue = Queue(db, config, now=self.clock)
        self.services, self.windows = self._read_hall()
        admins = [s["id"] for s in store.list_staff(db) if s["role"] == "admin"]
        self.admin_id = admins[0] if admins else None
        self.case_actions: dict[date, list[tuple[datetime, str, int]]] = {}
        self.cases_seen = 0

    def _read_hall(self):
        rnd = self.rnd
        services = {}
        for s in store.list_services(self.db):
            if not s["enabled"]:
                continue
            hours = json.loads(s["hours"]) if isinstance(s["hours"], str) else s["hours"]
            services[s["id"]] = _Service(s["id"], s["name"], s["category"], parse_days(s["days"]),
                                         parse_hours(hours), CATEGORY_WEIGHT.get(s["category"], 1.5) * rnd.uniform(0.5, 1.8))
        staff = [s for s in store.list_staff(self.db) if s["role"] == "staff"]
        windows = {}
        service_ids_of = store.window_services_by_window(self.db)
        # one staff member per window, in order; a window without one stays closed
        for person, window in zip(staff, store.list_windows(self.db)):
            number = window["number"]
            windows[number] = _Window(
                number, [i for i in service_ids_of.get(window["id"], []) if i in services],
                Principal("staff", role="staff", staff_id=person["id"], name=person["name"]),
                Principal("evaluator", window_id=window["id"]),
                speed=rnd.uniform(0.8, 1.25), care=rnd.choice([0.5, 0.8, 1.0, 1.0, 1.5, 2.5]))
            for service_id in windows[number].service_ids:
                services[service_id].window_numbers.append(number)
        # a service no staffed window serves would only pile up waiting tickets
        return {i: s for i, s in services.items() if s.window_numbers}, windows

    # --- one day ----------------------------------------------------------------

    def local(self, day: date, hour: int, minute: int, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second), self.zone)

    def run_day(self, day: date, per_day: int, later_days: list[date], bad_rating_due: bool = False):
        rnd = self.rnd
        self.bad_rating_due = bad_rating_due
        self.events: list = []
        self.sequence = itertools.count()
        self.idle: set[int] = set()
        self.later_days = later_days
        for window in self.windows.values():
            self.push(self.local(day, 8, 20) + timedelta(seconds=rnd.randint(0, 14 * 60)), self.open_window, window)
            window.pause_at = (self.local(day, rnd.choice([10, 15]), rnd.randint(0, 50))
                               if rnd.random() < 0.08 else None)
        for at, service in self.arrivals(day, per_day):
            self.push(at, self.arrive, service)
        for at, action, case_id in self.case_actions.pop(day, []):
            self.push(at, self.case_step, action, case_id)
        while self.events:
            at, _, handler, args = heapq.heappop(self.events)
            self.clock.at = at
            handler(*args)
        # everyone leaves once the last citizen is served, not before the hall closes
        last = max(self.clock.at or self.local(day, 17, 30), self.local(day, 17, 30))
        closing = [(last + timedelta(seconds=rnd.randint(60, 600)), w) for w in self.windows.values()]
        for at, window in sorted(closing, key=lambda pair: pair[0]):
            self.clock.at = at
            self.queue.close_window(window.number, window.staff)

    def push(self, at: datetime, handler, *args):
        heapq.heappush(self.events, (at, next(self.sequence), handler, args))

    def arrivals(self, day: date, per_day: int) -> list[tuple[datetime, _Service]]:
        rnd = self.rnd
        makeup_workday = store.hall_day(self.db, day.isoformat()) == "workday"  # every service opens, as on a Monday
        open_today = [s for s in self.services.values() if makeup_workday or day.weekday() in s.days]
        if not open_today:
            return []
        factor = WEEKDAY_FACTOR[0 if makeup_workday else day.weekday()]
        count = round(per_day * factor * rnd.uniform(0.85, 1.15))
        hours, hour_weights = list(HOURLY), list(HOURLY.values())
        found = []
        for service in rnd.choices(open_today, [s.weight for s in open_today], k=count):
            for _ in range(20):  # a time within the service's own hours
                minute = rnd.choices(hours, hour_weights)[0] * 60 + rnd.randint(0, 59)
                if any(start <= minute < end for start, end in service.spans):
                    found.append((self.local(day, minute // 60, minute % 60, rnd.randint(0, 59)), service))
                    break
        return found

    def later(self, seconds_from: float, seconds_to: float) -> datetime:
        return self.clock.at + timedelta(seconds=self.rnd.uniform(seconds_from, seconds_to))

    def wake_a_window_for(self, service_id: int):
        idle = [n for n in self.services[service_id].window_numbers if n in self.idle]
        if idle:
            number = self.rnd.choice(idle)
            self.idle.discard(number)
            self.push(self.later(15, 120), self.call_next, self.windows[number])  # the window notices

    # --- what happens at the windows --------------------------------------------

    def open_window(self, window: _Window):
        self.queue.open_window(window.number, window.staff)
        self.push(self.later(20, 90), self.call_next, window)

    def arrive(self, service: _Service):
        try:
            self.queue.issue_ticket(service.id)
        except (DailyCapReached, ServiceClosed):
            return  # the citizen is told to come back another day
        self.summary.tickets += 1
        self.wake_a_window_for(service.id)

    def call_next(self, window: _Window):
        if window.pause_at and self.clock.at >= window.pause_at:
            window.pause_at = None
            self.queue.pause(window.number, window.staff, self.rnd.choice(["业务培训", "系统升级", "临时会议"]))
            self.push(self.later(8 * 60, 20 * 60), self.resume, window)
            return
        try:
            ticket = self.queue.call_next(window.number, window.staff)
        except QueueEmpty:
            self.idle.add(window.number)
            return
        if self.rnd.random() < NO_SHOW_SHARE:
            self.push(self.later(60, 100), self.recall, window)
        else:
            self.push(self.later(15, 90), self.start, window, ticket)

    def resume(self, window: _Window):
        self.queue.resume(window.number, window.staff)
        self.push(self.later(5, 20), self.call_next, window)

    def recall(self, window: _Window):
        self.queue.recall(window.number, window.staff)
        self.push(self.later(90, 150), self.no_show, window)

    def no_show(self, window: _Window):
        self.queue.no_show(window.number, window.staff)
        self.summary.no_show += 1
        self.push(self.later(5, 20), self.call_next, window)

    def start(self, window: _Window, ticket: dict):
        self.queue.start(window.number, window.staff)
        service = self.services[ticket["service_id"]]
        minutes = HANDLING_MINUTES.get(service.category, 8.0) * window.speed
        handling = max(45.0, self.rnd.lognormvariate(0, 0.45) * minutes * 60)
        self.push(self.later(handling, handling * 1.05), self.end_service, window, ticket)

    def end_service(self, window: _Window, ticket: dict):
        rnd, roll = self.rnd, self.rnd.random()
        others = [s for s in self.services.values() if s.id != ticket["service_id"] and window.number not in s.window_numbers]
        if roll < TRANSFER_SHARE and others and not ticket["transfer_count"]:
            target = rnd.choice(others)
            self.queue.transfer(window.number, window.staff, service_id=target.id)
            self.summary.transferred += 1
            self.wake_a_window_for(target.id)
        elif roll < TRANSFER_SHARE + HOLD_SHARE and ticket["call_count"] == 1:
            self.queue.hold(window.number, window.staff, after=2)
            self.summary.held += 1
            self.wake_a_window_for(ticket["service_id"])
        else:
            category = self.services[ticket["service_id"]].category
            outcome = "咨询解答" if category == "咨询" else rnd.choices(list(OUTCOME_WEIGHTS), OUTCOME_WEIGHTS.values())[0]
            self.queue.finish(window.number, window.staff, outcome)
            self.summary.done += 1
            if rnd.random() < RATED_SHARE:
                self.push(self.later(8, 40), self.rate, window, ticket["id"])
            back_office = rnd.lognormvariate(0, 0.5) * BACK_OFFICE_MINUTES.get(category, 2.0) * 60
            self.push(self.later(back_office, back_office + 20), self.call_next, window)
            return
        self.push(self.later(20, 60), self.call_next, window)

    def rate(self, window: _Window, ticket_id: int):
        rnd = self.rnd
        weights = dict(LEVEL_WEIGHTS)
        for level in (2, 1):
            weights[level] *= window.care
        level = rnd.choices(list(weights), weights.values())[0]
        if self.bad_rating_due:
            level, self.bad_rating_due = 1, False
        comment = None
        if level <= 2:
            comment = rnd.choice(BAD_COMMENTS)
        elif level == 5 and rnd.random() < 0.05:
            comment = rnd.choice(GOOD_COMMENTS)
        evaluation = self.queue.evaluate(ticket_id, level, window.evaluator, comment=comment)
        self.summary.evaluations += 1
        case = store.get_followup_case_by_evaluation(self.db, evaluation["id"])
        if case:  # the domain opened it: a 差评
            self.plan_case(case["id"])

    # --- 差评 follow-up, on the working days after the rating ------------------

    def plan_case(self, case_id: int):
        """A new case gets its call back and resolution on later working days. One case is
        appealed (a mistaken rating) and one is forgotten, so the demo shows an overdue case."""
        self.cases_seen += 1
        if self.cases_seen == 1:
            steps = [(1, "assign")]                          # assigned, never called back: overdue
        elif self.cases_seen == 2:
            steps = [(1, "appeal"), (3, "uphold"), (3, "resolve")]
        else:
            steps = [(1, "assign"), (self.rnd.choice([1, 2]), "call_back"), (self.rnd.randint(3, 6), "resolve")]
        if not self.later_days:  # filed on the last replayed day: handled that afternoon
            for minutes, (_, action) in enumerate(steps, start=1):
                self.push(self.clock.at + timedelta(minutes=20 * minutes), self.case_step, action, case_id)
            return
        for offset, action in steps:
            # a case filed near the end of the history is handled sooner, never left half done
            day = self.later_days[min(offset, len(self.later_days)) - 1]
            at = self.local(day, CASE_STEP_HOUR[action], self.rnd.randint(0, 59))
            self.case_actions.setdefault(day, []).append((at, action, case_id))

    def case_step(self, action: str, case_id: int):
        rnd, now, admin = self.rnd, self.clock.at, self.admin_id
        if admin is None:
            return
        case = store.get_followup_case(self.db, case_id)
        if action == "assign":
            followup.assign(self.db, case_id, admin, admin, now=now)
        elif action == "call_back":
            followup.record_callback(self.db, case_id, rnd.choice(CALLBACK_NOTES), admin, now=now)
        elif action == "appeal":
            followup.appeal(self.db, case_id, APPEAL_REASON, case["staff_id"], now=now)
        elif action == "uphold":
            followup.decide_appeal(self.db, case_id, "upheld", APPEAL_DECISION, admin, now=now)
        elif action == "resolve":
            note = "申诉成立，不计入窗口考核" if case["appeal_outcome"] == "upheld" else rnd.choice(RESOLUTIONS)
            followup.resolve(self.db, case_id, note, admin, now=now)
