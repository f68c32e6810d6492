"""Failures a service (or a view) reports to its caller; checkout.errors turns them into answers.

There is one way to refuse a request: raise one of these. checkout.errors maps
each to the JSON form for API clients and the page form for people, so a view
never builds an error answer itself.
"""

from __future__ import annotations

# The words for a form whose CSRF token is missing, stale or from another page.
FORM_EXPIRED = "This form has expired or was not sent from this site."
# The words of every 429, from flask-limiter's routes and from the one-counter reads alike.
RATE_LIMITED = "Too many requests, slow down and try again later"


class ServiceError(Exception):
    """A use case refused; `status` is the HTTP status that says why.

    `field` names what to fix; `detail` says what is wrong with it when that reads
    better than repeating the message. Any other keyword goes into the JSON answer
    as context (the checkout's `status` on a 409, say).
    """

    status = 400

    def __init__(
        self, message: str, *, field: str | None = None, detail: str | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail
        self.extra = extra

    @property
    def details(self) -> list[dict[str, str]]:
        if not self.field:
            return []
        return [{"field": self.field, "message": self.detail or self.message}]

    def headers(self) -> dict[str, str]:
        """Response headers the answer needs (none, unless a subclass says so)."""
        return {}


class InvalidRequest(ServiceError):
    """A request that breaks several rules at once: one detail per field to fix."""

    def __init__(self, message: str, details: list[dict[str, str]]) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> list[dict[str, str]]:
        return self._details


class Unauthorized(ServiceError):
    status = 401  # no key or nonce, or one nobody issued


class Forbidden(ServiceError):
    status = 403  # a known caller that may not: a foreign origin, a key that is not the master


class NotFound(ServiceError):
    status = 404  # also what a caller gets for what it may not see: the two look alike


class Conflict(ServiceError):
    status = 409  # the state refuses it: already used, already paid, already cancelled


class BadGateway(ServiceError):
    """The wallet provider did not answer; nothing was decided."""

    status = 502


class TooManyRequests(ServiceError):
    """A rate limit refused the request; ``retry_after`` is when its window opens again."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(RATE_LIMITED)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(ServiceError):
    """Nothing was decided; ``retry_after`` (seconds) tells the caller when trying again helps."""

    status = 503

    def __init__(
        self, message: str, *, retry_after: int = 5, field: str | None = None, **extra: object
    ) -> None:
        super().__init__(message, field=field, **extra)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
