"""The queue's errors. Each carries a stable code and an HTTP status; the server maps
them to JSON in one place (`api.register_error_handlers`)."""


class QueueError(Exception):
    """Root of every error the queue domain raises on purpose."""

    code = "queue_error"
    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict:
        body = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body


class ConfigError(QueueError):
    """The configuration file or a GOVHALL_* variable is wrong."""

    code = "config_error"
    status = 500


class BadRequest(QueueError):
    code = "bad_request"
    status = 400


class Unauthorized(QueueError):
    code = "unauthorized"
    status = 401


class Forbidden(QueueError):
    code = "forbidden"
    status = 403


class NotFound(QueueError):
    code = "not_found"
    status = 404


class UnknownService(NotFound):
    code = "unknown_service"


class UnknownWindow(NotFound):
    code = "unknown_window"


class UnknownTicket(NotFound):
    code = "unknown_ticket"


class PayloadTooLarge(QueueError):
    code = "payload_too_large"
    status = 413


class Conflict(QueueError):
    code = "conflict"
    status = 409


class ServiceClosed(Conflict):
    code = "service_closed"


class DailyCapReached(Conflict):
    code = "daily_cap_reached"


class WindowPaused(Conflict):
    code = "window_paused"


class WindowClosed(Conflict):
    code = "window_closed"


class WindowTaken(Conflict):
    code = "window_taken"


class WrongState(Conflict):
    """The action does not fit the ticket's (or window's) current state."""

    code = "wrong_state"


class QueueEmpty(Conflict):
    code = "queue_empty"


class TransferRefused(Conflict):
    """A well-formed transfer the hall cannot take now: the target service or window is stopped,
    nobody calls it, or it would leave the ticket where it is."""

    code = "transfer_refused"


class AlreadyEvaluated(Conflict):
    code = "already_evaluated"


class EvaluationClosed(Conflict):
    """The time to rate this ticket through this channel has passed."""

    code = "evaluation_closed"


# --- appointments (预约) --------------------------------------------------------

class UnknownAppointment(NotFound):
    code = "unknown_appointment"


class SlotFull(Conflict):
    code = "slot_full"


class BookingClosed(Conflict):
    """The slot is past its booking deadline, closed by the hall, or not a bookable day."""

    code = "booking_closed"


class AlreadyBooked(Conflict):
    code = "already_booked"


class BookingBanned(Forbidden):
    """Too many 爽约 (bookings not kept): no booking until `until`."""

    code = "booking_banned"


class CheckInTooEarly(Conflict):
    code = "checkin_too_early"


class CheckInTooLate(Conflict):
    code = "checkin_too_late"


class AlreadyWaiting(Conflict):
    """The same person (by ID card) already holds a waiting ticket of the service."""

    code = "already_waiting"
