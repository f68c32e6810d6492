"""Console: the Payments list (`/admin/checkouts`) and one checkout's page, with its actions.

Views parse, call one service, render: the list's query is
checkout.services.console_payments (the API can offer the same filters), a checkout's
page and its actions are checkout.services.console_checkout.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from checkout import clock
from checkout.admin.access import bp, current_user_id, signed_in
from checkout.gateway import client_ip, current_gateway, public_base_url
from checkout.services import console_checkout, console_payments
from checkout.services.console_payments import CheckoutFilters
from checkout.services.errors import InvalidRequest, ServiceError


class ActionForm(FlaskForm):
    """A button's form: nothing to fill in, but the CSRF token every post carries."""


def _who() -> str:
    return current_user_id() or "console"


@bp.route("/checkouts")
@signed_in
def checkouts() -> Any:
    settings = current_gateway().settings
    try:
        filters = console_payments.parse_filters(
            request.args.items(multi=True), max_paise=settings.max_amount_paise
        )
    except InvalidRequest as exc:
        shown = {name: request.args.get(name, "") for name in console_payments.PARAMETERS}
        return render_template(
            "admin/checkouts.html",
            page=None,
            problems=exc.details,
            form=shown,
            statuses=console_payments.STATUSES,
        ), 400
    page = console_payments.search(filters, tz=settings.display_timezone)
    return render_template(
        "admin/checkouts.html",
        page=page,
        problems=[],
        form=filters.form,
        statuses=console_payments.STATUSES,
    )


def _render_checkout(order_id: str, *, status: int = 200, error: str | None = None) -> Any:
    gateway = current_gateway()
    found = console_checkout.detail(
        gateway.store, order_id, tz=gateway.settings.display_timezone, now=clock.utcnow()
    )
    pay_link = public_base_url() + url_for("pay.page", token=found.session.token)
    return render_template(
        "admin/checkout.html", found=found, pay_link=pay_link, form=ActionForm(), error=error
    ), status


@bp.route("/checkouts/<order_id>")
@signed_in
def checkout(order_id: str) -> Any:
    return _render_checkout(order_id)


@bp.route("/checkouts/<order_id>/cancel", methods=["GET", "POST"])
@signed_in
def cancel_checkout(order_id: str) -> Any:
    """GET asks for confirmation (no script needed); the confirmed POST cancels once."""
    gateway = current_gateway()
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("This form has expired; confirm again.")
            return redirect(url_for("admin.cancel_checkout", order_id=order_id), code=303)
        try:
            console_checkout.cancel(
                gateway.store,
                gateway.settings,
                order_id,
                by=_who(),
                now=clock.utcnow(),
                ip=client_ip(),
            )
        except ServiceError as exc:
            if exc.status != 409:
                raise
            return _render_checkout(order_id, status=409, error=exc.message)
        flash("Checkout cancelled.")
        return redirect(url_for("admin.checkout", order_id=order_id), code=303)
    found = console_checkout.detail(
        gateway.store, order_id, tz=gateway.settings.display_timezone, now=clock.utcnow()
    )
    return render_template("admin/cancel.html", found=found, form=form)


@bp.route("/checkouts/<order_id>/deliveries/<delivery_id>/retry", methods=["POST"])
@signed_in
def retry_delivery(order_id: str, delivery_id: str) -> Any:
    gateway = current_gateway()
    form = ActionForm()
    if not form.validate_on_submit():
        flash("This form has expired; try again.")
        return redirect(url_for("admin.checkout", order_id=order_id), code=303)
    try:
        console_checkout.retry(
            gateway.store, gateway.merchant, order_id, delivery_id, by=_who(), now=clock.utcnow()
        )
    except ServiceError as exc:
        if exc.status != 409:
            raise
        flash(exc.message)
    else:
        flash("The webhook will be sent again shortly.")
    return redirect(url_for("admin.checkout", order_id=order_id), code=303)


__all__ = ["CheckoutFilters", "checkout", "checkouts"]
