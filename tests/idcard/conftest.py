"""A simulated ID card reader on a pseudo-terminal."""

from __future__ import annotations

import pytest

from idcard.simulator import CardReaderSimulator


@pytest.fixture
def simulator():
    with CardReaderSimulator() as reader:
        yield reader
