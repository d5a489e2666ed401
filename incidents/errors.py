from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a rule refused. Views and tests compare against these, never against the message text."""

    CAP = "cap"
    CLAIMS_OPEN = "claims_open"
    CSV_INVALID = "csv_invalid"
    DEADLINE_PASSED = "deadline_passed"
    DELAY_REASON = "delay_reason"
    DOCUMENTS_MISSING = "documents_missing"
    DUPLICATE = "duplicate"
    EMPTY_FILE = "empty_file"
    EXTENDED = "extended"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    FORBIDDEN = "forbidden"
    FOUR_EYES = "four_eyes"
    FROZEN = "frozen"
    INCIDENT_ONGOING = "incident_ongoing"
    INTAKE_CLOSED = "intake_closed"
    INTAKE_OPEN = "intake_open"
    INVALID_TRANSITION = "invalid_transition"
    NO_ROUNDS_LEFT = "no_rounds_left"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    NOT_DELIVERED = "not_delivered"
    NOTICE_INCOMPLETE = "notice_incomplete"
    OBJECTION_LATE = "objection_late"
    OBJECTION_WINDOW = "objection_window"
    OVERPAYMENT = "overpayment"
    PAY_DATE = "pay_date"
    PENDING = "pending"
    POLICY = "policy"
    REASON_REQUIRED = "reason_required"
    REFUSED = "refused"
    SAME_REVIEWER = "same_reviewer"
    WINDOW_OPEN = "window_open"


class DomainError(Exception):
    """A business rule refused the request; `message` is safe to show to the user."""

    def __init__(self, message, *, code=ErrorCode.REFUSED):
        super().__init__(str(message))
        self.message = message
        self.code = ErrorCode(code)

    def __str__(self):
        return str(self.message)
