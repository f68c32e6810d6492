"""`flask purge-personal-data` and `flask erase-customer`: retention by hand, audited.

The daily purge already runs inside the ticker; these are for a first run, a check of
what it would erase (--dry-run), and a customer's request to be forgotten.
"""

from __future__ import annotations

import click
from flask import Flask

from checkout import clock
from checkout.gateway import current_gateway
from checkout.services import retention
from checkout.storage.retention import Erased, PersonalDataStore
from checkout.terminal import failure, say

BY = "cli"


def _in_this_process() -> None:
    if current_gateway().settings.in_memory_store:
        raise failure(
            "the in-memory store lives in the running server (and is gone when it stops); "
            "its daily purge runs there. Point MONGODB_URI at MongoDB to erase by hand."
        )


def _say(erased: Erased, dry_run: bool) -> None:
    verb = "would erase" if dry_run else "erased"
    counts = ", ".join(f"{name} {count}" for name, count in erased.counts.items())
    say(f"{verb}: {counts} ({erased.total} records)")


def register(app: Flask) -> None:
    @app.cli.command("purge-personal-data")
    @click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
    def purge_personal_data(dry_run: bool) -> None:
        """Erase personal data older than PII_RETENTION_DAYS (amounts, ids and RRNs stay)."""
        _in_this_process()
        gateway = current_gateway()
        erased = retention.purge_personal_data(
            gateway.store,
            PersonalDataStore(),
            gateway.settings,
            now=clock.utcnow(),
            dry_run=dry_run,
            by=BY,
        )
        _say(erased, dry_run)

    @app.cli.command("erase-customer")
    @click.option("--email", required=True, help="The e-mail address the customer used.")
    @click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
    def erase_customer(email: str, dry_run: bool) -> None:
        """Erase what is kept about one customer, on their request."""
        _in_this_process()
        if "@" not in email:
            raise failure(f"--email must be an e-mail address, got {email!r}")
        gateway = current_gateway()
        erased = retention.erase_customer(
            gateway.store, PersonalDataStore(), email, now=clock.utcnow(), dry_run=dry_run, by=BY
        )
        _say(erased, dry_run)
