"""Console Settings (owner only): API keys and webhook endpoints.

A new key's secret (and a new endpoint's signing secret) is rendered into the answer
to the POST that made it, with `Cache-Control: no-store`, and nowhere else: it is not
put in a flash message or the session (the cookie is signed, not encrypted), and no
later page can show it, since only its hash (for a key) or the endpoint's id is kept
in reach of the pages.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from checkout import clock
from checkout.admin.access import bp, current_user_id, owner_only
from checkout.admin.settings import ActionForm
from checkout.gateway import current_gateway, public_base_url
from checkout.services import keys, outbox, owner_settings, presenters
from checkout.services.errors import ServiceError

NO_STORE = {"Cache-Control": "no-store"}


class KeyForm(FlaskForm):
    name = StringField("Name (what the key is for)", validators=[DataRequired(), Length(max=100)])
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice(keys.SCOPE_ALL, "all: the merchant API (your shop's backend)"),
            SelectChoice(
                keys.SCOPE_EVIDENCE, "evidence: only posting bank messages (a relay phone)"
            ),
        ],
        default=keys.SCOPE_ALL,
    )
    url_token = BooleanField(
        "A URL token (?token=…) for an SMS forwarder that cannot set a header (evidence only)"
    )


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL (https)", validators=[DataRequired(), Length(max=2000)])
    events = SelectMultipleField(
        "Events (none chosen: all of them)",
        choices=[SelectChoice(event, event) for event in outbox.EVENT_TYPES],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


def _by() -> str:
    return current_user_id() or "console"


# -- API keys --------------------------------------------------------------------------


def _keys_page(form: KeyForm, *, issued: Any = None, error: str | None = None) -> str:
    records = current_gateway().merchant.api_keys()
    return render_template(
        "admin/settings_keys.html",
        form=form,
        action=ActionForm(),
        keys=[presenters.key_view(record) for record in records],
        issued=issued,
        error=error,
    )


@bp.route("/settings/keys", methods=["GET", "POST"])
@owner_only
def settings_keys() -> Any:
    gateway = current_gateway()
    form = KeyForm()
    if not form.validate_on_submit():
        return _keys_page(form), (400 if form.errors else 200), NO_STORE
    try:
        issued = owner_settings.issue_key(
            gateway.merchant,
            gateway.store,
            gateway.settings,
            name=(form.name.data or "").strip(),
            scope=form.scope.data or keys.SCOPE_ALL,
            url_token=bool(form.url_token.data),
            by=_by(),
            now=clock.utcnow(),
        )
    except ServiceError as exc:
        return _keys_page(form, error=exc.message), exc.status, NO_STORE
    relay_url = (
        keys.relay_sms_url(public_base_url(), issued.secret) if form.url_token.data else None
    )
    shown = presenters.issued_key_view(issued, relay_url=relay_url)
    return _keys_page(KeyForm(formdata=None), issued=shown), 201, NO_STORE


@bp.route("/settings/keys/<key_id>/revoke", methods=["POST"])
@owner_only
def revoke_key(key_id: str) -> Any:
    gateway = current_gateway()
    owner_settings.revoke_key(gateway.merchant, gateway.store, key_id, by=_by(), now=clock.utcnow())
    flash(f"API key {key_id} revoked: requests with it are refused from now on.")
    return redirect(url_for("admin.settings_keys"), 303)


# -- webhook endpoints -----------------------------------------------------------------


def _hooks_page(form: EndpointForm, *, created: Any = None, error: str | None = None) -> str:
    merchant = current_gateway().merchant
    return render_template(
        "admin/settings_webhooks.html",
        form=form,
        action=ActionForm(),
        endpoints=[presenters.endpoint_view(e) for e in merchant.endpoints()],
        deliveries=[
            presenters.delivery_view(d) for d in owner_settings.recent_deliveries(merchant)
        ],
        created=created,
        error=error,
    )


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@owner_only
def settings_webhooks() -> Any:
    gateway = current_gateway()
    form = EndpointForm()
    if not form.validate_on_submit():
        return _hooks_page(form), (400 if form.errors else 200), NO_STORE
    try:
        endpoint = owner_settings.add_endpoint(
            gateway.merchant,
            gateway.store,
            gateway.settings,
            url=(form.url.data or "").strip(),
            events=form.events.data or None,
            by=_by(),
            now=clock.utcnow(),
        )
    except ServiceError as exc:
        return _hooks_page(form, error=exc.message), exc.status, NO_STORE
    created = presenters.new_endpoint_view(endpoint)
    return _hooks_page(EndpointForm(formdata=None), created=created), 201, NO_STORE


@bp.route("/settings/webhooks/<endpoint_id>/delete", methods=["POST"])
@owner_only
def delete_endpoint(endpoint_id: str) -> Any:
    gateway = current_gateway()
    owner_settings.delete_endpoint(
        gateway.merchant, gateway.store, endpoint_id, by=_by(), now=clock.utcnow()
    )
    flash(f"Webhook endpoint {endpoint_id} deleted: nothing more is sent to it.")
    return redirect(url_for("admin.settings_webhooks"), 303)


@bp.route("/settings/webhooks/<endpoint_id>/test", methods=["POST"])
@owner_only
def test_endpoint(endpoint_id: str) -> Any:
    gateway = current_gateway()
    delivery = owner_settings.send_test_event(
        gateway.merchant, gateway.store, endpoint_id, by=_by(), now=clock.utcnow()
    )
    flash(f"Test event {delivery.eventId} queued for {endpoint_id}; see its delivery below.")
    return redirect(url_for("admin.settings_webhooks"), 303)
