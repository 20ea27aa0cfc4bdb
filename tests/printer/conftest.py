"""Printer test fixtures: slips with every kind of character, and where pictures go."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from printer import MaterialsSlip, TicketSlip


@pytest.fixture
def ticket() -> TicketSlip:
    return make_ticket()


@pytest.fixture
def materials() -> MaterialsSlip:
    return make_materials()


def make_ticket() -> TicketSlip:
    # 03:05 UTC is 11:05 in the hall (Asia/Shanghai)
    return TicketSlip(
        hall_name="和林格尔县政务服务中心",
        number="B027",
        service="不动产登记（二手房转移）",
        department="县自然资源局：登记中心",
        ahead=12,
        estimated_wait_min=45,
        issued_at=datetime(2026, 11, 25, 3, 5, tzinfo=timezone.utc),
        status_url="http://192.0.2.10:8080/t/Qm7xK2pLr9",
        notices=[
            "过号作废，请重新取号（VIP、绿色通道除外）。",
            "请保管好号票，凭票到3号、5号窗口办理，谢谢！",
        ],
    )


def make_materials() -> MaterialsSlip:
    return MaterialsSlip(
        hall_name="和林格尔县政务服务中心",
        service="不动产登记（二手房转移）",
        department="县自然资源局",
        materials=[
            "买卖双方身份证原件及复印件（各2份）",
            "不动产权证书原件，或房屋所有权证、国有土地使用证",
            "网签合同（备案号：HL-2026-0001）",
        ],
        notes=["婚姻状况证明：已婚的带结婚证，离异的带离婚证及协议。"],
        contact="0471-7219876",
    )


@pytest.fixture
def artifacts() -> Path:
    """Pictures worth a look after a run ($GOVHALL_ARTIFACTS, default /tmp/govhall-artifacts)."""
    folder = Path(os.environ.get("GOVHALL_ARTIFACTS", "/tmp/govhall-artifacts")) / "printer"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
