"""Work the UI thread must never wait for: HTTP calls and the printer.

Each kind of work has its own lane (a thread pool). The printer lane has one thread, as a
printer does one job at a time; the network lane has two, so a slow heartbeat never
delays a ticket. When a job ends, its callback is handed to `report`, which the Kivy app
sets to "run this on the UI thread at the next frame"."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)


class Background:
    def __init__(self, report: Callable[[Callable[[], None]], None] | None = None):
        self.report = report or (lambda callback: callback())
        self.network = ThreadPoolExecutor(2, thread_name_prefix="kiosk-network")
        self.printer = ThreadPoolExecutor(1, thread_name_prefix="kiosk-printer")
        self.content = ThreadPoolExecutor(1, thread_name_prefix="kiosk-content")

    def run(self, lane: ThreadPoolExecutor, job: Callable, on_done: Callable | None = None,
            on_error: Callable[[Exception], None] | None = None) -> Future:
        """Run `job()` on `lane`; then `on_done(result)` or `on_error(exception)` through `report`."""

        def finished(future: Future):
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - every failure is reported, none kills the lane
                if on_error is not None:
                    self.report(lambda failure=error: on_error(failure))
                else:
                    log.warning("background job %s failed: %s", getattr(job, "__name__", job), error)
                return
            if on_done is not None:
                self.report(lambda: on_done(result))

        future = lane.submit(job)
        future.add_done_callback(finished)
        return future

    def shutdown(self):
        for lane in (self.network, self.printer, self.content):
            lane.shutdown(wait=False, cancel_futures=True)
