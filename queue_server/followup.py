"""差评 follow-up (好差评 整改): every 不满意 or 非常不满意 opens a case that must be called back
and resolved within a number of working days; the staff member may appeal (申诉).

Working days are the hall's: Monday to Friday, minus its holidays, plus its make-up workdays
(the `hall_day` table). Every change to a case appends an event, which is the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

from . import clock, store
from .errors import BadRequest, NotFound, WrongState

BAD_LEVELS = (1, 2)  # 非常不满意, 不满意
DEFAULT_DEADLINE_WORKING_DAYS = 15
CASE_STATUS_NAMES = {"open": "待回访", "called_back": "已回访", "resolved": "已办结"}
APPEAL_OUTCOME_NAMES = {"upheld": "申诉成立", "rejected": "申诉驳回"}


# --- working days ---------------------------------------------------------------

def is_working_day(day: date, exceptions: dict[str, str]) -> bool:
    """`exceptions`: local day → 'holiday' | 'workday' (from hall_day)."""
    kind = exceptions.get(day.isoformat())
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def add_working_days(db, start_day: str, working_days: int) -> str:
    """The local day that is `working_days` working days after `start_day` (which itself is not
    counted: a case opened on a Friday with 1 working day is due on Monday)."""
    if working_days < 0:
        raise BadRequest("工作日数不能为负")
    day = date.fromisoformat(start_day)
    # a generous window of calendar exceptions: holidays never stretch 15 working days past 3×
    last = day + timedelta(days=working_days * 3 + 60)
    exceptions = {r["day"]: r["kind"] for r in store.list_hall_days(db, start_day, last.isoformat())}
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if day > last:  # more holidays than the window: widen it
            last = day + timedelta(days=60)
            exceptions |= {r["day"]: r["kind"] for r in store.list_hall_days(db, day.isoformat(), last.isoformat())}
        if is_working_day(day, exceptions):
            counted += 1
    return day.isoformat()


def deadline_working_days(config: dict) -> int:
    return int(config.get("followup", {}).get("deadline_working_days", DEFAULT_DEADLINE_WORKING_DAYS))


# --- cases ----------------------------------------------------------------------

def open_case_for_evaluation(db, evaluation_id: int, config: dict, now) -> int | None:
    """Called inside the evaluation's own transaction: a 差评 opens its case at once, so no bad
    rating can exist without one. Returns the case id, or None for a good rating."""
    evaluation = store.get_evaluation(db, evaluation_id)
    if evaluation is None or evaluation["level"] not in BAD_LEVELS:
        return None
    existing = store.get_followup_case_by_evaluation(db, evaluation_id)
    if existing:
        return existing["id"]
    opened_day = clock.local_day(now, config["hall"]["timezone"])
    case_id = store.insert_followup_case(db, {
        "evaluation_id": evaluation_id, "ticket_id": evaluation["ticket_id"], "window_id": evaluation["window_id"],
        "staff_id": evaluation["staff_id"], "level": evaluation["level"], "comment": evaluation["comment"],
        "opened_at": clock.to_iso(now), "opened_day": opened_day,
        "deadline": add_working_days(db, opened_day, deadline_working_days(config)), "status": "open",
    })
    _event(db, now, "followup_opened", case_id)
    return case_id


def _event(db, now, type_, case_id, actor_id=None, **extra):
    case = store.get_followup_case(db, case_id)
    store.append_event(db, clock.to_iso(now), type_,
                       {"case_id": case_id, "ticket": case["ticket_number"], "window": case["window"],
                        "level": case["level"], "status": case["status"], "deadline": case["deadline"]} | extra,
                       ticket_id=case["ticket_id"], window_id=case["window_id"], staff_id=actor_id)


def _case(db, case_id) -> dict:
    case = store.get_followup_case(db, case_id)
    if not case:
        raise NotFound(f"没有编号为 {case_id} 的差评工单")
    return case


def _text(value, what, limit=1000) -> str:
    text = (value or "").strip()
    if not text:
        raise BadRequest(f"请填写{what}")
    return text[:limit]


def assign(db, case_id: int, assignee_id: int, actor_id: int, now=None) -> dict:
    now = now or clock.utc_now()
    with store.immediate(db):
        case = _case(db, case_id)
        if not store.get_staff(db, assignee_id):
            raise NotFound(f"没有编号为 {assignee_id} 的人员")
        if case["staff_id"] is not None and assignee_id == case["staff_id"]:
            raise BadRequest("被评价的工作人员不能承办本人的差评工单，请指派其他人员")
        store.update_followup_case(db, case_id, assignee_id=assignee_id)
        _event(db, now, "followup_assigned", case_id, actor_id, assignee_id=assignee_id)
    return store.get_followup_case(db, case_id)


def record_callback(db, case_id: int, note: str, actor_id: int, now=None) -> dict:
    """A call back to the citizen (回访) and what they said. A case may need several; each is kept
    in the case's history (its event), the case itself shows the latest."""
    now = now or clock.utc_now()
    note = _text(note, "回访记录")
    with store.immediate(db):
        case = _case(db, case_id)
        if case["status"] == "resolved":
            raise WrongState("工单已办结")
        store.update_followup_case(db, case_id, status="called_back", callback_at=clock.to_iso(now),
                                   callback_note=note)
        _event(db, now, "followup_called_back", case_id, actor_id, note=note)
    return store.get_followup_case(db, case_id)


