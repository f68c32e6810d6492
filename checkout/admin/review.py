"""Console: the review queue (`/admin/credits`): assign a credit to a checkout, or dismiss it.

Every decision calls checkout.services.credits, the API's own service, so a double
click assigns once (the second is refused by the credit's conditional update).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from checkout import clock
from checkout.admin.access import bp, current_user_id, signed_in
from checkout.gateway import current_gateway
from checkout.services import credits, review
from checkout.services.console_payments import local_text
from checkout.services.errors import ServiceError


class AssignForm(FlaskForm):
    orderId = HiddenField(validators=[DataRequired(), Length(max=64)])


class DismissForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=200)])


def local_time() -> Callable[[datetime | None], str]:
    """The templates' `when`: a moment as the merchant's wall clock shows it."""
    return partial(local_text, tz=current_gateway().settings.display_timezone)


def _decider() -> dict[str, Any]:
    return {"now": clock.utcnow(), "who": current_user_id() or "console"}


@bp.route("/credits")
@signed_in
def credits_queue() -> Any:
    store = current_gateway().store
    return render_template(
        "admin/review.html",
        queue=review.queue(store),
        claims=review.refused_claims(),
        dismiss_form=DismissForm(),
        when=local_time(),
    )


@bp.route("/credits/<credit_id>/assign", methods=["GET", "POST"])
@signed_in
def assign_credit(credit_id: str) -> Any:
    store = current_gateway().store
    form = AssignForm()
    error = None
    if form.validate_on_submit():
        try:
            credits.assign(store, credit_id, form.orderId.data, **_decider())
        except ServiceError as exc:
            error = exc.message
        else:
            flash(f"Assigned to {form.orderId.data}.")
            return redirect(url_for("admin.credits_queue"))
    credit, found = review.candidates(store, credit_id, now=clock.utcnow())
    return render_template(
        "admin/partials/assign.html",
        credit=credit,
        candidates=found,
        form=form,
        error=error,
        when=local_time(),
    ), (409 if error else 400 if form.errors else 200)


@bp.route("/credits/<credit_id>/dismiss", methods=["POST"])
@signed_in
def dismiss_credit(credit_id: str) -> Any:
    form = DismissForm()
    if not form.validate_on_submit():
        flash("Give a reason to dismiss a credit.")
        return redirect(url_for("admin.credits_queue"), code=303)
    try:
        credits.dismiss(current_gateway().store, credit_id, form.reason.data, **_decider())
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("Credit dismissed.")
    return redirect(url_for("admin.credits_queue"), code=303)
