"""`flask` commands: the ticker on its own, sandbox payments, payment links."""

from __future__ import annotations

import time

import click
from flask import Flask

from checkout import clock
from checkout.domain.money import MoneyError, display_rupees, parse_rupees
from checkout.gateway import current_gateway
from checkout.services import links, sandbox
from checkout.services.errors import ServiceError
from checkout.storage.links import DuplicateSlug


def register_commands(app: Flask) -> None:
    register_link_commands(app)

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
