"""The background ticker: asks for a tick every fraction of the poll interval.

Every process may run one; the store's lease keeps wallet calls single-flight,
so only one tick per interval actually asks the wallet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from checkout import clock
from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.services import imap_poll, leases, retention
from checkout.services.background import BackgroundLoop
from checkout.services.ticks import TickReport, run_tick
from checkout.storage.evidence import EvidenceStore
from checkout.storage.retention import Erased, PersonalDataStore
from checkout.storage.store import Store

RETENTION_ASK_EVERY = timedelta(minutes=10)


class Ticker(BackgroundLoop):
    thread_name = "upi-ticker"

    def __init__(
        self,
        store: Store,
        provider: WalletProvider,
        settings: Settings,
        now_fn: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(wake_seconds=min(0.5, settings.poll_interval_seconds / 3))
        self.store = store
        self.provider = provider
        self.settings = settings
        self._now_fn = now_fn
        # Names this process, so a lease it leaves behind by dying is taken over at once.
        self.owner = leases.process_owner("ticker")
        # The daily erasure is asked for at most this often by each process (its lease
        # decides who runs it and when it is due), not on every wake.
        self._retention_asked_at: datetime | None = None

    def now(self) -> datetime:
        return self._now_fn() if self._now_fn else clock.utcnow()

    def tick(self) -> TickReport:
        return run_tick(self.store, self.provider, self.settings, owner=self.owner, now=self.now())

    def poll_mail(self) -> imap_poll.PollReport:
        """The alert mailbox (EVIDENCE_IMAP_URL), under its own lease: at most once per interval."""
        return imap_poll.poll_mailbox(
            self.store, EvidenceStore(), self.settings, owner=self.owner, now=self.now()
        )

    def purge_personal_data(self) -> Erased | None:
        """PII_RETENTION_DAYS, once a day across every process."""
        now = self.now()
        asked = self._retention_asked_at
        if asked is not None and now - asked < RETENTION_ASK_EVERY:
            return None
        self._retention_asked_at = now
        return retention.purge_when_due(
            self.store, PersonalDataStore(), self.settings, owner=self.owner, now=now
        )

    def run_once(self) -> TickReport:
        if self.settings.evidence_imap_url:
            self.poll_mail()
        report = self.tick()
        self.purge_personal_data()
        return report
