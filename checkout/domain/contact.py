"""Customer contact details, checked the same way by the JSON API and the HTML forms."""

from __future__ import annotations

import re

from checkout.domain.vocabulary import EMAIL

_EMAIL = re.compile(EMAIL)


def is_email(value: str) -> bool:
    """Deliberately loose: a typo check, not RFC 5322; the merchant confirms by mail."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None
