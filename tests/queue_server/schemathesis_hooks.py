"""Hooks the schemathesis run of test_openapi_conformance.py loads (SCHEMATHESIS_HOOKS): which token each
operation is called with, and how a valid 居民身份证 number looks (its check digit is computed, so no
pattern can describe it)."""

from __future__ import annotations

import os
from datetime import date

import schemathesis
from hypothesis import strategies as st

from idcard.privacy import id_number_check_character

# the caller each operation is meant for; the rest are public and are called without a token
KIOSK_OPERATIONS = {("POST", "/tickets"), ("GET", "/kiosks/me"), ("GET", "/kiosks/id-hash-key"),
                    ("POST", "/kiosks/{id}/heartbeat"), ("POST", "/kiosks/{id}/help"),
                    ("POST", "/appointments/check-in"), ("POST", "/appointments/{code}/check-in")}
STAFF_OPERATIONS = {("GET", "/windows"), ("GET", "/windows/{number}"), ("GET", "/appointments"),
                    ("POST", "/tickets/{id}/cancel-by-staff"), ("POST", "/evaluations")}
ADMIN_OPERATIONS = {("GET", "/kiosks"), ("POST", "/evaluations/{id}/void"), ("PUT", "/appointments/capacity"),
                    ("POST", "/appointments/slots/close"), ("POST", "/appointments/slots/reopen")}


def token_for(method: str, path: str) -> str | None:
    key = (method.upper(), path)
    if key in KIOSK_OPERATIONS:
        return os.environ["GOVHALL_TEST_KIOSK_TOKEN"]
    if key in STAFF_OPERATIONS:
        return os.environ["GOVHALL_TEST_STAFF_TOKEN"]
    if key in ADMIN_OPERATIONS or path.startswith("/windows/{number}/"):
        # window actions as an admin, who may act on any window: the answers are real windows and tickets
        return os.environ["GOVHALL_TEST_ADMIN_TOKEN"]
    return None


@schemathesis.auth(cache_by_key=lambda case, context: f"{case.method} {case.operation.path}")
class HallTokens:
    def get(self, case, context):
        return token_for(case.method, case.operation.path) or ""

    def set(self, case, data, context):
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# area code, birth date, serial: the check character computed as a card's is
ID_NUMBERS = st.builds(lambda area, born, serial: f"{area}{born:%Y%m%d}{serial:03d}",
                       st.sampled_from(["150123", "110101", "440305"]),
                       st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
                       st.integers(0, 999)).map(lambda first17: first17 + id_number_check_character(first17))
schemathesis.openapi.format("cn-id-number", ID_NUMBERS)
