"""The statistics page's heavy parts as plain functions of (config, period): the figures of a
period, a chart, an export, the report. The admin pages run them through `offload.run`, in a
helper process with its own connection, so a year of tickets summed and drawn never holds up the
live worker; each takes only what pickles and opens the database itself."""

from __future__ import annotations

from .. import stats, store

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reading(config: dict):
    return store.connect(config["server"]["database"])


def statistics(config: dict, first_day: str, last_day: str, detail: bool = True) -> dict:
    db = _reading(config)
    try:
        return stats.hall_statistics(db, config, stats.Period(first_day, last_day), detail=detail)
    finally:
        db.conn.close()


def chart_png(config: dict, first_day: str, last_day: str, name: str) -> bytes:
    from . import charts

    figures = statistics(config, first_day, last_day, detail=name in ("heatmap", "daily", "windows"))
    return charts.CHARTS[name](figures)


def export(config: dict, first_day: str, last_day: str, fmt: str) -> tuple[bytes, str]:
    """(body, mimetype) of the period's tables as CSV (with a BOM, for Excel) or XLSX."""
    from . import report

    db = _reading(config)
    try:
        tables = report.tables(report.build(db, config, stats.Period(first_day, last_day), detail=True))
    finally:
        db.conn.close()
    if fmt == "csv":
        return ("\ufeff" + report.to_csv(tables)).encode("utf-8"), "text/csv; charset=utf-8"
    return report.to_xlsx(tables), XLSX_MIMETYPE


def report_text(config: dict, first_day: str, last_day: str) -> str:
    from . import report

    db = _reading(config)
    try:
        return report.render(db, config, stats.Period(first_day, last_day), "text")
    finally:
        db.conn.close()
