"""The hall's figures for any range of local days, computed from the live tables every time.

- Tickets are counted by the local day they were issued, under the service, window and staff
  member they ended with (a transferred ticket counts once, where it was finished).
- 办理 (handled) = finished tickets (`done`); tickets of 咨询 services are the consultations.
- Waiting time = issue → first call (every called ticket, no-shows included);
  handling time = the call that was answered → finish (finished tickets).
- Times are measured in whole seconds (rounded); mean, median and p90 are exact on those
  (p90 interpolates between nearest ranks, like `statistics.quantiles(method="inclusive")`).
  Waiting times are a property of a service's line: they are given per service, category,
  department and hall; handling times also per window and staff member.
- Satisfaction counts the evaluations *given* in the range (by the hall's local day); the
  satisfaction rate is (非常满意 + 满意 + 基本满意) ÷ all rated."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from . import store
from .appointments import appointment_figures
from .errors import BadRequest
from .queue import EVALUATION_LEVELS

CATEGORIES = store.CATEGORIES
SATISFIED_LEVELS = (5, 4, 3)
WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


# The days statistics can be asked about: the hall's records start this century, and outside
# these bounds the local-day → UTC conversion would leave the calendar (year 1 or 9999).
FIRST_REPORTABLE_DAY = date(2000, 1, 1)
LAST_REPORTABLE_DAY = date(2099, 12, 31)


def _reportable_day(text: str) -> date:
    try:
        day = date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadRequest("日期格式须为 YYYY-MM-DD") from None
    if not FIRST_REPORTABLE_DAY <= day <= LAST_REPORTABLE_DAY:
        raise BadRequest(f"日期须在 {FIRST_REPORTABLE_DAY.isoformat()} 至 {LAST_REPORTABLE_DAY.isoformat()} 之间"
                         f"（收到 {day.isoformat()}）")
    return day


@dataclass(frozen=True)
class Period:
    """A range of local days, inclusive; every way of making one checks it (BadRequest)."""

    first_day: str
    last_day: str

    def __post_init__(self):
        first, last = _reportable_day(self.first_day), _reportable_day(self.last_day)
        if first > last:
            raise BadRequest("结束日期不能早于起始日期")
        # keep the canonical YYYY-MM-DD spelling (fromisoformat also takes 20260301)
        object.__setattr__(self, "first_day", first.isoformat())
        object.__setattr__(self, "last_day", last.isoformat())

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: str | None = None) -> "Period":
        """From / to as typed (blank to: today; blank from: the first of to's month)."""
        if not (last or today):
            raise BadRequest("请给出截止日期 (a last day is required)")
        last_day = _reportable_day(last or today)
        return cls(first or last_day.replace(day=1).isoformat(), last_day.isoformat())

    @classmethod
    def month(cls, month: str) -> "Period":
        try:
            first = datetime.strptime(str(month).strip(), "%Y-%m").date()
        except ValueError:
            raise BadRequest("月份格式须为 YYYY-MM")
        first = _reportable_day(first.isoformat())
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return cls(first.isoformat(), (following - timedelta(days=1)).isoformat())

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.last_day) - date.fromisoformat(self.first_day)).days + 1

    def utc_bounds(self, zone: str) -> tuple[str, str]:
        """[start, end) in UTC ISO of the local days, for timestamps such as evaluation.at."""
        tz = ZoneInfo(zone)
        start = datetime.combine(date.fromisoformat(self.first_day), time(0), tz)
        end = datetime.combine(date.fromisoformat(self.last_day) + timedelta(days=1), time(0), tz)
        return start.astimezone(timezone.utc).isoformat(), end.astimezone(timezone.utc).isoformat()


# --- distributions --------------------------------------------------------------

def quantile(histogram: dict[int, int], q: float) -> float | None:
    """The q-quantile of values given as {value: count}, interpolating between nearest ranks."""
    total = sum(histogram.values())
    if total == 0:
        return None
    position = (total - 1) * q
    rank, fraction = int(position), position - int(position)
    lower = _value_at(histogram, rank)
    if fraction == 0:
        return float(lower)
    return lower + (_value_at(histogram, rank + 1) - lower) * fraction


