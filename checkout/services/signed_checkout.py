"""A merchant's plain HTML form posts straight to the gateway; the HMAC replaces CSRF.

Fields: orderId, amount, description, email, returnUrl, t (unix seconds), keyId,
signature = hex HMAC-SHA256(signing key, the FORM_FIELDS values joined by "\\n").

Joining by "\\n" is only unambiguous while no value holds one: "a\\nb" + "c" and
"a" + "b\\nc" sign alike, which would let text move from one field into the next
under the same signature. So a line break in any signed field refuses the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from checkout.config import Settings
from checkout.domain.contact import is_email
from checkout.domain.money import MoneyError, parse_rupees
from checkout.domain.vocabulary import ORDER_ID
from checkout.providers.base import WalletProvider
from checkout.services.checkouts import CheckoutRequest, create_checkout
from checkout.services.errors import ServiceError
from checkout.services.keys import signing_key_for
from checkout.storage.merchant import MerchantStore
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store
from checkout.urls import url_problem
from checkout.webhooks import DEFAULT_TOLERANCE_SECONDS, FORM_FIELDS, fields_signed

_ORDER_ID = re.compile(ORDER_ID)
_LINE_BREAK = re.compile(r"[\r\n]")


class RefusedForm(ServiceError):
    status = 400


def open_signed_checkout(
    store: Store,
    provider: WalletProvider,
    merchant: MerchantStore,
    settings: Settings,
    fields: Mapping[str, str],
    *,
    now: datetime,
    ip: str | None,
) -> PaymentSession:
    """Check the signature first: nothing about an unsigned post is trusted or stored.

    Only the line-break rule comes before it: without it, a valid signature would not
    say which value belongs to which field.
    """
    for name in FORM_FIELDS:
        if _LINE_BREAK.search(fields.get(name) or ""):
            raise RefusedForm(f"The checkout form's {name} must be on one line.", field=name)
    key = signing_key_for(merchant, settings, fields.get("keyId"))
    if key is None or not fields_signed(fields, key, FORM_FIELDS):
        raise RefusedForm("The checkout form's signature is not valid.", field="signature")
    try:
        signed_at = int(fields.get("t", ""))
    except ValueError:
        raise RefusedForm("The checkout form has no valid timestamp.", field="t") from None
    if abs(now.timestamp() - signed_at) > DEFAULT_TOLERANCE_SECONDS:
        raise RefusedForm("The checkout form is too old; go back and try again.", field="t")
    order_id = fields.get("orderId", "")
    if not _ORDER_ID.fullmatch(order_id):
        raise RefusedForm("The order id is not valid.", field="orderId")
    try:
        amount = parse_rupees(fields.get("amount", ""), max_paise=settings.max_amount_paise)
    except MoneyError as exc:
        raise RefusedForm(f"The amount {exc}.", field="amount") from None
    email = fields.get("email") or None
    if email is not None and not is_email(email):
        raise RefusedForm("The email address is not valid.", field="email")
    return_url = fields.get("returnUrl") or None
    problem = url_problem(return_url) if return_url is not None else None
    if problem is not None:
        raise RefusedForm(f"The return URL {problem}.", field="returnUrl")
    description = (fields.get("description") or "")[:200] or None

    existing = store.session_by_order_id(order_id)
    if existing is not None:
        # The same signed form posted twice (a double click, a back button, a re-rendered
        # form with a fresh t) opens the same checkout; the same orderId with anything
        # else is a replay and is refused.
        same = (
            existing.source == "form"
            and existing.keyId == fields.get("keyId")
            and existing.totalAmountPaise == amount
            and existing.email == email
            and existing.returnUrl == return_url
            and existing.description == description
        )
        if same:
            return existing
        raise RefusedForm("This order was already opened with other details.", field="orderId")
    return create_checkout(
        store,
        provider,
        settings,
        CheckoutRequest(
            order_id=order_id,
            amount_paise=amount,
            source="form",
            email=email,
            description=description,
            customer={"email": email} if email else {},
            return_url=return_url,
            ip=ip,
            key_id=fields.get("keyId"),
        ),
        now=now,
    )
