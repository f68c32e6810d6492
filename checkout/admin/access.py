"""Who is signed in to the console, and the two gates every console view passes.

The signed-in user's id and role live in Flask's signed session cookie; the login view
(checkout.admin.auth) puts them there. `signed_in` sends a signed-out visitor to the
login page with a local `next`; `owner_only` refuses staff with a 403 page.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, redirect, request, session, url_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
bp = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder=os.path.join(ROOT, "templates")
)

USER_KEY = "admin_user"
ROLE_KEY = "admin_role"
OWNER = "owner"
STAFF = "staff"
ROLES = (OWNER, STAFF)

View = TypeVar("View", bound=Callable[..., Any])
# The gate a console view stands behind, kept on the view (tests walk every route by it).
GATE = "console_gate"


@bp.context_processor
def _signed_in_user() -> dict[str, Any]:
    """The layout asks `admin_user`, never `session`: a page may name its checkout so."""
    return {"admin_user": current_user_id()}


def current_user_id() -> str | None:
    value = session.get(USER_KEY)
    return value if isinstance(value, str) else None


def current_role() -> str | None:
    value = session.get(ROLE_KEY)
    return value if value in ROLES else None


def safe_next(target: str | None) -> str:
    """Only a local path (never //host or a scheme) may follow a login."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("admin.today")


def signed_in(view: View) -> View:
    @wraps(view)
    def gated(*args: Any, **kwargs: Any) -> Any:
        if current_user_id() is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    setattr(gated, GATE, STAFF)
    return cast(View, gated)


def owner_only(view: View) -> View:
    @wraps(view)
    def gated(*args: Any, **kwargs: Any) -> Any:
        if current_user_id() is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        if current_role() != OWNER:
            abort(403)
        return view(*args, **kwargs)

    setattr(gated, GATE, OWNER)
    return cast(View, gated)
