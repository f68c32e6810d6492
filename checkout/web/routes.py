"""Hosted pages: parse, call one service, render.

The full page includes its status fragment; the polling endpoint renders the
fragment alone, answers 204 while nothing changed (htmx keeps the page and
the focus as they are) and 286 once the checkout is final (htmx stops polling).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, g, make_response, redirect, render_template, request
from flask import url_for as flask_url_for

from checkout import clock, limits
from checkout.domain.lifecycle import TERMINAL
from checkout.domain.money import display_rupees
from checkout.domain.upi import app_links
from checkout.domain.vocabulary import Status
from checkout.extensions import csrf, limiter
from checkout.gateway import Gateway, client_ip, current_gateway
from checkout.i18n import current_language
from checkout.qr import qr_png_data_uri
from checkout.services import checkouts, early_tick, keys, relays, sandbox, ticks, utr
from checkout.services.checkouts import Checkout
from checkout.services.errors import (
    FORM_EXPIRED,
    Conflict,
    InvalidRequest,
    NotFound,
    ServiceError,
)
from checkout.services.presenters import iso
from checkout.services.receipts import receipt_for
from checkout.urls import header_url, origin_of, with_query
from checkout.web.forms import ActionForm
from checkout.webhooks import REDIRECT_FIELDS, sign_fields

bp = Blueprint("pay", __name__)
View = TypeVar("View", bound=Callable[..., Any])

# What a UTR post came to, as the page says it: a claim's utrStatus, or why none was kept.
UTR_NOTES = (utr.MATCHED, utr.WAITING, utr.MISMATCH, "invalid", "refused")
STOP_POLLING = 286  # htmx 2 stops an `every` trigger on this status
POLL_SECONDS = 2
URGENT_SECONDS = 120  # the countdown says "less than 2 minutes left" from here on
# Per IP, counting only posts that open a checkout: each holds an amount for its grace window.


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_embed() -> bool:
    return request.args.get("embed") == "1"


def merchant_return_url(session: Checkout, *, leaving: bool = False) -> str | None:
    """Where the customer goes back to: returnUrl on success, cancelUrl (or returnUrl) else,
    and when `leaving` (an error page) before the checkout is final.

    Signed (t, signature) with the creating key's signing key, so the merchant can
    trust the status without a call; fulfilment still belongs on the webhook.
    """
    target = session.returnUrl
    if leaving or session.status in (Status.CANCELLED.value, Status.EXPIRED.value):
        target = session.cancelUrl or session.returnUrl
    if not target:
        return None
    params = {"orderId": session.orderId, "status": session.status}
    gateway = current_gateway()
    key = keys.signing_key_for(gateway.merchant, gateway.settings, session.keyId)
    if key is not None:
        params["t"] = str(int(clock.utcnow().timestamp()))
        params["signature"] = sign_fields(params, key, REDIRECT_FIELDS)
    # Pure ASCII: it goes into Location and HX-Redirect headers as well as the page.
    return header_url(with_query(target, **params))


def page_url(endpoint: str, session: Checkout, **extra: Any) -> str:
    if is_embed():
        extra["embed"] = "1"
    return flask_url_for(endpoint, token=session.token, **extra)


def _checking_since() -> datetime | None:
    """When "I've paid" was pressed, as the poll URL carries it (epoch milliseconds)."""
    raw = request.args.get("checking", "")
    if not raw.isdigit() or len(raw) > 15:
        return None
    return datetime.fromtimestamp(int(raw) / 1000, UTC)


def _press_mark(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _checking(status: str, since: datetime | None) -> bool:
    if since is None or status != Status.PENDING.value:
        return False
    gateway = current_gateway()
    return early_tick.still_checking(
        gateway.store, gateway.settings, since=since, now=clock.utcnow()
    )


def start_again_url(session: Checkout) -> str | None:
    """An expired or cancelled checkout opened from a payment link leads back to the link."""
    slug = (session.metadata or {}).get("link")
    closed = session.status in (Status.EXPIRED.value, Status.CANCELLED.value)
    if session.source != "link" or not slug or not closed or is_embed():
        return None
    return flask_url_for("pay.link_page", slug=slug)


def page_context(
    session: Checkout,
    *,
    checking: datetime | None = None,
    not_seen: datetime | None = None,
    utr_note: str | None = None,
) -> dict[str, Any]:
    """`checking`: an early tick asked for then may still run (the busy state);
    `not_seen`: the press whose tick has run and found nothing for this checkout.

    Both ride in the poll URL (`checking=<press>`, plus `noted=1` once the page says
    "not yet"): the server keeps no per-customer state (the page may sit in a
    third-party iframe that gets no cookies), and a reload without JavaScript keeps
    the message through the page's own URL.
    """
    gateway = current_gateway()
    settings = gateway.settings
    uri = checkouts.payment_uri(session, settings)
    terminal = Status(session.status) in TERMINAL
    poll_args: dict[str, Any] = {"seen": session.status}
    press = checking or not_seen
    if press is not None:
        poll_args["checking"] = _press_mark(press)
    if not_seen is not None:
        poll_args["noted"] = "1"
    seconds_left = max(0, int((session.expiresAt - clock.utcnow()).total_seconds()))
    return {
        "session": session,
        "settings": settings,
        "embed": is_embed(),
        "terminal": terminal,
        "amount_text": display_rupees(session.amountPaise),
        "requested_text": display_rupees(session.totalAmountPaise),
        "suffixed": session.amountPaise != session.totalAmountPaise,
        "upi_uri": uri,
        "app_links": app_links(uri),
        "qr_data_uri": None if terminal else qr_png_data_uri(uri),
        "return_url": merchant_return_url(session),
        "expires_at": iso(session.expiresAt),
        "seconds_left": seconds_left,
        "urgent_seconds": URGENT_SECONDS,
        "urgent": not terminal and seconds_left <= URGENT_SECONDS,
        "start_again_url": start_again_url(session),
        "form": ActionForm(meta={"csrf_context": session.token}),
        "poll_url": page_url("pay.status", session, **poll_args),
        "checking": checking is not None,
        "not_seen": not_seen is not None,
        "utr_note": utr_note,  # what the customer's UTR came to (UTR_NOTES)
        # None until completed; its time written in the page's language.
        "receipt": receipt_for(gateway.store, settings, session, language=current_language()),
        # A silent relay may never bring this payment's SMS: ask for the UTR instead.
        "relay_silent": not terminal
        and relays.relay_status(gateway.store, gateway.evidence, settings, now=clock.utcnow())
        == relays.SILENT,
        "poll_seconds": POLL_SECONDS,
        "page_url": page_url,
        "allowed_origins": list(settings.allowed_origins),
    }


def _session(token: str) -> Checkout:
    return checkouts.find_checkout_by_token(current_gateway().store, token, now=clock.utcnow())


def _leave_for_merchant(session: Checkout, return_url: str | None) -> str | None:
    """Paid or cancelled: a full page goes back to the merchant (an iframe posts instead)."""
    done = session.status in (Status.COMPLETED.value, Status.CANCELLED.value)
    return return_url if done and not is_embed() else None


def _fragment(
    session: Checkout,
    *,
    checking: datetime | None = None,
    not_seen: datetime | None = None,
    utr_note: str | None = None,
) -> Response:
    """The status fragment for htmx; tells the browser to leave for the merchant when done."""
    context = page_context(session, checking=checking, not_seen=not_seen, utr_note=utr_note)
    response = make_response(render_template("pay/partials/status.html", **context))
    response.status_code = STOP_POLLING if context["terminal"] else 200
    leave = _leave_for_merchant(session, context["return_url"])
    if leave:
        response.headers["HX-Redirect"] = leave
        response.status_code = 200
    return response


def _after_action(session: Checkout, *, checking: datetime | None = None) -> Response:
    if is_htmx():
        return _fragment(session, checking=checking)
    leave = _leave_for_merchant(session, merchant_return_url(session))
    extra = {"checking": _press_mark(checking)} if checking is not None else {}
    return redirect(leave or page_url("pay.page", session, **extra), code=303)


def _checked_action_form(token: str) -> None:
    form = ActionForm(meta={"csrf_context": token})
    if not form.validate_on_submit():
        raise ServiceError(FORM_EXPIRED)


def button(path: str, limit: limits.Limit = limits.ACTIONS) -> Callable[[View], View]:
    """A pay-page button's route: a POST exempt from the cookie CSRF check because the
    view checks a checkout-bound token instead (ActionForm, see forms.py), so it works in
    a third-party iframe; limited per checkout (the token), never per IP (many customers
    share one carrier address)."""

    def declare(view: View) -> View:
        limited = limiter.limit(limit, key_func=limits.checkout_token)(csrf.exempt(view))
        return bp.post(path)(limited)

    return declare


# -- pages ------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    return render_template("pay/index.html", settings=current_gateway().settings)


@bp.get("/pay/<token>")
def page(token: str) -> str:
    session = _session(token)
    if is_embed():
        g.frame_ancestors = current_gateway().settings.allowed_origins
    merchant_urls = (session.returnUrl, session.cancelUrl)
    g.form_targets = {origin for url in merchant_urls if url and (origin := origin_of(url))}
    since = _checking_since()
    busy = _checking(session.status, since)
    shown = since is not None and not busy and session.status == Status.PENDING.value
    note = request.args.get("utr")
    context = page_context(
        session,
        checking=since if busy else None,
        not_seen=since if shown else None,
        utr_note=note if note in UTR_NOTES else None,
    )
    return render_template("pay/page.html", **context)


@bp.get("/pay/<token>/status")
@limits.counted(limits.STATUS, limits.checkout_token)
def status(token: str) -> Response:
    """While an early tick may still run, "nothing changed" keeps the busy state on screen;
    once it has run without finding the payment, the fragment says so."""
    view = checkouts.status_by_token(current_gateway().store, token, now=clock.utcnow())
    since = _checking_since()
    unchanged = request.args.get("seen") == view.status
    if _checking(view.status, since):
        return Response(status=204) if unchanged else _fragment(_session(token), checking=since)
    if since is not None and view.status == Status.PENDING.value:
        # "Not yet" stays on screen, unannounced again, until the state changes.
        if unchanged and request.args.get("noted") == "1":
            return Response(status=204)
        return _fragment(_session(token), not_seen=since)
    if unchanged and Status(view.status) not in TERMINAL:
        return Response(status=204)
    return _fragment(_session(token))


@button("/pay/<token>/paid")
def paid(token: str) -> Response:
    """ "I've paid": start an early tick and answer at once with the busy state.

    Never waits for the tick (a flood of presses would hold every worker thread);
    the page's polling, or a reload without JavaScript, shows what it found.
    """
    _checked_action_form(token)
    session = _session(token)
    if session.status != Status.PENDING.value:
        return _after_action(session)
    early_tick.for_ticker(current_gateway().ticker).start()
    return _after_action(session, checking=clock.utcnow())


@button("/pay/<token>/cancel")
def cancel(token: str) -> Response:
    """Cancel asks first: only a post with `confirm=yes` (the confirmation's own button)
    cancels; any other post shows the question, as a page or as the panel for htmx."""
    _checked_action_form(token)
    gateway = current_gateway()
    session = _session(token)
    if request.form.get("confirm") != "yes" and session.status == Status.PENDING.value:
        return _confirm_cancel(session)
    try:
        session = checkouts.cancel_checkout(
            gateway.store, gateway.settings, session.orderId, now=clock.utcnow(), ip=client_ip()
        )
    except ServiceError:
        session = _session(token)  # already final: show what it is
    return _after_action(session)


def _confirm_cancel(session: Checkout) -> Response:
    context = page_context(session)
    if is_htmx():
        return make_response(render_template("pay/partials/cancel_confirm.html", **context))
    if is_embed():
        g.frame_ancestors = current_gateway().settings.allowed_origins
    # "Yes, cancel" ends in a redirect to the merchant, which form-action must allow.
    merchant_urls = (session.returnUrl, session.cancelUrl)
    g.form_targets = {origin for url in merchant_urls if url and (origin := origin_of(url))}
    return make_response(render_template("pay/cancel_confirm.html", **context))


def _sandbox_checkout(token: str) -> Checkout:
    """A sandbox button's checkout: no such page outside the sandbox, then the form's token."""
    if not current_gateway().settings.sandbox:
        raise NotFound("Not found")
    _checked_action_form(token)
    return _session(token)


@button("/pay/<token>/simulate")
def simulate(token: str) -> Response:
    """Sandbox only: pay the exact amount into the pretend wallet, as a UPI app would."""
    return _sandbox_pays(token, _pay_into_the_wallet)


def _pay_into_the_wallet(gateway: Gateway, order_id: str) -> None:
    read = ticks.read_sandbox_now(
        gateway.store, gateway.provider, gateway.settings, owner=gateway.ticker.owner
    )
    sandbox.pay_checkout(gateway.store, order_id, now=clock.utcnow(), read_wallet=read)
    ticks.tick_soon(gateway.store, gateway.provider, gateway.settings, owner=gateway.ticker.owner)


def _sandbox_pays(token: str, pay: Callable[[Gateway, str], object]) -> Response:
    """A sandbox button: pay a pending checkout as its customer would, then show the page."""
    session = _sandbox_checkout(token)
    if session.status == Status.PENDING.value:
        pay(current_gateway(), session.orderId)
    return _after_action(_session(token))


@button("/pay/<token>/simulate-sms")
def simulate_sms(token: str) -> Response:
    """Sandbox only: the bank's credit SMS for the exact amount, through the relay path."""
    return _sandbox_pays(
        token,
        lambda gateway, order_id: sandbox.send_bank_sms(
            gateway.store, gateway.evidence, gateway.settings, order_id, now=clock.utcnow()
        ),
    )


@button("/pay/<token>/utr", limits.UTR)
def claim_utr(token: str) -> Response:
    """The customer's UTR: weighed against the bank's evidence, never believed alone."""
    _checked_action_form(token)
    gateway = current_gateway()
    typed, now = request.form.get("utr", ""), clock.utcnow()
    try:
        found = utr.claim(
            gateway.store,
            gateway.claims,
            gateway.settings,
            _session(token),
            typed,
            now=now,
            ip=client_ip(),
        )
        note = found.utr_status
    except InvalidRequest:
        note = "invalid"
    except Conflict:
        note = "refused"
    session = _session(token)
    if is_htmx():
        return _fragment(session, utr_note=note)
    leave = _leave_for_merchant(session, merchant_return_url(session))
    return redirect(leave or page_url("pay.page", session, utr=note), code=303)
