"""Console: the Today page (`/admin`), the first thing a shop owner opens on a phone."""

from __future__ import annotations

from typing import Any

from flask import render_template

from checkout import clock
from checkout.admin.access import bp, signed_in
from checkout.gateway import current_gateway
from checkout.services import console_today


@bp.route("/")
@signed_in
def today() -> Any:
    gateway = current_gateway()
    report = console_today.today(
        gateway.store, gateway.provider, gateway.settings, now=clock.utcnow()
    )
    return render_template("admin/today.html", today=report)
