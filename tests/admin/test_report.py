"""Tickets issued, called, transferred and finished through the HTTP API, across every category,
with evaluations: the report, the statistics and the exports give back exactly what was done."""

from __future__ import annotations

import io
import statistics
from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import pytest
import requests
from click.testing import CliRunner

from queue_server import stats, store
from queue_server.ops import report
from queue_server.ops.cli import cli

from helpers import bearer

DAY = "2026-03-02"
SERVICES = {"licence": "个体工商户设立登记", "non_licence": "最低生活保障申请", "public": "法律援助申请",
            "consult": "企业开办咨询"}


def at(hms: str) -> datetime:
    """A moment of the test day given in Beijing time."""
    hour, minute, second = map(int, hms.split(":"))
    return datetime(2026, 3, 2, hour - 8, minute, second, tzinfo=timezone.utc)


class Hall:
    """Drives the hall through the API at chosen moments and writes down what was done."""

    def __init__(self, server, tokens, hall_clock):
        self.url, self.tokens, self.clock = server.url + "/api/v1", tokens, hall_clock
        db = store.connect(server.config["server"]["database"])
        self.service_ids = {key: store.get_service_by_name(db, name)["id"] for key, name in SERVICES.items()}
        self.categories = {self.service_ids[key]: store.get_service_by_name(db, name)["category"]
                           for key, name in SERVICES.items()}
        db.conn.close()
        self.done: dict[str, dict] = {}  # number → what happened to it

    def _at(self, hms):
        assert at(hms) >= self.clock.now, "steps go forward in time"
        self.clock.now = at(hms)

    def issue(self, hms, key) -> str:
        self._at(hms)
        response = requests.post(self.url + "/tickets", json={"service_id": self.service_ids[key]},
                                 headers=bearer(self.tokens["kiosk"]))
        assert response.status_code == 201, response.text
        ticket = response.json()
        self.done[ticket["number"]] = {"id": ticket["id"], "token": ticket["token"], "issued": at(hms),
                                       "service_id": self.service_ids[key], "status": "waiting"}
        return ticket["number"]

    def window(self, hms, number, action, staff, **body):
        self._at(hms)
        response = requests.post(f"{self.url}/windows/{number}/{action}", json=body,
                                 headers=bearer(self.tokens[staff]))
        assert response.status_code == 200, response.text
        ticket = response.json()
        if action == "open":
            return None
        record = self.done[ticket["number"]]
        if action == "call-next":
            record.setdefault("first_call", at(hms))
            record["last_call"], record["status"], record["window"] = at(hms), "called", number
        elif action == "finish":
            record["finish"], record["status"] = at(hms), "done"
        elif action == "no-show":
            record["status"] = "no_show"
        elif action == "transfer":
            record["status"], record["transferred"] = "waiting", True
            record["service_id"] = body.get("service_id", record["service_id"])
        return ticket["number"]

    def cancel(self, hms, number):
        self._at(hms)
        assert requests.post(f"{self.url}/tickets/{self.done[number]['token']}/cancel").status_code == 200
        self.done[number]["status"] = "cancelled"

    def evaluate(self, hms, number, level, staff, comment=None):
        self._at(hms)
        # the citizen rates on the phone, with the ticket's token (staff never rate)
        response = requests.post(self.url + f"/tickets/{self.done[number]['token']}/evaluation",
                                 json={"level": level, "comment": comment})
        assert response.status_code == 201, response.text
        self.done[number]["level"] = level


