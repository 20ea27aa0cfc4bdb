"""A 差评 case in daily work: every call back is kept (a second one does not overwrite the first),
the rated staff member is never the case's assignee, and the audit log narrows to one person, one
window and a span of days."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from queue_server import followup, store
from queue_server.errors import BadRequest

from .test_followup import ADMIN, finish_and_rate

pytestmark = pytest.mark.calendar


def _case(hall_db, hall_config):
    finish_and_rate(hall_db, hall_config, datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc), 2, comment="等候太久")
    return store.list_followup_cases(hall_db)[0]


def test_every_callback_is_kept_and_shown(hall_db, hall_config, admin_browser):
    case = _case(hall_db, hall_config)
    followup.record_callback(hall_db, case["id"], "电话未接通", ADMIN)
    followup.record_callback(hall_db, case["id"], "已联系群众，说明情况并致歉", ADMIN)
    assert [c["note"] for c in followup.callbacks(hall_db, case["id"])] == ["电话未接通", "已联系群众，说明情况并致歉"]
    assert store.get_followup_case(hall_db, case["id"])["callback_note"] == "已联系群众，说明情况并致歉"
    page = admin_browser.get(f"/admin/followup/{case['id']}").text
    assert page.index("电话未接通") < page.index("已联系群众，说明情况并致歉")
    assert "再次回访" in page
    # the form for the next call back starts empty
    assert 'placeholder="回访时间、方式、群众反映的情况（每次回访单独记录，之前的记录保留）"></textarea>' in page
    followup.resolve(hall_db, case["id"], "已对窗口人员进行提醒", ADMIN)
    assert len(followup.callbacks(hall_db, case["id"])) == 2


def test_the_rated_staff_member_cannot_take_their_own_case(hall_db, hall_config, admin_browser):
    case = _case(hall_db, hall_config)
    rated = case["staff_id"]
    with pytest.raises(BadRequest, match="不能承办本人"):
        followup.assign(hall_db, case["id"], rated, ADMIN)
    page = admin_browser.get(f"/admin/followup/{case['id']}").text
    assignee_select = page[page.index('name="assignee_id"'):]
    assignee_select = assignee_select[:assignee_select.index("</select>")]
    assert f'value="{rated}"' not in assignee_select
    refused = admin_browser.post(f"/admin/followup/{case['id']}/assign", {"assignee_id": str(rated)},
                                 headers={"Referer": admin_browser.base + f"/admin/followup/{case['id']}"})
    assert refused.status_code == 302
    assert "不能承办本人" in admin_browser.get(f"/admin/followup/{case['id']}").text
    assert store.get_followup_case(hall_db, case["id"])["assignee_id"] is None
    followup.assign(hall_db, case["id"], ADMIN, ADMIN)
    assert store.get_followup_case(hall_db, case["id"])["assignee_id"] == ADMIN


def test_the_audit_log_narrows_to_a_person_a_window_and_days(hall_db, hall_config, admin_browser):
    finish_and_rate(hall_db, hall_config, datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc), 5, window=1, staff_id=1)
    finish_and_rate(hall_db, hall_config, datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc), 5, window=2, staff_id=2)
    zhao = store.get_staff(hall_db, 2)["name"]

    def rows(**query):
        text = admin_browser.get("/admin/events", params=query).text
        body = text[text.index("<tbody>"):text.index("</tbody>")]
        return [line for line in body.split("<tr>")[1:] if "暂无记录" not in line]

    everything = rows()
    by_person = rows(staff=2)
    assert by_person and all(zhao in line for line in by_person) and len(by_person) < len(everything)
    by_window = rows(window=2)
    assert by_window and all("2号窗口" in line for line in by_window if "号窗口" in line)
    ninth = rows(**{"from": "2026-03-09", "to": "2026-03-09"})  # a local day, in the hall's time
    assert ninth and all("2026-03-09" in line for line in ninth)
    assert len(ninth) == sum("2026-03-09" in line for line in everything)
    assert rows(**{"from": "2026-03-05", "to": "2026-03-08"}) == []
    assert rows(window=2, **{"from": "2026-03-04", "to": "2026-03-04"}) == []
    assert "日期格式" in admin_browser.get("/admin/events", params={"from": "昨天"}).text
