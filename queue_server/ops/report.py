"""The hall's report for a range of days: the yearly-summary paragraph in the hall's own words,
and the same figures as tables for CSV and XLSX. CSV and XLSX are written from one list of
tables (`tables`), so they always hold the same figures."""

from __future__ import annotations

import csv
import io
from datetime import date

from .. import stats, store
from ..stats import Period

FORMATS = ("text", "csv", "xlsx")
BUSIEST = 3  # services and windows named in the paragraph


def build(db, config: dict, period: Period, detail: bool = False) -> dict:
    """The figures of the report (see stats.hall_statistics), plus the period's 差评 cases."""
    figures = stats.hall_statistics(db, config, period, detail=detail)
    figures["followup"] = store.count_followup_cases(db, period.first_day, period.last_day)
    return figures


def render(db, config: dict, period: Period, format: str) -> bytes | str:
    if format not in FORMATS:
        raise ValueError(format)
    figures = build(db, config, period)
    if format == "text":
        return summary_text(figures)
    if format == "csv":
        return to_csv(tables(figures))
    return to_xlsx(tables(figures))


# --- the paragraph --------------------------------------------------------------

def _day(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day.year}年{day.month}月{day.day}日"


def _minutes(seconds) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def summary_text(figures: dict) -> str:
    totals, by_category = figures["totals"], {row["category"]: row for row in figures["by_category"]}
    period = figures["period"]
    span = _day(period["from"]) if period["from"] == period["to"] else f"{_day(period['from'])}至{_day(period['to'])}"
    done = {name: by_category[name]["done"] for name in store.CATEGORIES}
    satisfaction = figures["satisfaction"]
    levels = "、".join(f"{name} {count} 次" for name, count in satisfaction["levels"].items())
    lines = [
        f"{figures['hall']}{span}工作情况",
        "",
        (f"{span}，{figures['hall']}共办（受）理各类事项 {totals['handled']} 件，其中行政许可 {done['行政许可']} 件、"
         f"非行政许可 {done['非行政许可']} 件、服务事项 {done['公共服务']} 件，接受群众咨询 {totals['consultations']} 人次，"
         + (f"群众满意率 {percent(satisfaction['rate'])}。" if satisfaction["rated"] else "期间暂无群众评价。")),
    ]
    if satisfaction["rated"]:
        lines.append(f"群众评价共 {satisfaction['rated']} 次：{levels}。")
    followup = figures.get("followup")
    if followup and followup["opened"]:
        lines.append(f"收到差评 {followup['opened']} 件，已回访整改办结 {followup['resolved']} 件。")
    wait, handle = totals["wait"], totals["handle"]
    lines.append(
        f"共取号 {totals['issued']} 张，过号 {totals['no_show']} 张，转办 {totals['transferred']} 件，取消 {totals['cancelled']} 张。"
        + (f"群众平均等候 {_minutes(wait['mean'])} 分钟（中位数 {_minutes(wait['median'])} 分钟，"
           f"90% 在 {_minutes(wait['p90'])} 分钟内被叫号）；" if wait["count"] else "")
        + (f"平均办理时长 {_minutes(handle['mean'])} 分钟（中位数 {_minutes(handle['median'])} 分钟）。"
           if handle["count"] else ""))
    services = [row for row in figures["by_service"] if row["done"]]
    services.sort(key=lambda row: (-row["done"], row["service"]))
    if services:
        lines.append("办件量最多的事项：" + "；".join(
            f"{row['service']}（{row['department']}）{row['done']} 件" for row in services[:BUSIEST]) + "。")
    windows = [row for row in figures["by_window"] if row["window"] and row["done"]]
    windows.sort(key=lambda row: (-row["done"], row["window"]))
    if windows:
        lines.append("办件量最多的窗口：" + "；".join(
            f"{row['window']}号{row['window_name']} {row['done']} 件" for row in windows[:BUSIEST]) + "。")
    return "\n".join(lines) + "\n"


# --- the tables -----------------------------------------------------------------

FIGURE_COLUMNS = ["取号", "办结", "过号", "取消", "转办", "平均等候(分)", "等候中位数(分)", "等候P90(分)",
                  "平均办理(分)", "办理中位数(分)", "办理P90(分)", "评价数", "满意数", "满意率(%)"]


def _m(seconds):
    return None if seconds is None else round(seconds / 60, 2)


def _figures(row: dict) -> list:
    satisfaction = row["satisfaction"]
    return [row["issued"], row["done"], row["no_show"], row["cancelled"], row["transferred"],
            _m(row["wait"]["mean"]), _m(row["wait"]["median"]), _m(row["wait"]["p90"]),
            _m(row["handle"]["mean"]), _m(row["handle"]["median"]), _m(row["handle"]["p90"]),
            satisfaction["rated"], satisfaction["satisfied"],
            None if satisfaction["rate"] is None else round(satisfaction["rate"] * 100, 2)]


