"""The Kivy tests (tests/kiosk/ui/), each module in a process of its own: Kivy's window
and clock belong to the whole process, and the window's size is fixed when it opens."""

from __future__ import annotations


import pytest

from helpers import run_kivy_module


# The flows here; the screen-fit walks in test_kiosk_screens.py, so the two files run on
# different test workers.
RUNS = [
    ("test_ticket_flow.py", "1280x800"),
    ("test_checkin.py", "1280x800"),
    ("test_card.py", "1280x800"),
    ("test_booking.py", "1280x800"),
    ("test_offline.py", "1280x800"),
    ("test_kiosk_mode.py", "1280x800"),
]


@pytest.mark.timeout(960)
@pytest.mark.parametrize("module,size", RUNS, ids=[f"{m[5:-3]}-{s}" for m, s in RUNS])
def test_kivy_module(module, size, tmp_path):
    run_kivy_module(module, size, tmp_path)
