"""Console: CSV downloads of checkouts (with the Payments filters) and of evidence.

The view checks every filter before the first byte goes out (a bad one is a 400
page), then streams what checkout.services.exports yields, so an export of a year
holds a few hundred rows in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, render_template, request, stream_with_context

from checkout.admin.access import bp, signed_in
from checkout.domain.vocabulary import Status
from checkout.gateway import current_gateway
from checkout.services import exports


def _download(chunks: Iterator[str], name: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/exports")
@signed_in
def exports_page() -> Any:
    settings = current_gateway().settings
    return render_template(
        "admin/exports.html",
        checkout_columns=exports.CHECKOUT_COLUMNS,
        evidence_columns=exports.EVIDENCE_COLUMNS,
        statuses=list(Status),
        timezone=settings.display_timezone,
    )


@bp.route("/exports/checkouts.csv")
@signed_in
def export_checkouts() -> Any:
    settings = current_gateway().settings
    timezone = settings.display_timezone
    filters = exports.checkout_filters(request.args, max_paise=settings.max_amount_paise)
    rows = exports.checkout_rows(filters, timezone)
    name = f"checkouts_{exports.checkout_label(filters)}.csv"
    return _download(exports.csv_chunks(exports.CHECKOUT_COLUMNS, rows), name)


@bp.route("/exports/evidence.csv")
@signed_in
def export_evidence() -> Any:
    timezone = current_gateway().settings.display_timezone
    days = exports.day_range(request.args, timezone)
    rows = exports.evidence_rows(days, timezone)
    return _download(
        exports.csv_chunks(exports.EVIDENCE_COLUMNS, rows), f"evidence_{days.label()}.csv"
    )
