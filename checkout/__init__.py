"""UPI Checkout: a self-hosted UPI payment gateway.

`create_app` lives in `checkout.app` and is handed on lazily: `from checkout import
create_app` works, while importing the package (or `checkout.domain`, or the
`checkout.webhooks` file merchants copy) loads nothing until the factory is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkout.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from checkout.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