@pytest.fixture
def worked_day(live_server, tokens, hall_clock):
    """One morning at windows 1 (王丽) and 4 (赵建国): every category, a transfer, a no-show,
    a cancellation and five evaluations, two of them 差评."""
    hall = Hall(live_server, tokens, hall_clock)
    hall.window("08:59:00", 1, "open", "staff1")
    hall.window("08:59:30", 4, "open", "staff2")
    t1 = hall.issue("09:00:00", "non_licence")
    t2 = hall.issue("09:01:10", "public")
    t3 = hall.issue("09:02:00", "licence")
    t4 = hall.issue("09:02:30", "consult")
    t5 = hall.issue("09:03:00", "licence")
    t6 = hall.issue("09:04:00", "consult")
    t7 = hall.issue("09:05:00", "non_licence")
    t8 = hall.issue("09:05:30", "public")
    assert hall.window("09:06:00", 1, "call-next", "staff1") == t1
    assert hall.window("09:07:00", 4, "call-next", "staff2") == t3
    hall.window("09:07:40", 1, "start", "staff1")
    hall.window("09:16:30", 1, "finish", "staff1", outcome="办结")
    assert hall.window("09:17:00", 1, "call-next", "staff1") == t2
    hall.window("09:19:00", 4, "finish", "staff2", outcome="受理")
    assert hall.window("09:19:20", 4, "call-next", "staff2") == t4
    hall.window("09:22:20", 4, "finish", "staff2", outcome="咨询解答")
    assert hall.window("09:23:00", 4, "call-next", "staff2") == t5
    # the licence application belongs at window 1 as 法律援助: moved, number and issue time kept
    hall.window("09:24:00", 4, "transfer", "staff2", to_window=1, service_id=hall.service_ids["public"])
    hall.window("09:25:00", 1, "finish", "staff1")
    assert hall.window("09:26:00", 1, "call-next", "staff1") == t5
    hall.window("09:30:00", 1, "finish", "staff1")
    hall.cancel("09:30:30", t8)
    assert hall.window("09:31:00", 1, "call-next", "staff1") == t7
    assert hall.window("09:31:30", 4, "call-next", "staff2") == t6
    hall.window("09:33:00", 1, "no-show", "staff1")
    hall.window("09:35:30", 4, "finish", "staff2")
    hall.evaluate("09:36:00", t1, 5, "staff1")
    hall.evaluate("09:36:10", t2, 3, "staff1")
    hall.evaluate("09:36:20", t3, 2, "staff2", "等了很久才叫到号")
    hall.evaluate("09:36:30", t4, 4, "staff2")
    hall.evaluate("09:36:40", t5, 1, "staff1", "转来转去，没有一次说清楚")
    return hall


def expected(hall: Hall) -> dict:
    """The figures, computed straight from what the test did."""
    records = list(hall.done.values())
    done = [r for r in records if r["status"] == "done"]
    waits = [(r["first_call"] - r["issued"]).total_seconds() for r in records if "first_call" in r]
    handles = [(r["finish"] - r["last_call"]).total_seconds() for r in done]
    by_category = {name: sum(1 for r in done if hall.categories[r["service_id"]] == name) for name in store.CATEGORIES}
    levels = [r["level"] for r in records if "level" in r]
    return {"by_category": by_category, "waits": waits, "handles": handles, "levels": levels,
            "issued": len(records), "no_show": sum(r["status"] == "no_show" for r in records),
            "cancelled": sum(r["status"] == "cancelled" for r in records),
            "transferred": sum(bool(r.get("transferred")) for r in records),
            "rate": sum(level >= 3 for level in levels) / len(levels)}