def _value_at(histogram: dict[int, int], rank: int) -> int:
    """The value at 0-based `rank` of the sorted values."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen > rank:
            return value
    raise IndexError(rank)


def time_summary(histogram: dict[int, int]) -> dict:
    """Count, mean, median and p90 in seconds of {seconds: tickets} (None when nothing was measured)."""
    count = sum(histogram.values())
    return {"count": count,
            "mean": round(sum(value * n for value, n in histogram.items()) / count, 1) if count else None,
            "median": quantile(histogram, 0.5), "p90": quantile(histogram, 0.9)}


def satisfaction(levels: dict[int, int]) -> dict:
    rated = sum(levels.values())
    satisfied = sum(levels.get(level, 0) for level in SATISFIED_LEVELS)
    return {"levels": {EVALUATION_LEVELS[level]: levels.get(level, 0) for level in sorted(EVALUATION_LEVELS, reverse=True)},
            "rated": rated, "satisfied": satisfied, "bad": rated - satisfied,
            "rate": satisfied / rated if rated else None}


# --- the figures ----------------------------------------------------------------

class _Group:
    """Running counts of one row of a table (a category, a window, ...)."""

    def __init__(self, **identity):
        self.identity = identity
        self.status = Counter()
        self.transferred = 0
        self.wait_histogram: dict[int, int] = {}
        self.handle_histogram: dict[int, int] = {}
        self.levels: Counter = Counter()

    def add(self, fact: dict):
        self.status[fact["status"]] += fact["count"]
        self.transferred += fact["transferred"]

    def merge_histograms(self, wait: dict[int, int], handle: dict[int, int]):
        for target, source in ((self.wait_histogram, wait), (self.handle_histogram, handle)):
            for value, count in source.items():
                target[value] = target.get(value, 0) + count

    def result(self) -> dict:
        done = self.status["done"]
        return self.identity | {
            "issued": sum(self.status.values()), "done": done, "no_show": self.status["no_show"],
            "cancelled": self.status["cancelled"],
            "pending": self.status["waiting"] + self.status["called"] + self.status["serving"],
            "transferred": self.transferred,
            "wait": time_summary(self.wait_histogram),
            "handle": time_summary(self.handle_histogram),
            "satisfaction": satisfaction(self.levels),
        }


def _histograms(db, period, measure, dimension) -> dict[int | None, dict[int, int]]:
    found: dict[int | None, dict[int, int]] = defaultdict(dict)
    for group, second, count in store.time_histogram(db, period.first_day, period.last_day, measure, dimension):
        found[group][second] = count
    return found


def hall_statistics(db, config: dict, period: Period, detail: bool = True) -> dict:
    """Every figure of the period. `detail=False` (the yearly report) leaves out the handling times
    per window and staff member, the satisfaction per service and the arrival heat map."""
    zone = config["hall"]["timezone"]
    services = {s["id"]: s for s in store.list_services(db)}
    windows = {w["id"]: w for w in store.list_windows(db)}
    staff = {s["id"]: s for s in store.list_staff(db)}

    total = _Group()
    by_category = {name: _Group(category=name) for name in CATEGORIES}
    by_department: dict[str, _Group] = {}
    by_service: dict[int, _Group] = {}
    by_window: dict[int | None, _Group] = {}
    by_staff: dict[int | None, _Group] = {}

    def service_group(service_id):
        if service_id not in by_service:
            service = services.get(service_id) or {"name": f"#{service_id}", "department": "", "category": "公共服务",
                                                    "prefix": ""}
            by_service[service_id] = _Group(service_id=service_id, service=service["name"], prefix=service["prefix"],
                                            department=service["department"], category=service["category"])
            by_department.setdefault(service["department"], _Group(department=service["department"]))
        return by_service[service_id]

    def window_group(window_id):
        if window_id not in by_window:
            window = windows.get(window_id)
            by_window[window_id] = _Group(window_id=window_id, window=window["number"] if window else None,
                                          window_name=window["name"] if window else "未分配窗口")
        return by_window[window_id]

    def staff_group(staff_id):
        if staff_id not in by_staff:
            person = staff.get(staff_id)
            by_staff[staff_id] = _Group(staff_id=staff_id, staff=person["name"] if person else "未分配",
                                        employee_no=person["employee_no"] if person else None)
        return by_staff[staff_id]

    for fact in store.ticket_facts(db, period.first_day, period.last_day):
        service = service_group(fact["service_id"])
        for group in (total, service, by_category[service.identity["category"]],
                      by_department[service.identity["department"]]):
            group.add(fact)
        if fact["window_id"] or fact["status"] in ("done", "no_show"):
            window_group(fact["window_id"]).add(fact)
        if fact["staff_id"] or fact["status"] in ("done", "no_show"):
            staff_group(fact["staff_id"]).add(fact)

    # medians and p90: histograms per service roll up to categories, departments and the hall
    waits = _histograms(db, period, "wait", "service_id")
    handles = _histograms(db, period, "handle", "service_id")
    for service_id, group in by_service.items():
        wait, handle = waits.get(service_id, {}), handles.get(service_id, {})
        for target in (group, total, by_category[group.identity["category"]], by_department[group.identity["department"]]):
            target.merge_histograms(wait, handle)
    if detail:
        for dimension, groups in (("window_id", by_window), ("staff_id", by_staff)):
            handles = _histograms(db, period, "handle", dimension)
            for key, group in groups.items():
                group.merge_histograms({}, handles.get(key, {}))

    start, end = period.utc_bounds(zone)
    for counted in store.evaluation_counts(db, start, end):
        total.levels[counted["level"]] += counted["count"]
        window_group(counted["window_id"]).levels[counted["level"]] += counted["count"]
        staff_group(counted["staff_id"]).levels[counted["level"]] += counted["count"]
    if detail:
        for service_id, level, count in store.evaluations_by_service(db, start, end):
            group = service_group(service_id)
            for target in (group, by_category[group.identity["category"]], by_department[group.identity["department"]]):
                target.levels[level] += count

    summary = total.result()
    result = {
        "hall": config["hall"]["name"],
        "period": {"from": period.first_day, "to": period.last_day, "days": period.days},
        "totals": summary | {
            "handled": sum(g.status["done"] for name, g in by_category.items() if name != "咨询"),
            "consultations": by_category["咨询"].status["done"],
        },
        "satisfaction": summary["satisfaction"],
        "by_category": [by_category[name].result() for name in CATEGORIES],
        "by_department": _ordered(by_department.values(), [s["department"] for s in services.values()], "department"),
        "by_service": sorted((g.result() for g in by_service.values()), key=lambda r: (-r["issued"], r["service"])),
        "by_window": sorted((g.result() for g in by_window.values()),
                            key=lambda r: (r["window"] is None, r["window"] or 0)),
        "by_staff": sorted((g.result() for g in by_staff.values()), key=lambda r: (r["staff_id"] is None, -r["done"])),
    }
    result["appointments"] = appointment_figures(db, period.first_day, period.last_day)
    if detail:
        result |= arrivals(db, period, zone)
    return result


def _ordered(groups, order: list[str], key: str) -> list[dict]:
    rank = {name: index for index, name in reversed(list(enumerate(order)))}
    return sorted((g.result() for g in groups), key=lambda r: rank.get(r[key], len(rank)))


def arrivals(db, period: Period, zone: str) -> dict:
    """Arrivals as a weekday × hour heat map (local time) and per day."""
    tz = ZoneInfo(zone)
    heatmap = [[0] * 24 for _ in range(7)]
    daily: Counter = Counter()
    for hour, count in store.arrivals_by_utc_hour(db, period.first_day, period.last_day):
        moment = datetime.fromtimestamp(hour * 3600, tz)
        heatmap[moment.weekday()][moment.hour] += count
        daily[moment.date().isoformat()] += count
    return {"heatmap": heatmap, "daily": sorted(daily.items())}


# --- 红旗窗口 / 服务标兵 -------------------------------------------------------------

def ranking(db, config: dict, month: str, min_rated: int = 1) -> dict:
    """The month's windows and staff, best first: satisfaction rate (at least `min_rated`
    ratings), then volume, then the shorter mean handling time; with their 差评 cases."""
    period = Period.month(month)
    figures = hall_statistics(db, config, period)
    cases = store.followup_cases_by_window(db, period.first_day, period.last_day)

    def order(row):
        rate = row["satisfaction"]["rate"]
        qualified = rate is not None and row["satisfaction"]["rated"] >= min_rated
        return (not qualified, -(rate or 0), -row["done"], row["handle"]["mean"] or 0)

    windows = sorted((r | {"cases": cases.get(r["window_id"], 0)} for r in figures["by_window"] if r["window_id"]),
                     key=order)
    people = sorted((r for r in figures["by_staff"] if r["staff_id"]), key=order)
    for rank, row in enumerate(windows, 1):
        row["rank"] = rank
    for rank, row in enumerate(people, 1):
        row["rank"] = rank
    return {"month": month, "period": figures["period"], "windows": windows, "staff": people,
            "red_flag_window": windows[0] if windows and windows[0]["done"] else None,
            "model_staff": people[0] if people and people[0]["done"] else None}
