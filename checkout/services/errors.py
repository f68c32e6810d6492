"""Failures a service reports to its caller; views turn them into 4xx/5xx answers."""

from __future__ import annotations


class ServiceError(Exception):
    """A use case refused; `status` is the HTTP status that says why."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class Unauthorized(ServiceError):
    status = 401


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Unavailable(ServiceError):
    """Nothing was decided; ``retry_after`` (seconds) tells the caller when trying again helps."""

    status = 503

    def __init__(
        self, message: str, *, retry_after: int = 5, field: str | None = None, **extra: object
    ) -> None:
        super().__init__(message, field=field, **extra)
        self.retry_after = max(1, int(retry_after))
