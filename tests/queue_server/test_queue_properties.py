"""Random sequences of queue actions keep the queue's invariants (hypothesis state machine)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from helpers import make_hall
from queue_server import store
from queue_server.accounts import Principal
from queue_server.errors import QueueError
from queue_server.queue import Queue

WINDOWS = {1: "王丽", 2: "赵建国", 3: "刘晓燕"}
# services served by windows 1-3 (民政 and 社保), plus one that only window 4 serves
SERVICES = ["最低生活保障申请", "临时救助申请", "社会保障卡申领", "失业登记", "城乡居民养老保险参保登记", "食品经营许可"]
ACTIONS = ["call_next", "recall", "start", "no_show", "hold", "finish", "pause", "resume"]


class QueueMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="govhall-prop-"))
        self.config = make_hall(self.dir)
        self.db = store.connect(self.config["server"]["database"])
        self.moment = datetime.fromisoformat("2026-11-25T09:00:00+08:00")
        self.queue = Queue(self.db, self.config, now=lambda: self.moment)
        self.staff = {}
        for number, name in WINDOWS.items():
            person = store.find_staff_login(self.db, name)
            self.staff[number] = Principal("staff", role="staff", staff_id=person["id"], name=name)
            self.queue.open_window(number, self.staff[number])
        self.service_ids = [store.get_service_by_name(self.db, name)["id"] for name in SERVICES]
        self.issued = 0
        self.done = 0

    def teardown(self):
        self.db.conn.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _tick(self):
        self.moment += timedelta(seconds=7)

    @rule(service=st.integers(0, len(SERVICES) - 1), priority=st.sampled_from([0, 0, 0, 1]))
    def issue(self, service, priority):
        self._tick()
        self.queue.issue_ticket(self.service_ids[service], priority=priority)
        self.issued += 1

    @rule(window=st.sampled_from(list(WINDOWS)), action=st.sampled_from(ACTIONS))
    def act(self, window, action):
        self._tick()
        before = store.current_ticket_of_window(self.db, store.get_window(self.db, window)["id"])
        try:
            result = getattr(self.queue, action)(window, self.staff[window])
        except QueueError:
            return  # refused actions must change nothing; the invariants check that
        if action == "finish":
            self.done += 1
            assert before is not None and result["id"] == before["id"]

    @rule(window=st.sampled_from(list(WINDOWS)), to_service=st.integers(0, len(SERVICES) - 1))
    def transfer(self, window, to_service):
        self._tick()
        try:
            self.queue.transfer(window, self.staff[window], service_id=self.service_ids[to_service])
        except QueueError:
            pass

    @invariant()
    def no_ticket_at_two_windows_and_one_current_per_window(self):
        per_window = self.db.execute(
            "SELECT window_id, count(*) FROM ticket WHERE status IN ('called','serving') GROUP BY window_id").fetchall()
        assert all(count == 1 for _, count in per_window)
        assert all(window_id is not None for window_id, _ in per_window)

    @invariant()
    def every_waiting_ticket_is_callable_by_some_window(self):
        stranded = self.db.execute(
            "SELECT t.number FROM ticket t WHERE t.status = 'waiting' AND NOT EXISTS ("
            " SELECT 1 FROM window_service ws WHERE ws.service_id = t.service_id"
            " AND (t.target_window_id IS NULL OR t.target_window_id = ws.window_id))").fetchall()
        assert stranded == []
        assert self.db.execute("SELECT count(*) FROM ticket WHERE status = 'waiting' AND window_id IS NOT NULL"
                               ).fetchone()[0] == 0

    @invariant()
    def counts_agree_with_the_event_log(self):
        assert self.db.execute("SELECT count(*) FROM ticket").fetchone()[0] == self.issued
        assert self.db.execute("SELECT count(*) FROM event WHERE type = 'ticket_issued'").fetchone()[0] == self.issued
        assert self.db.execute("SELECT count(*) FROM ticket WHERE status = 'done'").fetchone()[0] == self.done
        assert self.db.execute("SELECT count(*) FROM event WHERE type = 'ticket_finished'").fetchone()[0] == self.done
        # each ticket's state is the state its last event recorded
        mismatched = self.db.execute(
            "SELECT t.number FROM ticket t JOIN event e ON e.id = ("
            " SELECT max(id) FROM event WHERE ticket_id = t.id AND type LIKE 'ticket_%')"
            " WHERE json_extract(e.data, '$.status') != t.status").fetchall()
        assert mismatched == []

    @invariant()
    def numbers_are_unique_per_prefix_and_day(self):
        assert self.db.execute("SELECT count(*) - count(DISTINCT number || local_day) FROM ticket").fetchone()[0] == 0


QueueMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_queue_state_machine = QueueMachine.TestCase