def same(value):
    """A cell as CSV and XLSX both can say it: numbers as numbers (XLSX keeps 60.0 as 60)."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def sheet(book, title):
    return [[same(value) for value in row] for row in book[title].iter_rows(values_only=True)]


def p90(values):
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def test_statistics_equal_what_was_done(worked_day, hall_config):
    want = expected(worked_day)
    db = store.connect(hall_config["server"]["database"])
    figures = stats.hall_statistics(db, hall_config, stats.Period(DAY, DAY))
    totals = figures["totals"]
    assert {row["category"]: row["done"] for row in figures["by_category"]} == want["by_category"]
    assert want["by_category"] == {"行政许可": 1, "非行政许可": 1, "公共服务": 2, "咨询": 2}
    assert (totals["issued"], totals["no_show"], totals["cancelled"], totals["transferred"]) == \
        (want["issued"], want["no_show"], want["cancelled"], want["transferred"])
    assert totals["handled"] == 4 and totals["consultations"] == 2
    assert totals["wait"]["count"] == len(want["waits"]) == 7
    assert totals["wait"]["mean"] == round(statistics.mean(want["waits"]), 1)
    assert totals["wait"]["median"] == statistics.median(want["waits"])
    assert totals["wait"]["p90"] == pytest.approx(p90(want["waits"]))
    assert totals["handle"]["mean"] == round(statistics.mean(want["handles"]), 1)
    assert totals["handle"]["median"] == statistics.median(want["handles"])
    assert totals["handle"]["p90"] == pytest.approx(p90(want["handles"]))
    satisfaction = figures["satisfaction"]
    assert satisfaction["rated"] == 5 and satisfaction["satisfied"] == 3
    assert satisfaction["rate"] == want["rate"] == 0.6
    assert list(satisfaction["levels"].values()) == [want["levels"].count(level) for level in (5, 4, 3, 2, 1)]
    # per window: what each window finished and how long it took
    windows = {row["window"]: row for row in figures["by_window"]}
    for number in (1, 4):
        handles = [(r["finish"] - r["last_call"]).total_seconds() for r in worked_day.done.values()
                   if r["status"] == "done" and r.get("window") == number]
        assert windows[number]["done"] == len(handles) == 3
        assert windows[number]["handle"]["median"] == statistics.median(handles)
    # the transferred ticket counts once, under the service it was finished in
    assert {row["service"]: row["done"] for row in figures["by_service"]}["法律援助申请"] == 2
    # the heat map holds every arrival in Monday 9 o'clock
    assert figures["heatmap"][0][9] == want["issued"] and sum(map(sum, figures["heatmap"])) == want["issued"]
    # every 差评 opened its case, due 15 working days later
    cases = store.list_followup_cases(db)
    assert sorted(c["level"] for c in cases) == [1, 2]
    assert {c["deadline"] for c in cases} == {"2026-03-23"}
    db.conn.close()


def _run_report(hall_config, *args) -> bytes:
    config_path = Path(hall_config["_base_dir"]) / "govhall.toml"
    result = CliRunner().invoke(cli, ["--config", str(config_path), "report", "--from", DAY, "--to", DAY, *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_report_text_writes_the_hall_summary(worked_day, hall_config):
    want = expected(worked_day)
    text = _run_report(hall_config).decode("utf-8")
    assert ("2026年3月2日，和林格尔县政务服务中心共办（受）理各类事项 4 件，其中行政许可 1 件、非行政许可 1 件、"
            "服务事项 2 件，接受群众咨询 2 人次，群众满意率 60.00%。") in text
    assert "非常满意 1 次、满意 1 次、基本满意 1 次、不满意 1 次、非常不满意 1 次" in text
    assert f"群众平均等候 {statistics.mean(want['waits']) / 60:.1f} 分钟" in text
    assert f"中位数 {statistics.median(want['waits']) / 60:.1f} 分钟" in text
    assert "收到差评 2 件，已回访整改办结 0 件" in text
    assert "办件量最多的事项：企业开办咨询（县市场监督管理局）2 件；法律援助申请（县司法局）2 件" in text
    assert "办件量最多的窗口：1号民政综合窗口 3 件；4号市场监管窗口 3 件" in text


def test_csv_and_xlsx_hold_the_same_figures(worked_day, hall_config, tmp_path):
    want = expected(worked_day)
    tables = report.read_csv(_run_report(hall_config, "--format", "csv").decode("utf-8"))
    summary = dict(tables["总体"][1:])
    assert summary["办（受）理事项(件)"] == "4" and summary["接受咨询(人次)"] == "2"
    assert summary["满意率(%)"] == "60.0"
    assert float(summary["平均等候(分)"]) == round(statistics.mean(want["waits"]) / 60, 2)
    assert float(summary["办理中位数(分)"]) == round(statistics.median(want["handles"]) / 60, 2)
    categories = {row[0]: row for row in tables["按类别"][1:]}
    assert {name: int(row[2]) for name, row in categories.items()} == want["by_category"]

    _run_report(hall_config, "--format", "xlsx", "--output", str(tmp_path / "report.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames == list(tables)
    for title, rows in tables.items():
        assert sheet(book, title) == [[same(value) for value in row] for row in rows], title


def test_admin_exports_match(worked_day, admin_browser):
    csv_response = admin_browser.get(f"/admin/stats/export.csv?from={DAY}&to={DAY}")
    xlsx_response = admin_browser.get(f"/admin/stats/export.xlsx?from={DAY}&to={DAY}")
    assert csv_response.status_code == xlsx_response.status_code == 200
    tables = report.read_csv(csv_response.content.decode("utf-8-sig"))
    assert "到达时段" in tables  # the console's export carries the heat map too
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    for title, rows in tables.items():
        assert sheet(book, title) == [[same(value) for value in row] for row in rows], title
    text = admin_browser.get(f"/admin/report.txt?from={DAY}&to={DAY}").text
    assert "群众满意率 60.00%" in text


def test_period_outside_the_tickets_is_empty(worked_day, hall_config):
    db = store.connect(hall_config["server"]["database"])
    figures = stats.hall_statistics(db, hall_config, stats.Period("2026-03-03", "2026-03-31"))
    assert figures["totals"]["issued"] == 0 and figures["satisfaction"]["rate"] is None
    assert "期间暂无群众评价" in report.summary_text(report.build(db, hall_config, stats.Period("2026-03-03", "2026-03-31")))
    db.conn.close()


@pytest.mark.parametrize("first, last", [("2026-01-05", "2026-01-30"), ("2026-01-01", "2026-03-31")])
def test_short_and_long_periods_read_the_indexes_right(hall_db, hall_config, first, last):
    """A month reads its own days; a quarter walks the time indexes in order. Both must give the
    figures a plain row-by-row reading of the table gives."""
    from .synthetic import generate

    generate(hall_db, date(2026, 1, 5), 60, 40)
    rows = hall_db.execute(
        f"SELECT service_id, window_id, staff_id, status, {store.WAIT_SECONDS_SQL}, {store.HANDLE_SECONDS_SQL} "
        "FROM ticket NOT INDEXED WHERE local_day BETWEEN ? AND ?", [first, last]).fetchall()
    figures = stats.hall_statistics(hall_db, hall_config, stats.Period(first, last))
    waits = [r[4] for r in rows if r[4] is not None]
    handles = [r[5] for r in rows if r[5] is not None]
    totals = figures["totals"]
    assert totals["issued"] == len(rows) and totals["done"] == sum(r[3] == "done" for r in rows)
    assert (totals["wait"]["median"], totals["wait"]["p90"]) == (statistics.median(waits), pytest.approx(p90(waits)))
    assert totals["handle"]["mean"] == round(statistics.mean(handles), 1)
    window_one = [r[5] for r in rows if r[1] == 1 and r[5] is not None]
    row = next(r for r in figures["by_window"] if r["window"] == 1)
    assert row["handle"]["median"] == statistics.median(window_one)
    assert row["handle"]["p90"] == pytest.approx(p90(window_one))
    service = next(r for r in figures["by_service"] if r["service"] == "综合咨询")
    consult_waits = [r[4] for r in rows if r[0] == service["service_id"] and r[4] is not None]
    assert service["wait"]["median"] == statistics.median(consult_waits)
    assert sum(map(sum, figures["heatmap"])) == len(rows)
