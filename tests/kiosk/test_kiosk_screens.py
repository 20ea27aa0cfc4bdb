"""The screen-fit walks of the kiosk (tests/kiosk/ui/test_screens.py) at the three screen sizes,
each in a process of its own. A walk visits up to 60 screens: minutes on a busy 2-core machine."""

from __future__ import annotations

import pytest

from helpers import run_kivy_module

SIZES = ["1080x1920", "1920x1080", "1280x800"]


@pytest.mark.timeout(960)
@pytest.mark.parametrize("size", SIZES)
def test_every_screen_fits(size, tmp_path):
    run_kivy_module("test_screens.py", size, tmp_path)
