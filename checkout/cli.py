"""`flask` commands: the ticker on its own, and sandbox payments from a terminal."""

from __future__ import annotations

import time

import click
from flask import Flask

from checkout.api.schemas import UpiQrQuery
from checkout.clock import utcnow
from checkout.domain.money import display_rupees
from checkout.gateway import current_gateway
from checkout.services import sandbox
from checkout.services.errors import ServiceError


def register_commands(app: Flask) -> None:
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
            amount, balance = sandbox.pay_checkout(current_gateway().store, order_id, now=utcnow())
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
            paise = UpiQrQuery.model_validate(
                {"amount": amount}, context={"max_paise": gateway.settings.max_amount_paise}
            ).amount
        except ValueError as exc:
            raise click.ClickException(f"AMOUNT {amount!r} is not a valid amount: {exc}") from None
        balance = sandbox.credit_wallet(gateway.store, paise, now=utcnow())
        click.echo(f"credited {display_rupees(paise)}; sandbox balance {display_rupees(balance)}")
