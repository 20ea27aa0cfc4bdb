"""The kiosk's side of the queue server's HTTP API (/api/v1). No Kivy here.

Every call has a short timeout and ends in one of three ways: the answer, `ServerRejected`
(the server said no, with its code and Chinese message: a closed service, a full daily
cap), or `ServerUnreachable` (no answer at all: the kiosk keeps working from its cache)."""

from __future__ import annotations

from urllib.parse import quote

import requests

CONNECT_TIMEOUT_S = 1.5
READ_TIMEOUT_S = 4.0


class KioskError(Exception):
    """Root of the kiosk package's own errors."""


class ServerUnreachable(KioskError):
    """No usable answer: connection refused, timeout, a 5xx, or not JSON."""


class ServerRejected(KioskError):
    """The server answered with a 4xx `{"error": code, "message": text}`."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


class HallClient:
    def __init__(self, base_url: str, token: str = "", session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "govhall-kiosk"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs):
        url = f"{self.base_url}/api/v1{path}"
        try:
            response = self.session.request(method, url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), **kwargs)
        except requests.RequestException as error:
            raise ServerUnreachable(f"{method} {url}: {error.__class__.__name__}") from error
        if response.status_code >= 500:
            raise ServerUnreachable(f"{method} {url}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ServerUnreachable(f"{method} {url}: answer is not JSON (HTTP {response.status_code})") from None
        if response.status_code >= 400:
            data = data if isinstance(data, dict) else {}
            raise ServerRejected(response.status_code, str(data.get("error", "error")),
                                 str(data.get("message", f"HTTP {response.status_code}")),
                                 {k: v for k, v in data.items() if k not in ("error", "message")})
        return data

    # --- queue ----------------------------------------------------------------

    def services(self) -> dict:
        """`{"hall", "local_day", "departments": [{"name", "services": [...]}]}`."""
        return self._call("GET", "/services")

    def issue_ticket(self, service_id: int, holder=None) -> dict:
        """A ticket; `holder` (an `idcard.CardHolder` read at this kiosk) ties it to the person: the
        keyed hash and the masked name go with it, and the 绿色通道 when their age earns it."""
        request = {"service_id": service_id}
        if holder is not None:
            request |= {"id_hash": holder.id_hash, "holder_name": holder.masked_name,
                        "priority": 1 if holder.green_channel else 0}
        return self._call("POST", "/tickets", json=request)

    def check_in(self, code: str) -> dict:
        """A booking's code → its priority ticket (the server checks the check-in window)."""
        return self._call("POST", f"/appointments/{quote(code, safe='')}/check-in")

    def check_in_by_card(self, holder) -> dict:
        """The person's booking of today, found by their card's keyed hash → its priority ticket."""
        return self._call("POST", "/appointments/check-in",
                          json={"id_hash": holder.id_hash, "holder_name": holder.masked_name})

    def booking_days(self, service_id: int) -> list[dict]:
        """The days a service can be booked: `[{date, weekday, available}]`."""
        return self._call("GET", "/appointments/days", params={"service_id": service_id})

    def booking_slots(self, service_id: int, day: str) -> list[dict]:
        """A day's slots: `[{start, end, capacity, available, ...}]`."""
        return self._call("GET", "/appointments/slots", params={"service_id": service_id, "date": day})

    def book(self, service_id: int, day: str, start: str, name: str, phone: str, holder=None) -> dict:
        """A booking made at the kiosk → `{code, service, date, start, end, checkin_from, ...}`; with
        `holder` (a card read here) the booking carries the card's keyed hash, so the card checks it in."""
        request = {"service_id": service_id, "date": day, "start": start, "name": name, "phone": phone}
        if holder is not None:
            request["id_hash"] = holder.id_hash
        return self._call("POST", "/appointments", json=request)

    def id_hash_key(self) -> str:
        """The key this kiosk hashes ID numbers with (never sent anywhere in clear)."""
        return str(self._call("GET", "/kiosks/id-hash-key")["key"])

    # --- this kiosk -----------------------------------------------------------

    def whoami(self) -> dict:
        return self._call("GET", "/kiosks/me")

    def heartbeat(self, kiosk_id: int, printer_status: str, content_version: int, **extra) -> dict:
        return self._call("POST", f"/kiosks/{kiosk_id}/heartbeat",
                          json={"printer_status": printer_status, "content_version": content_version, **extra})

    def call_for_help(self, kiosk_id: int) -> dict:
        return self._call("POST", f"/kiosks/{kiosk_id}/help", json={})

    # --- content --------------------------------------------------------------

    def content_changes(self, since: int) -> dict:
        return self._call("GET", "/content", params={"since": since})
