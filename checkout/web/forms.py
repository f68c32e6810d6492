"""HTML forms (flask-wtf): CSRF on every one, messages by each field."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Form, StringField
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from checkout.domain.contact import is_email
from checkout.domain.money import MoneyError, parse_rupees, rupees_decimal


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
            raise ValidationError(gettext("The form is not from this checkout's page."))


class ActionForm(FlaskForm):
    """The buttons on the pay page ("I've paid", "Cancel", "Simulate payment"): CSRF only.

    Build it with `ActionForm(meta={"csrf_context": session.token})`.
    """

    class Meta:
        csrf_class = CheckoutBoundCSRF


class LinkCheckoutForm(FlaskForm):
    name = StringField(
        lazy_gettext("Your name"),
        validators=[
            DataRequired(lazy_gettext("Enter your name")),
            Length(max=100, message=lazy_gettext("Keep your name to 100 characters or fewer")),
        ],
    )
    email = StringField(
        lazy_gettext("Email"),
        validators=[
            DataRequired(lazy_gettext("Enter your email address")),
            Length(max=254, message=lazy_gettext("An email address has 254 characters at most")),
        ],
    )
    note = StringField(
        lazy_gettext("Note for the merchant (optional)"),
        validators=[
            Optional(),
            Length(max=120, message=lazy_gettext("Keep the note to 120 characters or fewer")),
        ],
    )
    amount = StringField(lazy_gettext("Amount in rupees"), validators=[Optional()])

    def __init__(self, *args: Any, max_paise: int, fixed_amount: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_paise = max_paise
        self._fixed_amount = fixed_amount
        self.amount_paise: int | None = None

    def validate_email(self, field: StringField) -> None:
        if not is_email(field.data or ""):
            raise ValidationError(gettext("Enter an email address like name@example.com"))

    def validate_amount(self, field: StringField) -> None:
        if self._fixed_amount:
            return
        try:
            self.amount_paise = parse_rupees(field.data or "", max_paise=self._max_paise)
        except MoneyError as exc:
            raise ValidationError(amount_message(str(exc), self._max_paise)) from None


# The domain says what is wrong with an amount in English words (it knows no locale);
# these are the sentences the customer reads, one msgid each, so translators see whole
# sentences rather than a prefix glued to a reason.
_AMOUNT_MESSAGES = {
    "must be a positive amount in rupees with at most 2 decimals": lazy_gettext(
        "Amount must be a positive amount in rupees with at most 2 decimals"
    ),
    "must be a finite number": lazy_gettext("Amount must be a finite number"),
    "must be written without an exponent": lazy_gettext(
        "Amount must be written without an exponent"
    ),
    "must not be negative": lazy_gettext("Amount must not be negative"),
    "must not start with '+'": lazy_gettext("Amount must not start with '+'"),
    "must be written without thousands separators": lazy_gettext(
        "Amount must be written without thousands separators"
    ),
    "must have at most 2 decimals": lazy_gettext("Amount must have at most 2 decimals"),
    "must not be empty": lazy_gettext("Enter an amount in rupees"),
    "is too large": lazy_gettext("Amount is too large"),
}


def amount_message(reason: str, max_paise: int) -> str:
    """The customer's sentence for a domain reason; an unknown reason keeps its English words."""
    if reason.startswith("must be at most") and reason.endswith("rupees"):
        return gettext("Amount must be at most %(max)s rupees", max=rupees_decimal(max_paise))
    known = _AMOUNT_MESSAGES.get(reason)
    return str(known) if known is not None else gettext("Amount %(reason)s", reason=reason)
