"""HTML forms (flask-wtf): CSRF on every one, messages by each field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from checkout.domain.contact import is_email
from checkout.domain.money import MoneyError, parse_rupees


class ActionForm(FlaskForm):
    """The buttons on the pay page ("I've paid", "Cancel", "Simulate payment"): CSRF only."""


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
