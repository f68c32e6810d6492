"""HTML forms (flask-wtf): CSRF on every one, messages by each field."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, StringField
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from checkout.domain.contact import is_email
from checkout.domain.money import MoneyError, parse_rupees


class CheckoutBoundCSRF(CSRF):
    """A form token bound to one checkout (its pay token), not to a session cookie.

    The pay page also runs in an iframe on the merchant's site, where the browser
    neither sets nor sends our cookies (SameSite, third-party cookie blocking), so a
    cookie-bound token would fail every button there. The pay token is the customer's
    capability already; this token proves the post came from a page we rendered for it.
    """

    def setup_form(self, form: Form) -> Any:
        self.meta = form.meta
        return super().setup_form(form)

    def _expected(self) -> str:
        secret = self.meta.csrf_secret
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        message = f"pay-action:{self.meta.csrf_context}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def generate_csrf_token(self, csrf_token_field: CSRFTokenField) -> str:
        return self._expected()

    def validate_csrf_token(self, form: Form, field: CSRFTokenField) -> None:
        if not isinstance(field.data, str) or not hmac.compare_digest(field.data, self._expected()):
            raise ValidationError("The form is not from this checkout's page.")


class ActionForm(FlaskForm):
    """The buttons on the pay page ("I've paid", "Cancel", "Simulate payment"): CSRF only.

    Build it with `ActionForm(meta={"csrf_context": session.token})`.
    """

    class Meta:
        csrf_class = CheckoutBoundCSRF


class LinkCheckoutForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    note = StringField("Note for the merchant (optional)", validators=[Optional(), Length(max=120)])
    amount = StringField("Amount in rupees", validators=[Optional()])

    def __init__(self, *args: Any, max_paise: int, fixed_amount: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_paise = max_paise
        self._fixed_amount = fixed_amount
        self.amount_paise: int | None = None

    def validate_email(self, field: StringField) -> None:
        if not is_email(field.data or ""):
            raise ValidationError("Enter an email address like name@example.com")

    def validate_amount(self, field: StringField) -> None:
        if self._fixed_amount:
            return
        try:
            self.amount_paise = parse_rupees(field.data or "", max_paise=self._max_paise)
        except MoneyError as exc:
            raise ValidationError(f"Amount {exc}") from None
