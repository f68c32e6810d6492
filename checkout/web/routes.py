"""Hosted pages: read the store, render. Polling renders the status fragment alone."""

from __future__ import annotations

from flask import Blueprint, render_template

from checkout.clock import utcnow
from checkout.domain.lifecycle import TERMINAL, Status
from checkout.domain.money import display_rupees
from checkout.gateway import current_gateway
from checkout.qr import qr_png_data_uri
from checkout.services import checkouts
from checkout.storage.models import PaymentSession

bp = Blueprint("pay", __name__)

STOP_POLLING = 286  # htmx 2 stops an `every` trigger on this status


def _page_context(session: PaymentSession) -> dict[str, object]:
    settings = current_gateway().settings
    uri = checkouts.payment_uri(session, settings)
    return {
        "session": session,
        "settings": settings,
        "amount_text": display_rupees(session.amountPaise),
        "suffixed": session.amountPaise != session.totalAmountPaise,
        "upi_uri": uri,
        "qr_data_uri": qr_png_data_uri(uri),
        "terminal": Status(session.status) in TERMINAL,
    }


@bp.get("/")
def index() -> str:
    return render_template("pay/index.html", settings=current_gateway().settings)


@bp.get("/pay/<token>")
def page(token: str) -> str:
    session = checkouts.find_checkout_by_token(current_gateway().store, token, now=utcnow())
    return render_template("pay/page.html", **_page_context(session))


@bp.get("/pay/<token>/status")
def status(token: str) -> tuple[str, int]:
    session = checkouts.find_checkout_by_token(current_gateway().store, token, now=utcnow())
    context = _page_context(session)
    code = STOP_POLLING if context["terminal"] else 200
    return render_template("pay/partials/status.html", **context), code
