"""Console Settings (owner only): the index, payment links and the running configuration.

API keys and webhook endpoints are in checkout.admin.settings_integrations, users in
checkout.admin.users. Every view parses a form, calls checkout.services.owner_settings
(which calls the API's own services and audits the user), and renders.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from checkout import clock
from checkout.admin.access import bp, current_user_id, owner_only
from checkout.domain.money import MoneyError, display_rupees, parse_rupees
from checkout.gateway import current_gateway, public_base_url
from checkout.services import links, owner_settings
from checkout.services.errors import ServiceError


class ActionForm(FlaskForm):
    """A button that changes something: it carries only its CSRF token."""


def _rupees_field(label: str) -> StringField:
    return StringField(label, validators=[Optional()])


class LinkForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    amount = _rupees_field("Fixed amount in rupees (or leave empty and give a range)")
    min_amount = _rupees_field("Minimum in rupees")
    max_amount = _rupees_field("Maximum in rupees")
    slug = StringField("Address (slug, optional)", validators=[Optional(), Length(max=41)])
    description = StringField("Description (optional)", validators=[Optional(), Length(max=500)])
    expires = IntegerField(
        "Checkouts expire after (minutes, optional)",
        validators=[Optional(), NumberRange(min=1, max=links.MAX_EXPIRY_MINUTES)],
    )

    def __init__(self, *args: Any, max_paise: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_paise = max_paise
        self.paise: dict[str, int | None] = {}

    def _paise(self, field: StringField) -> None:
        text = (field.data or "").strip()
        try:
            self.paise[field.name] = parse_rupees(text, max_paise=self._max_paise) if text else None
        except MoneyError as exc:
            raise ValidationError(f"Amount {exc}") from None

    validate_amount = _paise
    validate_min_amount = _paise
    validate_max_amount = _paise


@bp.route("/settings")
@owner_only
def settings_index() -> Any:
    return render_template("admin/settings.html")


@bp.route("/settings/config")
@owner_only
def settings_config() -> Any:
    rows = owner_settings.running_configuration(current_gateway().settings)
    return render_template("admin/settings_config.html", rows=rows)


def _link_url(slug: str) -> str:
    return public_base_url() + url_for("pay.link_page", slug=slug)


@bp.route("/settings/links", methods=["GET", "POST"])
@owner_only
def settings_links() -> Any:
    gateway = current_gateway()
    form = LinkForm(max_paise=gateway.settings.max_amount_paise)
    error = None
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            link = owner_settings.create_link(
                gateway.links,
                gateway.store,
                by=current_user_id() or "console",
                now=clock.utcnow(),
                title=(form.title.data or "").strip(),
                amount_paise=form.paise.get("amount"),
                min_paise=form.paise.get("min_amount"),
                max_paise=form.paise.get("max_amount"),
                description=(form.description.data or "").strip() or None,
                slug=(form.slug.data or "").strip() or None,
                expires_in_minutes=form.expires.data,
            )
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(f"Payment link created: {_link_url(link.slug)}")
            return redirect(url_for("admin.settings_links"), 303)
    shown = [
        {
            "slug": link.slug,
            "title": link.title,
            "amount": links.amount_hint(link),
            "active": link.active,
            "url": _link_url(link.slug),
            "created": link.createdAt,
        }
        for link in owner_settings.list_links(gateway.links)
    ]
    return render_template(
        "admin/settings_links.html",
        form=form,
        action=ActionForm(),
        links=shown,
        error=error,
        max_amount=display_rupees(gateway.settings.max_amount_paise),
    ), status


@bp.route("/settings/links/<slug>/disable", methods=["POST"])
@owner_only
def disable_link(slug: str) -> Any:
    # CSRFProtect has checked this post's token before the view runs (as for every form).
    gateway = current_gateway()
    owner_settings.disable_link(
        gateway.links, gateway.store, slug, by=current_user_id() or "console", now=clock.utcnow()
    )
    flash(f"Payment link {slug} disabled: its page no longer opens checkouts.")
    return redirect(url_for("admin.settings_links"), 303)
