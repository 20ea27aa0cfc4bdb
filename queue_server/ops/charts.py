"""Charts of the statistics, drawn on the server with matplotlib (Agg, no display) in a CJK font.

Each function takes the figures of `stats.hall_statistics` and returns PNG bytes. Figures are
built with the object API (no pyplot state), so requests can draw side by side."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..stats import WEEKDAY_NAMES  # noqa: E402

CJK_FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
             Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")]
BRAND = "#b3261e"
CATEGORY_COLOURS = ["#b3261e", "#d9822b", "#2f6f9f", "#4c956c"]
LEVEL_COLOURS = ["#2e7d32", "#66bb6a", "#c0ca33", "#fb8c00", "#c62828"]  # 非常满意 … 非常不满意


def _font_family() -> str | None:
    for path in CJK_FONTS:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    return None


_FAMILY = _font_family()
matplotlib.rcParams.update({"font.family": [_FAMILY] if _FAMILY else ["sans-serif"], "axes.unicode_minus": False,
                            "font.size": 12, "axes.titlesize": 15, "axes.titleweight": "normal",
                            "axes.spines.top": False, "axes.spines.right": False})


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, bbox_inches="tight")
    return out.getvalue()


def _no_data(axes, text="所选期间暂无数据"):
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=16, color="#5b6675", transform=axes.transAxes)
    axes.set_axis_off()


def _label_bars(axes, bars, fmt="{:.0f}"):
    for bar in bars:
        axes.annotate(fmt.format(bar.get_height()), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=11, xytext=(0, 2), textcoords="offset points")


def categories(figures: dict) -> bytes:
    """Finished tickets per category, with the issued ones behind them."""
    rows = figures["by_category"]
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    names = [row["category"] for row in rows]
    if not any(row["issued"] for row in rows):
        _no_data(axes)
        return _png(figure)
    axes.bar(names, [row["issued"] for row in rows], color="#e4e7ec", label="取号")
    bars = axes.bar(names, [row["done"] for row in rows], width=0.55, color=CATEGORY_COLOURS, label="办结")
    _label_bars(axes, bars)
    axes.set_title("各类事项办件量")
    axes.set_ylabel("件")
    axes.legend(frameon=False)
    return _png(figure)


def satisfaction(figures: dict) -> bytes:
    """The five 好差评 levels and the satisfaction rate."""
    data = figures["satisfaction"]
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    if not data["rated"]:
        _no_data(axes, "所选期间暂无评价")
        return _png(figure)
    names, counts = list(data["levels"]), list(data["levels"].values())
    bars = axes.barh(names[::-1], counts[::-1], color=LEVEL_COLOURS[::-1])
    for bar, count in zip(bars, counts[::-1]):
        axes.annotate(f"{count}（{count * 100 / data['rated']:.1f}%）", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                      va="center", fontsize=11, xytext=(4, 0), textcoords="offset points")
    axes.set_xlim(0, max(counts) * 1.3)
    axes.set_title(f"群众评价  满意率 {data['rate'] * 100:.2f}%（共 {data['rated']} 次）")
    axes.set_xlabel("次")
    return _png(figure)


def windows(figures: dict) -> bytes:
    """Per window: finished tickets (bars) and the median handling time (labels)."""
    rows = [row for row in figures["by_window"] if row["window"]]
    figure = Figure(figsize=(9, max(3.5, 0.45 * len(rows) + 1.2)))
    axes = figure.subplots()
    if not any(row["done"] for row in rows):
        _no_data(axes)
        return _png(figure)
    labels = [f"{row['window']}号 {row['window_name']}" for row in rows][::-1]
    done = [row["done"] for row in rows][::-1]
    bars = axes.barh(labels, done, color=BRAND)
    for bar, row in zip(bars, rows[::-1]):
        median = row["handle"]["median"]
        note = f"{row['done']} 件" + (f" · 办理中位 {median / 60:.1f} 分" if median is not None else "")
        axes.annotate(note, (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center", fontsize=10,
                      xytext=(4, 0), textcoords="offset points")
    axes.set_xlim(0, max(done) * 1.45)
    axes.set_title("各窗口办结量与办理时长")
    return _png(figure)


def waiting(figures: dict) -> bytes:
    """Waiting and handling time per category: mean, median and p90 in minutes."""
    rows = figures["by_category"]
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    axes_wait, axes_handle = figure.subplots(1, 2, sharey=False)
    any_data = False
    for axes, key, title in ((axes_wait, "wait", "等候时间（取号→叫号）"), (axes_handle, "handle", "办理时间（叫号→办结）")):
        names = [row["category"] for row in rows]
        width = 0.26
        for offset, (stat, label, colour) in enumerate((("mean", "平均", "#2f6f9f"), ("median", "中位数", "#4c956c"),
                                                        ("p90", "P90", "#d9822b"))):
            values = [(row[key][stat] or 0) / 60 for row in rows]
            any_data = any_data or any(values)
            axes.bar([i + (offset - 1) * width for i in range(len(names))], values, width, label=label, color=colour)
        axes.set_xticks(range(len(names)), names, fontsize=11)
        axes.set_title(title)
        axes.set_ylabel("分钟")
    if not any_data:
        figure.clear()
        _no_data(figure.subplots())
        return _png(figure)
    figure.legend(*axes_wait.get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
    return _png(figure)


def heatmap(figures: dict) -> bytes:
    """Arrivals by weekday and hour (local time), the busy hours at a glance."""
    grid = figures.get("heatmap") or [[0] * 24 for _ in range(7)]
    hours = [h for h in range(24) if any(grid[d][h] for d in range(7))]
    first, last = (min(hours), max(hours)) if hours else (8, 18)
    first, last = min(first, 8), max(last, 17)
    data = [row[first:last + 1] for row in grid]
    figure = Figure(figsize=(10, 4.2))
    axes = figure.subplots()
    if not hours:
        _no_data(axes)
        return _png(figure)
    image = axes.imshow(data, aspect="auto", cmap="Reds")
    axes.set_xticks(range(last - first + 1), [f"{h}时" for h in range(first, last + 1)])
    axes.set_yticks(range(7), WEEKDAY_NAMES)
    peak = max(max(row) for row in data)
    for day, row in enumerate(data):
        for column, count in enumerate(row):
            if count:
                axes.text(column, day, str(count), ha="center", va="center", fontsize=9,
                          color="white" if count > peak * 0.6 else "#1d2733")
    axes.spines[:].set_visible(False)
    figure.colorbar(image, ax=axes, label="取号数", shrink=0.85)
    axes.set_title("取号时段分布（星期 × 小时）")
    return _png(figure)


def daily(figures: dict) -> bytes:
    """Tickets issued per day over the period."""
    days = figures.get("daily") or []
    figure = Figure(figsize=(10, 3.6))
    axes = figure.subplots()
    if not days:
        _no_data(axes)
        return _png(figure)
    labels, counts = [day for day, _ in days], [count for _, count in days]
    axes.plot(range(len(labels)), counts, color=BRAND, marker="o" if len(labels) <= 45 else None)
    axes.fill_between(range(len(labels)), counts, color=BRAND, alpha=0.12)
    step = max(1, len(labels) // 10)
    axes.set_xticks(range(0, len(labels), step), [labels[i][5:] for i in range(0, len(labels), step)])
    axes.set_ylim(0, max(counts) * 1.15)
    axes.set_title("每日取号量")
    axes.set_ylabel("张")
    return _png(figure)


CHARTS = {"categories": categories, "satisfaction": satisfaction, "windows": windows, "waiting": waiting,
          "heatmap": heatmap, "daily": daily}