def tables(figures: dict) -> list[tuple[str, list[str], list[list]]]:
    """(title, header, rows) of every table of the report."""
    totals, satisfaction = figures["totals"], figures["satisfaction"]
    period = figures["period"]
    summary = [["单位", figures["hall"]], ["起始日期", period["from"]], ["结束日期", period["to"]],
               ["办（受）理事项(件)", totals["handled"]], ["接受咨询(人次)", totals["consultations"]],
               ["取号(张)", totals["issued"]], ["过号(张)", totals["no_show"]], ["转办(件)", totals["transferred"]],
               ["评价(次)", satisfaction["rated"]],
               ["满意率(%)", None if satisfaction["rate"] is None else round(satisfaction["rate"] * 100, 2)],
               ["平均等候(分)", _m(totals["wait"]["mean"])], ["等候中位数(分)", _m(totals["wait"]["median"])],
               ["等候P90(分)", _m(totals["wait"]["p90"])], ["平均办理(分)", _m(totals["handle"]["mean"])],
               ["办理中位数(分)", _m(totals["handle"]["median"])], ["办理P90(分)", _m(totals["handle"]["p90"])]]
    if figures.get("followup"):
        summary += [["差评工单(件)", figures["followup"]["opened"]], ["差评已办结(件)", figures["followup"]["resolved"]]]
    result = [
        ("总体", ["项目", "数值"], summary),
        ("按类别", ["类别", *FIGURE_COLUMNS], [[r["category"], *_figures(r)] for r in figures["by_category"]]),
        ("按部门", ["部门", *FIGURE_COLUMNS], [[r["department"], *_figures(r)] for r in figures["by_department"]]),
        ("按事项", ["事项", "部门", "类别", *FIGURE_COLUMNS],
         [[r["service"], r["department"], r["category"], *_figures(r)] for r in figures["by_service"]]),
        ("按窗口", ["窗口号", "窗口名称", *FIGURE_COLUMNS],
         [[r["window"], r["window_name"], *_figures(r)] for r in figures["by_window"]]),
        ("按人员", ["姓名", "工号", *FIGURE_COLUMNS],
         [[r["staff"], r["employee_no"], *_figures(r)] for r in figures["by_staff"]]),
        ("满意度", ["评价等级", "次数", "占比(%)"],
         [[name, count, round(count * 100 / satisfaction["rated"], 2) if satisfaction["rated"] else None]
          for name, count in satisfaction["levels"].items()]),
    ]
    booked = figures.get("appointments")
    if booked:
        summary += [["预约(个)", booked["totals"]["booked"]], ["预约签到(个)", booked["totals"]["checked_in"]],
                    ["预约爽约(个)", booked["totals"]["no_show"]]]
        result.append(("预约", ["事项", "部门", "预约", "签到", "爽约", "取消", "时段关闭", "未到期", "到场率(%)"],
                       [[r["service"], r["department"], r["booked"], r["checked_in"], r["no_show"], r["cancelled"],
                         r["closed"], r["pending"], None if r["show_rate"] is None else round(r["show_rate"] * 100, 2)]
                        for r in booked["by_service"]]))
    if "heatmap" in figures:
        result.append(("到达时段", ["星期", *[f"{hour}时" for hour in range(24)]],
                       [[stats.WEEKDAY_NAMES[day], *counts] for day, counts in enumerate(figures["heatmap"])]))
    return result


def to_csv(report_tables) -> str:
    """All tables in one CSV, each after a title line, separated by a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, (title, header, rows) in enumerate(report_tables):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue()


def read_csv(text: str) -> dict[str, list[list[str]]]:
    """The tables of `to_csv` back, by title (header row first), as strings."""
    found, title = {}, None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            title = None
        elif title is None and row[0].startswith("# "):
            title = row[0][2:]
            found[title] = []
        elif title is not None:
            found[title].append(row)
    return found


def to_xlsx(report_tables) -> bytes:
    """One sheet per table, header bold on a light fill, columns sized to their content."""
    from openpyxl import Workbook  # imported here: `govhall report` in text starts faster without it
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in report_tables:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2DCDB")
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "B2"
        for index, column in enumerate(zip(header, *rows), 1):
            width = max(len(str(value)) * (2 if any(ord(ch) > 127 for ch in str(value)) else 1)
                        for value in column if value is not None)
            sheet.column_dimensions[get_column_letter(index)].width = min(40, max(8, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
