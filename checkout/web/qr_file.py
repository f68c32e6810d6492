"""The checkout's QR as a file: "Download QR" on a phone.

Nobody can scan the screen they are holding; a customer paying on their phone keeps the
QR in the gallery and opens it from their UPI app's "scan from photo". Drawn by the one
QR renderer (checkout.qr) from the same upi://pay link as the page's QR.
"""

from __future__ import annotations

from flask import Response

from checkout.domain.lifecycle import TERMINAL
from checkout.domain.vocabulary import Status
from checkout.gateway import current_gateway
from checkout.qr import qr_png_bytes
from checkout.services import checkouts
from checkout.services.errors import Conflict
from checkout.web.routes import _session, bp


@bp.get("/pay/<token>/qr.png")
def qr_download(token: str) -> Response:
    session = _session(token)
    if Status(session.status) in TERMINAL:
        raise Conflict("This checkout can no longer be paid", status=session.status)
    uri = checkouts.payment_uri(session, current_gateway().settings)
    response = Response(qr_png_bytes(uri), mimetype="image/png")
    filename = f"upi-{session.orderId}.png".encode("ascii", "replace").decode()
    filename = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Per customer and never shared; the same checkout always draws the same QR.
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response
