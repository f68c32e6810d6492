"""One declaration per route: where it is, who may call it, what it takes and what it answers.

A route is declared once, by its decorator and its signature:

    @sessions.get("/api/v1/checkout-sessions/<id>", "A checkout session", errors=(404,))
    def get_checkout_session(id: SessionId) -> CheckoutSession: ...

The view's parameters say what it reads (`body` and `query` are models, the rest
are URL variables) and its return annotation says what it answers. The same
declaration runs the route (rate limit, key check, request parsed through the
models, answer written only if it is the declared model) and describes it:
checkout.api.openapi walks app.url_map and reads each view's declaration. So the
document cannot describe a request the route does not read, nor an answer it does
not give, and a wrong answer fails where it is built.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from checkout import clock, limits
from checkout.api.auth import current_caller, require_master, require_merchant
from checkout.errors import error_answer
from checkout.extensions import limiter
from checkout.gateway import current_gateway
from checkout.services import idempotency
from checkout.services.errors import InvalidRequest, ServiceError
from checkout.services.presenters import Reply, plain

Model = TypeVar("Model", bound=BaseModel)
Answer = Reply | tuple[Reply, int]
View = Callable[..., Answer]
Limit = str | Callable[[], str]

ATTRIBUTE = "__operation__"
INPUTS = ("body", "query")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class AnswerMismatch(RuntimeError):
    """A view answered something its declaration does not name: a bug, never the client's."""


@dataclass(frozen=True)
class Operation:
    """What the document says about one route, and what the route enforces."""

    summary: str
    tag: str
    responses: Mapping[int, type[Reply]]  # success (and other non-error) answers
    extra_errors: tuple[int, ...] = ()  # what this route refuses beyond the common ones
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path: Mapping[str, Any] = field(default_factory=dict)  # URL variable -> annotated type
    secured: bool = False  # a Bearer key (or ADMIN_SECRET) is required
    master_only: bool = False  # ... and it must be ADMIN_SECRET
    # The route's own proof of its caller, run instead of the key check (evidence relays).
    auth: Callable[[], object] | None = None
    # The body's media types and the model each is read with, when not JSON alone.
    media: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    limited: bool = True
    origin_checked: bool = True  # an /api route: a foreign browser origin is refused
    # Honours Idempotency-Key; the scope keeps one route's keys apart from another's
    # ("cancel:{id}" is formatted with the URL variables).
    idempotency_scope: str | None = None
    # Runs before the request is read (after the key check), e.g. "sandbox only".
    guard: Callable[[], None] | None = None
    notes: Mapping[int, str] = field(default_factory=dict)  # error texts that differ
    description: str = ""

    @property
    def needs_key(self) -> bool:
        return self.secured or self.master_only or self.auth is not None

    @property
    def body_media(self) -> Mapping[str, type[BaseModel]]:
        """Each media type the body may come in, with the model it is read with."""
        if self.media:
            return self.media
        return {JSON: self.body} if self.body is not None else {}

    @property
    def idempotent(self) -> bool:
        return self.idempotency_scope is not None

    @property
    def errors(self) -> tuple[int, ...]:
        """Every error status: each common one comes from the step that can refuse."""
        found = set(self.extra_errors)
        if self.body is not None or self.query is not None or self.idempotent:
            found.add(400)  # the input is read (an Idempotency-Key included)
        if self.body is not None or self.idempotent:
            found.add(413)  # the body is read (an idempotent retry hashes it)
        if self.needs_key:
            found.add(401)
        if self.origin_checked:
            found.add(403)
        if self.limited:
            found.update((429, 503))  # the limiter's counters may live in the store
        return tuple(sorted(found))

    @property
    def success_status(self) -> int:
        """The status of a view that returns a bare model: its one declared 2xx."""
        (status,) = (code for code in self.responses if code < 300)
        return status


class Routes:
    """Declares a group of routes on a blueprint: their tag and what they share."""

    def __init__(self, blueprint: Blueprint, *, tag: str, **defaults: Any) -> None:
        self.blueprint = blueprint
        self.tag = tag
        self.defaults = defaults

    def get(self, rule: str, summary: str, **declared: Any) -> Callable[[View], View]:
        return self.route("GET", rule, summary, **declared)

    def post(self, rule: str, summary: str, **declared: Any) -> Callable[[View], View]:
        return self.route("POST", rule, summary, **declared)

    def delete(self, rule: str, summary: str, **declared: Any) -> Callable[[View], View]:
        return self.route("DELETE", rule, summary, **declared)

    def route(
        self,
        method: str,
        rule: str,
        summary: str,
        *,
        limit: Limit | None = limits.API,
        status: int = 200,
        responses: Mapping[int, type[Reply]] | None = None,
        errors: tuple[int, ...] = (),
        **declared: Any,
    ) -> Callable[[View], View]:
        """Register the view at `rule`, limited to `limit` (None: exempt), as declared."""

        def decorate(view: View) -> View:
            hints = get_type_hints(view, include_extras=True)
            names = list(inspect.signature(view).parameters)
            op = Operation(
                summary=summary,
                tag=self.tag,
                responses=responses or {status: hints["return"]},
                extra_errors=errors,
                body=hints.get("body"),
                query=hints.get("query"),
                path={name: hints[name] for name in names if name not in INPUTS},
                limited=limit is not None,
                origin_checked=rule.startswith("/api"),
                **{**self.defaults, **declared},
            )
            handler = _runner(op, view)
            limited = limiter.exempt(handler) if limit is None else _limited(limit, handler)
            self.blueprint.add_url_rule(rule, view.__name__, limited, methods=[method])
            return view

        return decorate