def resolve(db, case_id: int, resolution: str, actor_id: int, now=None) -> dict:
    """整改结果; a case is resolved only after the call back."""
    now = now or clock.utc_now()
    resolution = _text(resolution, "整改及处理结果")
    with store.immediate(db):
        case = _case(db, case_id)
        if case["status"] == "resolved":
            raise WrongState("工单已办结")
        if case["status"] != "called_back" and case["appeal_outcome"] != "upheld":
            raise WrongState("请先记录回访情况再办结")
        store.update_followup_case(db, case_id, status="resolved", resolution=resolution,
                                   resolved_at=clock.to_iso(now))
        _event(db, now, "followup_resolved", case_id, actor_id)
    return store.get_followup_case(db, case_id)


def appeal(db, case_id: int, reason: str, actor_id: int, now=None) -> dict:
    """The rated staff member's 申诉 (e.g. a rating given by mistake or in bad faith)."""
    now = now or clock.utc_now()
    reason = _text(reason, "申诉理由")
    with store.immediate(db):
        case = _case(db, case_id)
        if case["appeal_at"]:
            raise WrongState("该工单已提出过申诉")
        store.update_followup_case(db, case_id, appeal_reason=reason, appeal_at=clock.to_iso(now))
        _event(db, now, "followup_appealed", case_id, actor_id)
    return store.get_followup_case(db, case_id)


def decide_appeal(db, case_id: int, outcome: str, note: str, actor_id: int, now=None) -> dict:
    now = now or clock.utc_now()
    if outcome not in APPEAL_OUTCOME_NAMES:
        raise BadRequest("申诉结果须为 upheld（成立）或 rejected（驳回）")
    note = _text(note, "申诉处理意见")
    with store.immediate(db):
        case = _case(db, case_id)
        if not case["appeal_at"]:
            raise WrongState("该工单没有申诉")
        if case["appeal_outcome"]:
            raise WrongState("申诉已有结果")
        store.update_followup_case(db, case_id, appeal_outcome=outcome, appeal_note=note,
                                   appeal_decided_at=clock.to_iso(now))
        _event(db, now, "followup_appeal_decided", case_id, actor_id, outcome=outcome)
    return store.get_followup_case(db, case_id)


def history(db, case_id: int) -> list[dict]:
    """Everything done on a case, oldest first (assignments, each call back with its note, appeal …)."""
    return store.followup_events(db, case_id)


def callbacks(db, case_id: int) -> list[dict]:
    """Every call back of a case, oldest first: when, by whom, what was said."""
    return [{"at": e["at"], "staff_name": e.get("staff_name"), "note": e["data"].get("note")}
            for e in history(db, case_id) if e["type"] == "followup_called_back"]


def cases(db, today: str, status: str | None = None, first_day=None, last_day=None) -> list[dict]:
    """Cases with their display fields: overdue (past the deadline, not resolved), days left."""
    found = store.list_followup_cases(db, status=status, first_day=first_day, last_day=last_day)
    for case in found:
        annotate(case, today)
    return found


def annotate(case: dict, today: str) -> dict:
    case["overdue"] = case["status"] != "resolved" and case["deadline"] < today
    case["status_name"] = CASE_STATUS_NAMES[case["status"]]
    case["appeal_outcome_name"] = APPEAL_OUTCOME_NAMES.get(case["appeal_outcome"] or "", "")
    case["days_left"] = (date.fromisoformat(case["deadline"]) - date.fromisoformat(today)).days
    return case
