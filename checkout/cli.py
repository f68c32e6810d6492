"""`flask` commands: the ticker, sandbox payments, payment links, API keys, webhooks.

With MongoDB the commands work on the store directly. With the in-memory
store the data lives inside the running server, so the commands ask that
server over HTTP (http://HOST:PORT, or PUBLIC_URL) instead. Output is the
command's own; log lines reach the terminal only with -v (checkout.terminal).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import click
import requests
from flask import Flask
from flask.cli import AppGroup

from checkout import clock
from checkout.config import Settings
from checkout.domain.money import MoneyError, parse_rupees, rupees_decimal
from checkout.gateway import current_gateway
from checkout.services import keys, links, outbox, sandbox, ticks
from checkout.services.background import GRACEFUL_TIMEOUT
from checkout.services.errors import ServiceError
from checkout.terminal import failure, present_commands, say, stop_on_sigterm


class Backend(Protocol):
    def sandbox_pay(self, order_id: str) -> str: ...
    def sandbox_credit(self, amount: str) -> str: ...
    def sandbox_sms(self, order_id: str) -> str: ...
    def create_link(self, fields: dict[str, Any]) -> str: ...
    def create_key(self, name: str, scope: str, url_token: bool) -> dict[str, Any]: ...
    def list_keys(self) -> list[dict[str, Any]]: ...
    def revoke_key(self, key_id: str) -> None: ...
    def add_webhook(self, url: str, events: list[str]) -> dict[str, Any]: ...
    def list_webhooks(self) -> list[dict[str, Any]]: ...


def _credited(amount: object, balance: object) -> str:
    return f"credited ₹{amount}; sandbox balance ₹{balance}"


def _sms_posted(outcome: str, amount: object, rrn: object, order_ids: list[str]) -> str:
    completed = ", ".join(order_ids) or "nothing"
    return f"bank SMS for ₹{amount} (UTR {rrn}): {outcome}; completed {completed}"


class LocalBackend:
    """Straight on the store: the shared MongoDB of every process."""

    def __init__(self) -> None:
        self.gateway = current_gateway()

    def _paise(self, value: str | None, name: str) -> int | None:
        if value is None:
            return None
        try:
            return parse_rupees(value, max_paise=self.gateway.settings.max_amount_paise)
        except MoneyError as exc:
            raise click.BadParameter(f"{value!r} {exc}", param_hint=name) from None

    def sandbox_pay(self, order_id: str) -> str:
        gateway = self.gateway
        amount, balance = sandbox.pay_checkout(
            gateway.store,
            order_id,
            now=clock.utcnow(),
            read_wallet=ticks.read_sandbox_now(
                gateway.store, gateway.provider, gateway.settings, owner=gateway.ticker.owner
            ),
        )
        return _credited(rupees_decimal(amount), rupees_decimal(balance))

    def sandbox_credit(self, amount: str) -> str:
        paise = self._paise(amount, "AMOUNT")
        assert paise is not None
        balance = sandbox.credit_wallet(self.gateway.store, paise, now=clock.utcnow())
        return _credited(rupees_decimal(paise), rupees_decimal(balance))

    def sandbox_sms(self, order_id: str) -> str:
        gateway = self.gateway
        got = sandbox.send_bank_sms(
            gateway.store, gateway.evidence, gateway.settings, order_id, now=clock.utcnow()
        )
        amount = rupees_decimal(got.amount_paise) if got.amount_paise is not None else "?"
        return _sms_posted(got.outcome, amount, got.rrn, got.order_ids)

    def create_link(self, fields: dict[str, Any]) -> str:
        try:
            link = links.create_link(
                self.gateway.links,
                title=fields["title"],
                amount_paise=self._paise(fields.get("amount"), "--amount"),
                min_paise=self._paise(fields.get("minAmount"), "--min"),
                max_paise=self._paise(fields.get("maxAmount"), "--max"),
                description=fields.get("description"),
                slug=fields.get("slug"),
                expires_in_minutes=fields.get("expiresInMinutes"),
                now=clock.utcnow(),
            )
        except links.SlugTaken:
            raise failure("this slug is taken") from None
        settings = self.gateway.settings
        return f"{_base_url(settings)}/l/{link.slug}  ({link.title}, {links.amount_hint(link)})"

    def create_key(self, name: str, scope: str, url_token: bool) -> dict[str, Any]:
        settings = self.gateway.settings
        issued = keys.create_key(
            self.gateway.merchant,
            name=name,
            sandbox=settings.sandbox,
            now=clock.utcnow(),
            scope=scope,
            url_token=url_token,
        )
        record = issued.record
        relay_url = keys.relay_sms_url(_base_url(settings), issued.secret) if url_token else None
        return {
            "id": record.keyId,
            "secret": issued.secret,
            "signingKey": record.signingKey,
            "relayUrl": relay_url,
        }

    def list_keys(self) -> list[dict[str, Any]]:
        return [
            {
                "id": r.keyId,
                "prefix": r.prefix,
                "name": r.name,
                "scope": r.scope,
                "urlToken": r.urlToken,
                "revokedAt": r.revokedAt,
            }
            for r in self.gateway.merchant.api_keys()
        ]

    def revoke_key(self, key_id: str) -> None:
        if not self.gateway.merchant.revoke_key(key_id, clock.utcnow()):
            raise failure(f"no active key {key_id!r}")

    def add_webhook(self, url: str, events: list[str]) -> dict[str, Any]:
        endpoint = outbox.add_endpoint(
            self.gateway.merchant,
            self.gateway.settings,
            url=url,
            events=events,
            now=clock.utcnow(),
        )
        return {"id": endpoint.endpointId, "events": endpoint.events, "secret": endpoint.secret}

    def list_webhooks(self) -> list[dict[str, Any]]:
        return [
            {"id": e.endpointId, "url": outbox.shown_url(e.url), "events": e.events}
            for e in self.gateway.merchant.endpoints()
        ]


def _base_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host  # noqa: S104
    if ":" in host:  # an IPv6 address goes in brackets in a URL
        host = f"[{host}]"
    return settings.public_url or f"http://{host}:{settings.port}"


class RemoteBackend:
    """The in-memory store lives in the running server: ask it over HTTP."""

    def __init__(self, settings: Settings) -> None:
        self.base = _base_url(settings)
        self.headers = {"Authorization": f"Bearer {settings.admin_secret}"}

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = requests.request(
                method, self.base + path, json=body, headers=self.headers, timeout=15
            )
        except requests.RequestException:
            raise failure(
                f"the in-memory store lives in the running server, and none answers at "
                f"{self.base} (start it with `make run`)"
            ) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400:
            raise failure(answer.get("error") or f"HTTP {response.status_code}")
        return answer

    def sandbox_pay(self, order_id: str) -> str:
        answer = self._call("POST", "/api/sandbox/credit", {"orderId": order_id})
        return _credited(answer["credited"], answer["balance"])

    def sandbox_credit(self, amount: str) -> str:
        answer = self._call("POST", "/api/sandbox/credit", {"amount": amount})
        return _credited(answer["credited"], answer["balance"])

    def sandbox_sms(self, order_id: str) -> str:
        answer = self._call("POST", "/api/sandbox/sms", {"orderId": order_id})
        return _sms_posted(
            answer["outcome"], answer.get("amount", "?"), answer.get("rrn"), answer["orderIds"]
        )

    def create_link(self, fields: dict[str, Any]) -> str:
        body = {name: value for name, value in fields.items() if value is not None}
        answer = self._call("POST", "/api/v1/payment-links", body)
        return f"{answer['url']}  ({answer['title']}, {answer['amountHint']})"

    def create_key(self, name: str, scope: str, url_token: bool) -> dict[str, Any]:
        body = {"name": name, "scope": scope, "urlToken": url_token}
        answer: dict[str, Any] = self._call("POST", "/api/v1/api-keys", body)
        return answer

    def list_keys(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/api/v1/api-keys")["data"]
        return data

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/api/v1/api-keys/{key_id}")

    def add_webhook(self, url: str, events: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "events": events or None}
        answer: dict[str, Any] = self._call("POST", "/api/v1/webhook-endpoints", body)
        return answer

    def list_webhooks(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/api/v1/webhook-endpoints")["data"]
        return data


def backend() -> Backend:
    settings = current_gateway().settings
    return RemoteBackend(settings) if settings.in_memory_store else LocalBackend()


def _require_sandbox() -> None:
    if not current_gateway().settings.sandbox:
        raise failure("the sandbox wallet is not active (PAYMENT_PROVIDER)")


def register_commands(app: Flask) -> None:
    @app.cli.command("poll")
    @click.option("--once", is_flag=True, help="Run one tick and exit.")
    def poll(once: bool) -> None:
        """Watch the wallet in this process (instead of, or beside, the web ticker)."""
        gateway = current_gateway()
        if once:
            say(repr(gateway.ticker.tick()))
            return
        say(f"polling every {gateway.settings.poll_interval_seconds}s; Ctrl-C stops")
        stop_on_sigterm()
        gateway.start_background()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            gateway.stop_background(timeout=GRACEFUL_TIMEOUT)

    # AppGroup: every subcommand runs inside the app context, however the CLI is invoked
    # (the `flask` command pushes one itself; app.test_cli_runner() and app.cli do not).
    sandbox_group = AppGroup("sandbox", help="Pretend payments into the sandbox wallet.")
    links_group = AppGroup("links", help="Payment links: a page per product or donation.")
    keys_group = AppGroup("keys", help="API keys (shown once, stored hashed).")
    webhooks_group = AppGroup("webhooks", help="Webhook endpoints that receive events.")
    for group in (sandbox_group, links_group, keys_group, webhooks_group):
        app.cli.add_command(group)

    @sandbox_group.command("pay")
    @click.argument("order_id")
    def sandbox_pay(order_id: str) -> None:
        """Credit the exact payable amount of ORDER_ID."""
        _require_sandbox()
        try:
            say(backend().sandbox_pay(order_id))
        except ServiceError as exc:
            raise failure(exc.message) from None

    @sandbox_group.command("credit")
    @click.argument("amount")
    def sandbox_credit(amount: str) -> None:
        """Credit AMOUNT rupees (a stray payment, or one for several checkouts)."""
        _require_sandbox()
        say(backend().sandbox_credit(amount))

    @sandbox_group.command("sms")
    @click.argument("order_id")
    def sandbox_sms(order_id: str) -> None:
        """Post the bank's credit SMS for ORDER_ID's exact amount, as a relay phone would."""
        _require_sandbox()
        try:
            say(backend().sandbox_sms(order_id))
        except ServiceError as exc:
            raise failure(exc.message) from None

    @links_group.command("create")
    @click.option("--title", required=True, help="What the customer pays for.")
    @click.option("--amount", help="Fixed price in rupees.")
    @click.option("--min", "minimum", help="Lowest amount the customer may choose.")
    @click.option("--max", "maximum", help="Highest amount the customer may choose.")
    @click.option("--description", help="A line under the title.")
    @click.option("--slug", help="The /l/<slug> part of the URL (made from the title if absent).")
    @click.option(
        "--expires-in-minutes",
        type=click.IntRange(1, links.MAX_EXPIRY_MINUTES),
        help="How long each checkout from the link stays open (default 15, or less).",
    )
    def links_create(
        title: str,
        amount: str | None,
        minimum: str | None,
        maximum: str | None,
        description: str | None,
        slug: str | None,
        expires_in_minutes: int | None,
    ) -> None:
        """Create a payment link and print its URL."""
        fields = {
            "title": title,
            "amount": amount,
            "minAmount": minimum,
            "maxAmount": maximum,
            "description": description,
            "slug": slug,
            "expiresInMinutes": expires_in_minutes,
        }
        try:
            say(backend().create_link(fields))
        except ServiceError as exc:
            raise failure(exc.message) from None

    @keys_group.command("create")
    @click.option("--name", required=True, help="What the key is for, e.g. the shop's name.")
    @click.option(
        "--scope",
        type=click.Choice(keys.SCOPES),
        default=keys.SCOPE_ALL,
        show_default=True,
        help="all: the merchant API; evidence: only posting bank SMS and e-mail (a phone).",
    )
    @click.option(
        "--url-token",
        is_flag=True,
        help="A relay URL (…/evidence/sms?token=) for forwarders that set no header.",
    )
    def keys_create(name: str, scope: str, url_token: bool) -> None:
        """Create a key and print it once: only its hash is kept."""
        if url_token and scope != keys.SCOPE_EVIDENCE:
            raise click.UsageError("a relay URL token posts evidence only: add --scope evidence")
        issued = backend().create_key(name, scope, url_token)
        say(f"key id:       {issued['id']}")
        if url_token:
            say(f"relay URL:    {issued['relayUrl']}")
            say("Store the relay URL now: its token cannot be shown again.")
            return
        say(f"secret key:   {issued['secret']}")
        say(f"signing key:  {issued['signingKey']}")
        say("Store the secret key now: it cannot be shown again.")

    @keys_group.command("list")
    def keys_list() -> None:
        """Every key, with its prefix, its scope and whether it is revoked."""
        for key in backend().list_keys():
            state = "revoked" if key.get("revokedAt") else "active"
            scope = key.get("scope", keys.SCOPE_ALL) + (" url-token" if key.get("urlToken") else "")
            say(f"{key['id']}  {key['prefix']}…  {key['name']}  {scope}  {state}")

    @keys_group.command("revoke")
    @click.argument("key_id")
    def keys_revoke(key_id: str) -> None:
        """Revoke KEY_ID: requests with it get 401 from now on."""
        backend().revoke_key(key_id)
        say(f"revoked {key_id}")

    @webhooks_group.command("add")
    @click.argument("url")
    @click.option("--event", "events", multiple=True, help="Only these event types (repeatable).")
    def webhooks_add(url: str, events: tuple[str, ...]) -> None:
        """Register URL and print its signing secret once."""
        try:
            endpoint = backend().add_webhook(url, list(events))
        except ServiceError as exc:
            raise failure(exc.message) from None
        say(f"endpoint id:  {endpoint['id']}")
        say(f"events:       {', '.join(endpoint['events'])}")
        say(f"secret:       {endpoint['secret']}")

    @webhooks_group.command("list")
    def webhooks_list() -> None:
        """Registered endpoints and the events each receives."""
        for endpoint in backend().list_webhooks():
            say(f"{endpoint['id']}  {endpoint['url']}  {', '.join(endpoint['events'])}")

    present_commands(app, ("poll", "sandbox", "links", "keys", "webhooks"))