def _limited(limit: Limit, handler: Callable[..., Response]) -> Callable[..., Response]:
    """The route's limit per client IP, or RATE_LIMIT_KEYED per key for a merchant key."""
    route_limit = limit if callable(limit) else (lambda: limit)
    keyed = limits.per_key_or(route_limit)  # type: ignore[arg-type]
    if isinstance(limit, limits.ReadLimit):
        return limits.counted(keyed, limits.key_or_ip)(handler)
    return limiter.limit(keyed, key_func=limits.key_or_ip)(handler)


def _runner(op: Operation, view: View) -> Callable[..., Response]:
    @functools.wraps(view)
    def run(**path: str) -> Response:
        if op.auth is not None:
            op.auth()
        elif op.master_only:
            require_master()
        elif op.secured:
            require_merchant()
        if op.guard is not None:
            op.guard()
        inputs: dict[str, BaseModel] = {}
        if op.media:
            inputs["body"] = parse_media(op.media)
        elif op.body is not None:
            inputs["body"] = parse_body(op.body)
        if op.query is not None:
            inputs["query"] = parse_query(op.query)

        def answer() -> tuple[int, dict[str, Any]]:
            return written(op, view(**path, **inputs))

        if op.idempotency_scope is not None and "Idempotency-Key" in request.headers:
            return _once(op.idempotency_scope.format(**path), answer)
        return _json(*answer())

    setattr(run, ATTRIBUTE, op)
    return run


def declaration(view: Callable[..., Any] | None) -> Operation | None:
    """The Operation behind a registered view, through any decorators wrapped around it."""
    while view is not None:
        found = getattr(view, ATTRIBUTE, None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None


def written(op: Operation, result: Answer) -> tuple[int, dict[str, Any]]:
    """The status and JSON data of a view's answer, refused unless it is the declared model."""
    reply, status = result if isinstance(result, tuple) else (result, op.success_status)
    expected = op.responses.get(status)
    if expected is None or type(reply) is not expected:
        raise AnswerMismatch(
            f"{type(reply).__name__} answered with {status}; declared: "
            + ", ".join(f"{code} {model.__name__}" for code, model in op.responses.items())
        )
    return status, plain(reply)


def _json(status: int, data: dict[str, Any]) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


def _once(route: str, answer: Callable[[], tuple[int, dict[str, Any]]]) -> Response:
    """Run once per Idempotency-Key; a retry with the same body gets the first answer."""

    def produce() -> tuple[int, str]:
        """The answer this key keeps, written as any answer is: a refusal by the error path."""
        try:
            first = _json(*answer())
        except ServiceError as exc:
            if exc.status >= 500:
                raise  # nothing was decided: the key is released for a retry
            first = error_answer(exc)
        return first.status_code, first.get_data(as_text=True)

    status, text, replayed = idempotency.run_once(
        current_gateway().merchant,
        scope=f"{current_caller().key_id}:{route}",
        key=request.headers["Idempotency-Key"],
        body=request.get_data(),
        now=clock.utcnow(),
        produce=produce,
    )
    response = Response(text, status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# -- reading the request ---------------------------------------------------------------


def _validation_context() -> dict[str, Any]:
    return {"max_paise": current_gateway().settings.max_amount_paise}


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    details = []
    for error in exc.errors(include_url=False):
        # A rule across fields (a model validator) names the field to fix in its context.
        named = (error.get("ctx") or {}).get("field")
        where = ".".join(str(part) for part in error["loc"]) or str(named or "body")
        message = error["msg"].removeprefix("Value error, ")
        details.append({"field": where, "message": message})
    return details


def _validated(model: type[Model], data: Any) -> Model:
    """The request as the model reads it; what it refuses is the client's error (400).

    Only the request is read this way: a model the server builds wrongly raises its
    ValidationError as it is, a bug answered 500, never a 400 blaming the client.
    """
    try:
        return model.model_validate(data, context=_validation_context())
    except ValidationError as exc:
        raise InvalidRequest("Validation failed", validation_details(exc)) from None


def parse_body(model: type[Model]) -> Model:
    if not request.is_json:
        raise ServiceError(
            "Request body must be JSON", field="body", detail="send Content-Type: application/json"
        )
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(
            "Request body must be a JSON object", field="body", detail="expected a JSON object"
        )
    return _validated(model, data)


def parse_media(media: Mapping[str, type[BaseModel]]) -> BaseModel:
    """A body in one of the declared media types: JSON, a form, or the raw bytes."""
    model = media.get(request.mimetype)
    if model is None:
        raise ServiceError(
            f"Request body must be {' or '.join(media)}",
            field="body",
            detail=f"send Content-Type: {' or '.join(media)}",
        )
    if request.mimetype == JSON:
        return parse_body(model)
    if request.mimetype == FORM:
        return _validated(model, request.form.to_dict())
    return _validated(model, request.get_data())


def parse_query(model: type[Model]) -> Model:
    return _validated(model, request.args.to_dict())
