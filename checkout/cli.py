"""`flask` commands: the ticker, sandbox payments, payment links, API keys, webhooks."""

from __future__ import annotations

import time

import click
from flask import Flask

from checkout import clock
from checkout.domain.money import MoneyError, display_rupees, parse_rupees
from checkout.gateway import current_gateway
from checkout.services import keys, links, sandbox, webhooks
from checkout.services.errors import ServiceError
from checkout.storage.links import DuplicateSlug


def register_commands(app: Flask) -> None:
    register_link_commands(app)
    register_merchant_commands(app)

    @app.cli.command("poll")
    @click.option("--once", is_flag=True, help="Run one tick and exit.")
    def poll(once: bool) -> None:
        """Watch the wallet in this process (instead of, or beside, the web ticker)."""
        ticker = current_gateway().ticker
        if once:
            click.echo(repr(ticker.tick()))
            return
        interval = current_gateway().settings.poll_interval_seconds
        click.echo(f"polling every {interval}s; Ctrl-C stops")
        ticker.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            ticker.stop()

    sandbox_group = click.Group("sandbox", help="Pretend payments into the sandbox wallet.")
    app.cli.add_command(sandbox_group)

    def _require_sandbox() -> None:
        if not current_gateway().settings.sandbox:
            raise click.ClickException("the sandbox wallet is not active (PAYMENT_PROVIDER)")

    @sandbox_group.command("pay")
    @click.argument("order_id")
    def sandbox_pay(order_id: str) -> None:
        """Credit the exact payable amount of ORDER_ID."""
        _require_sandbox()
        try:
            amount, balance = sandbox.pay_checkout(
                current_gateway().store, order_id, now=clock.utcnow()
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"credited {display_rupees(amount)}; sandbox balance {display_rupees(balance)}")

    @sandbox_group.command("credit")
    @click.argument("amount")
    def sandbox_credit(amount: str) -> None:
        """Credit AMOUNT rupees (a stray payment, or one for several checkouts)."""
        _require_sandbox()
        gateway = current_gateway()
        try:
            paise = parse_rupees(amount, max_paise=gateway.settings.max_amount_paise)
        except MoneyError as exc:
            raise click.ClickException(f"AMOUNT {amount!r} {exc}") from None
        balance = sandbox.credit_wallet(gateway.store, paise, now=clock.utcnow())
        click.echo(f"credited {display_rupees(paise)}; sandbox balance {display_rupees(balance)}")


def register_link_commands(app: Flask) -> None:
    links_group = click.Group("links", help="Payment links: a page per product or donation.")
    app.cli.add_command(links_group)

    def _paise(value: str | None, name: str) -> int | None:
        if value is None:
            return None
        try:
            return parse_rupees(value, max_paise=current_gateway().settings.max_amount_paise)
        except MoneyError as exc:
            raise click.BadParameter(f"{value!r}: {exc}", param_hint=name) from None

    @links_group.command("create")
    @click.option("--title", required=True, help="What the customer pays for.")
    @click.option("--amount", help="Fixed price in rupees.")
    @click.option("--min", "minimum", help="Lowest amount the customer may choose.")
    @click.option("--max", "maximum", help="Highest amount the customer may choose.")
    @click.option("--description", help="A line under the title.")
    @click.option("--slug", help="The /l/<slug> part of the URL (made from the title if absent).")
    def create(
        title: str,
        amount: str | None,
        minimum: str | None,
        maximum: str | None,
        description: str | None,
        slug: str | None,
    ) -> None:
        """Create a payment link and print its URL."""
        try:
            link = links.create_link(
                title=title,
                amount_paise=_paise(amount, "--amount"),
                min_paise=_paise(minimum, "--min"),
                max_paise=_paise(maximum, "--max"),
                description=description,
                slug=slug,
                now=clock.utcnow(),
            )
        except (ServiceError, DuplicateSlug) as exc:
            raise click.ClickException(str(exc)) from None
        settings = current_gateway().settings
        base = settings.public_url or f"http://{settings.host}:{settings.port}"
        click.echo(f"{base}/l/{link.slug}  ({link.title}, {links.amount_hint(link)})")


def register_merchant_commands(app: Flask) -> None:
    keys_group = click.Group(
        "keys", help="API keys for the merchant API (shown once, stored hashed)."
    )
    webhooks_group = click.Group("webhooks", help="Webhook endpoints that receive events.")
    app.cli.add_command(keys_group)
    app.cli.add_command(webhooks_group)

    @keys_group.command("create")
    @click.option("--name", required=True, help="What the key is for, e.g. the shop's name.")
    def keys_create(name: str) -> None:
        """Create a key and print it once: only its hash is kept."""
        gateway = current_gateway()
        issued = keys.create_key(
            gateway.merchant, name=name, sandbox=gateway.settings.sandbox, now=clock.utcnow()
        )
        click.echo(f"key id:       {issued.record.keyId}")
        click.echo(f"secret key:   {issued.secret}")
        click.echo(f"signing key:  {issued.record.signingKey}")
        click.echo("Store the secret key now: it cannot be shown again.")

    @keys_group.command("list")
    def keys_list() -> None:
        """Every key, with its prefix and whether it is revoked."""
        for record in current_gateway().merchant.api_keys():
            state = f"revoked {record.revokedAt:%Y-%m-%d}" if record.revokedAt else "active"
            click.echo(f"{record.keyId}  {record.prefix}…  {record.name}  {state}")

    @keys_group.command("revoke")
    @click.argument("key_id")
    def keys_revoke(key_id: str) -> None:
        """Revoke KEY_ID: requests with it get 401 from now on."""
        if not current_gateway().merchant.revoke_key(key_id, clock.utcnow()):
            raise click.ClickException(f"no active key {key_id!r}")
        click.echo(f"revoked {key_id}")

    @webhooks_group.command("add")
    @click.argument("url")
    @click.option("--event", "events", multiple=True, help="Only these event types (repeatable).")
    def webhooks_add(url: str, events: tuple[str, ...]) -> None:
        """Register URL and print its signing secret once."""
        gateway = current_gateway()
        try:
            endpoint = webhooks.add_endpoint(
                gateway.merchant, gateway.settings, url=url, events=events, now=clock.utcnow()
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"endpoint id:  {endpoint.endpointId}")
        click.echo(f"events:       {', '.join(endpoint.events)}")
        click.echo(f"secret:       {endpoint.secret}")

    @webhooks_group.command("list")
    def webhooks_list() -> None:
        for endpoint in current_gateway().merchant.endpoints():
            click.echo(f"{endpoint.endpointId}  {endpoint.url}  {', '.join(endpoint.events)}")
