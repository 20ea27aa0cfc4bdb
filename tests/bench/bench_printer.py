"""Benchmark of ticket printing: bytes per ticket, and the time to print one over a serial
line at 9600 and 115200 baud, text mode against image mode.

The line is a pseudo-terminal; on its far side `printer.simulator` takes bytes no faster
than a real UART at the given baud rate (10 bits a byte) and answers DLE EOT. A print is
timed end to end as the kiosk sees it: status before, the ticket, status after.
Run: `.venv/bin/python tests/bench/bench_printer.py` (about a minute and a half);
writes var/bench/printer.json. Target: a text-mode ticket, QR included, <= 1.5 KB."""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from printer import PrinterStatus, TicketSlip, open_printer  # noqa: E402
from printer.simulator import SerialPrinterSimulator  # noqa: E402

OUTPUT = REPO / "var" / "bench" / "printer.json"
TEXT_TARGET_BYTES = 1536
# (mode, baud rate, runs): image mode at 9600 baud takes most of a minute, so it runs once.
SEND_CASES = [("text", 9600, 5), ("text", 115200, 5), ("image", 115200, 3), ("image", 9600, 1)]


def bench_ticket() -> TicketSlip:
    """A ticket as long as a busy day makes them: long service name, two notices, a real-length URL."""
    return TicketSlip(
        hall_name="和林格尔县政务服务中心",
        number="A128",
        service="城乡居民基本养老保险参保登记（含变更、注销）",
        department="县人力资源和社会保障局·社保经办窗口",
        ahead=23,
        estimated_wait_min=75,
        issued_at=datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc),
        status_url="http://hall.example.gov.cn:8080/t/7fK2mQx9Lr4TbZ8n",
        notices=[
            "请留意大厅屏幕和语音叫号；过号后请到原窗口登记，顺延3位办理。",
            "本号票当日有效，请勿折叠、遗失（如需帮助，请拨12345）。",
        ],
    )


def rare_ticket() -> TicketSlip:
    """The same ticket for a citizen whose name has a character outside GBK (䶮, Extension A):
    text mode sends that one line as a picture."""
    slip = bench_ticket()
    return TicketSlip(**{**slip.__dict__, "department": "县人力资源和社会保障局·经办人 刘䶮"})


def rendered_bytes(mode: str, width: int, slip: TicketSlip | None = None, extra: str = "") -> tuple[int, float]:
    """Bytes of the ticket and the median time to lay it out and render it (no I/O)."""
    printer = open_printer(f"dummy:?mode={mode}&width={width}{extra}")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        data = printer.print_ticket(slip or bench_ticket())
        times.append(time.perf_counter() - started)
    return len(data), statistics.median(times)


def send_times(mode: str, baudrate: int, runs: int) -> list[float]:
    times = []
    with SerialPrinterSimulator(PrinterStatus.READY, baudrate=baudrate) as simulator:
        printer = open_printer(f"serial://{simulator.device_path}?baudrate={baudrate}&mode={mode}")
        for _ in range(runs):
            started = time.perf_counter()
            data = printer.print_ticket(bench_ticket())
            times.append(time.perf_counter() - started)
            assert data in simulator.data()
            simulator.clear()
        printer.close()
    return times


def main() -> None:
    sizes = {}
    print(f"{'mode':<6} {'width':>5} {'bytes':>7} {'render ms':>10}")
    for mode in ("text", "image"):
        for width in (576, 384):
            size, seconds = rendered_bytes(mode, width)
            sizes[f"{mode}_{width}"] = {"bytes": size, "render_ms_median": round(seconds * 1000, 2)}
            print(f"{mode:<6} {width:>5} {size:>7} {seconds * 1000:>10.1f}")
    rare_ticket()  # the fallback fonts' character maps are read once, outside the timing
    open_printer("dummy:").print_ticket(rare_ticket())
    for name, extra in (("text_576_rare_line", ""), ("text_576_rare_slip", "&rare=slip")):
        size, seconds = rendered_bytes("text", 576, rare_ticket(), extra)
        sizes[name] = {"bytes": size, "render_ms_median": round(seconds * 1000, 2)}
        print(f"{name:<18} {size:>7} {seconds * 1000:>10.1f}   (a name with 䶮)")

    sends = {}
    print(f"\n{'mode':<6} {'baud':>7} {'runs':>4} {'median s':>9} {'line-rate s':>11}   (576 dots wide)")
    for mode, baudrate, runs in SEND_CASES:
        times = send_times(mode, baudrate, runs)
        size = sizes[f"{mode}_576"]["bytes"]
        median = statistics.median(times)
        sends[f"{mode}_{baudrate}"] = {"runs": runs, "median_s": round(median, 3),
                                       "all_s": [round(t, 3) for t in times],
                                       "line_rate_s": round(size * 10 / baudrate, 3)}
        print(f"{mode:<6} {baudrate:>7} {runs:>4} {median:>9.2f} {size * 10 / baudrate:>11.2f}")

    text_bytes = sizes["text_576"]["bytes"]
    verdict = "meets" if text_bytes <= TEXT_TARGET_BYTES else "MISSES"
    print(f"\ntext-mode ticket with QR: {text_bytes} bytes, target <= {TEXT_TARGET_BYTES}: {verdict}")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "ticket_bytes": sizes,
        "send_over_pty": sends,
        "target": {"text_ticket_max_bytes": TEXT_TARGET_BYTES, "text_ticket_bytes": text_bytes,
                   "met": text_bytes <= TEXT_TARGET_BYTES},
    }, indent=2, ensure_ascii=False))
    print(f"wrote {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
