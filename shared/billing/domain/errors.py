"""Domain errors. The HTTP layer maps each class to one status in one table (http/errors.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class PublicRefusal(Conflict):
    """A refusal a buyer reads on a public page: ``reason`` is the key of its text in the page
    section of billing.texts, said in ``locale`` (the tenant's); ``message`` is Billow's record."""

    def __init__(self, reason: str, message: str, locale: str = ""):
        super().__init__(message)
        self.reason = reason
        self.locale = locale


class Forbidden(DomainError):
    code = "forbidden"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a business rule; names every offending field."""

    code = "validation_error"

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def of(cls, field_name: str, message: str) -> ValidationFailed:
        return cls(FieldError(field_name, message))


@dataclass
class Refusal:
    """Why an operation is not allowed, with every reason found (used for 409 bodies)."""

    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reasons)


class DebtorNumberTaken(Conflict):
    def __init__(self, number: int):
        super().__init__(f"debtor_number {number} is already used by another customer")
        self.number = number


class SkuTaken(Conflict):
    def __init__(self, sku: str):
        super().__init__(f"sku {sku!r} is already used by another product")
        self.sku = sku


class StaleWrite(Conflict):
    def __init__(self, what: str):
        super().__init__(f"{what} was changed by someone else meanwhile; fetch it again and retry")


# The field an error names when a caller's request key (its Idempotency-Key header) is the problem.
REQUEST_KEY_FIELD = "Idempotency-Key"


class RequestTaken(Conflict):
    """A request key (a caller's Idempotency-Key) already names a record of this tenant."""

    def __init__(self, request_key: str):
        super().__init__(f"request {request_key!r} was already made")
        self.request_key = request_key


class BadRequest(DomainError):
    """A request that cannot be read at all (HTTP 400), e.g. a webhook whose signature fails."""

    code = "bad_request"


class PaymentFailed(DomainError):
    """The processor declined a charge; the payment is recorded as failed (HTTP 402)."""

    code = "payment_failed"

    def __init__(self, payment_id: str, message: str | None, decline_code: str | None, authentication_required: bool):
        super().__init__(message or "the payment was declined")
        self.payment_id = payment_id
        self.decline_code = decline_code
        self.authentication_required = authentication_required


class ProcessorUnavailable(DomainError):
    """The processor could not be reached, or failed: nothing is known to have happened, and
    nothing was charged twice. Retry (with the same Idempotency-Key); HTTP 503."""

    code = "processor_unavailable"


class DeliveryFailed(DomainError):
    """An email could not be handed to the mail service; nothing was recorded as sent (HTTP 503)."""

    code = "delivery_failed"


class InvalidSignature(BadRequest):
    """A webhook delivery whose signature is missing, wrong or too old."""

    code = "invalid_signature"


class InvalidEvent(BadRequest):
    """A correctly signed webhook delivery whose payload is not an event (no id or type)."""

    code = "invalid_event"
