"""Console: record a refund against a paid checkout (`/admin/checkouts/<id>/refund`).

The merchant sends the money from their own UPI app (the QR below pays the payer's
address back); this page records it through the API's own service, so racing
clicks never refund more than was paid.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, ValidationError

from checkout import clock
from checkout.admin.access import bp, current_user_id, signed_in
from checkout.admin.review import local_time
from checkout.domain.money import MoneyError, parse_rupees, rupees_decimal
from checkout.gateway import current_gateway
from checkout.qr import qr_svg
from checkout.services import refunds, utr
from checkout.services.errors import ServiceError


class RefundForm(FlaskForm):
    amount = StringField("Amount in rupees")
    utr = StringField("UTR of the refund (12 digits, optional)", validators=[Optional()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=200)])
    from_wallet = BooleanField("I sent it from the watched wallet")

    def __init__(self, *args: Any, max_paise: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_paise = max_paise
        self.amount_paise = 0

    def validate_amount(self, field: StringField) -> None:
        try:
            self.amount_paise = parse_rupees(field.data or "", max_paise=self._max_paise)
        except MoneyError as exc:
            raise ValidationError(f"Amount {exc}") from None

    def validate_utr(self, field: StringField) -> None:
        try:
            field.data = utr.checked_utr(field.data or "")
        except ServiceError:
            raise ValidationError(utr.UTR_MESSAGE) from None


@bp.route("/checkouts/<id>/refund", methods=["GET", "POST"])
@signed_in
def refund(id: str) -> Any:
    gateway = current_gateway()
    store = gateway.store
    session = refunds.find_session(store, id)
    form = RefundForm(max_paise=gateway.settings.max_amount_paise)
    error = None
    if form.validate_on_submit():
        try:
            refunds.create_refund(
                store,
                gateway.settings,
                id,
                amount_paise=form.amount_paise,
                utr=form.utr.data or None,
                note=form.note.data or None,
                by=current_user_id() or "console",
                now=clock.utcnow(),
                from_wallet=bool(form.from_wallet.data),
            )
        except ServiceError as exc:
            error = exc.message
        else:
            flash("Refund recorded.")
            return redirect(url_for("admin.refund", id=id))
    listed = refunds.list_refunds(store, id)
    left = int(listed.refundable * 100)
    link = refunds.refund_link(store, session, left) if left > 0 else None
    return render_template(
        "admin/refund.html",
        session=session,
        public_id=id,
        form=form,
        error=error,
        listed=listed,
        paid=rupees_decimal(refunds.amount_paid(session)),
        qr=qr_svg(link, title="UPI QR paying the payer back") if link else None,
        link=link,
        notice=refunds.BALANCE_ONLY_NOTICE if gateway.settings.balance_only else None,
        when=local_time(),
        ask_wallet=refunds.balance_only_wallet(gateway.settings),
    ), (400 if error or form.errors else 200)
