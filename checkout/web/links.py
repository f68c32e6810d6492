"""Pay pages a checkout starts from: payment links (`/l/<slug>`) and the signed form a
merchant's own page posts (`/checkout`). Both open a checkout and hand the customer to
its pay page (`checkout.web.routes`)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, make_response, redirect, render_template, request
from flask import url_for as flask_url_for

from checkout import clock, limits
from checkout.errors import page_words
from checkout.extensions import csrf, limiter
from checkout.gateway import client_ip, current_gateway
from checkout.services import links
from checkout.services import signed_checkout as signed_checkout_service
from checkout.services.errors import FORM_EXPIRED, ServiceError, Unavailable
from checkout.web.forms import LinkCheckoutForm
from checkout.web.routes import bp, is_htmx, page_context, page_url

# -- payment links ----------------------------------------------------------------------


def _link_context(
    link: Any, form: LinkCheckoutForm, unavailable: str | None = None
) -> dict[str, Any]:
    return {
        "link": link,
        "form": form,
        "amount_hint": links.amount_hint(link),
        "settings": current_gateway().settings,
        "unavailable": page_words(unavailable) if unavailable else None,
    }


def _link_form(link: Any) -> LinkCheckoutForm:
    return LinkCheckoutForm(
        max_paise=link.maxPaise or current_gateway().settings.max_amount_paise,
        fixed_amount=link.amountPaise is not None,
    )


@bp.get("/l/<slug>")
def link_page(slug: str) -> str:
    link = links.find_link(current_gateway().links, slug)
    return render_template("pay/link.html", **_link_context(link, _link_form(link)))


def _opened_a_checkout(_response: Response) -> bool:
    return bool(g.get("link_checkout_opened"))


@bp.post("/l/<slug>")
# Only posts that open a checkout count: a customer fixing a typo is not held back.
@limiter.limit(limits.LINK_OPENS, deduct_when=_opened_a_checkout)
def link_checkout(slug: str) -> Response | tuple[str, int]:
    link = links.find_link(current_gateway().links, slug)
    form = _link_form(link)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            raise ServiceError(FORM_EXPIRED)
        return _link_form_again(link, form)
    gateway = current_gateway()
    try:
        session = links.open_link_checkout(
            gateway.store,
            gateway.links,
            gateway.provider,
            gateway.settings,
            link,
            name=form.name.data or "",
            email=form.email.data or "",
            note=form.note.data or None,
            chosen_paise=form.amount_paise,
            now=clock.utcnow(),
            ip=client_ip(),
        )
    except Unavailable as exc:
        return _link_unavailable(link, form, exc)
    except ServiceError as exc:
        if exc.field == "amount":
            form.amount.errors = [page_words(exc.message)]
            return _link_form_again(link, form)
        raise
    g.link_checkout_opened = True
    if is_htmx():
        response = make_response(
            render_template("pay/partials/panel.html", **page_context(session))
        )
        response.headers["HX-Push-Url"] = page_url("pay.page", session)
        return response
    return redirect(page_url("pay.page", session), code=303)


def _link_unavailable(link: Any, form: LinkCheckoutForm, exc: Unavailable) -> Response:
    """The link is full, or no amount near its price is free: say when to try again.

    A 503 with Retry-After; htmx gets its partial as a 200, since it swaps no error answers.
    """
    template = "pay/partials/link_form.html" if is_htmx() else "pay/link.html"
    response = make_response(render_template(template, **_link_context(link, form, exc.message)))
    response.status_code = 200 if is_htmx() else 503
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _link_form_again(link: Any, form: LinkCheckoutForm) -> tuple[str, int]:
    template = "pay/partials/link_form.html" if is_htmx() else "pay/link.html"
    html = render_template(template, **_link_context(link, form))
    return html, 200 if is_htmx() else 422


# -- signed form posts from a merchant's own page ----------------------------------------


@bp.post("/checkout")
@csrf.exempt  # the merchant's HMAC signature replaces the CSRF token
@limiter.limit(limits.SIGNED)
def signed_checkout() -> Response:
    gateway = current_gateway()
    session = signed_checkout_service.open_signed_checkout(
        gateway.store,
        gateway.provider,
        gateway.merchant,
        gateway.settings,
        request.form.to_dict(),
        now=clock.utcnow(),
        ip=client_ip(),
    )
    return redirect(flask_url_for("pay.page", token=session.token), code=303)
