"""Where a webhook may be sent, and how to reach exactly the address that was checked.

A URL is checked by resolving its name once; the send then connects to an address
from that answer (Host and TLS name kept), so a name that answers a public address
to the check and loopback to the connection never reaches loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, PoolManager
from urllib3.exceptions import ConnectTimeoutError

from checkout.config import Settings
from checkout.services.errors import ServiceError
from checkout.urls import url_problem

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 10.0
# Addresses of one name tried per attempt when the first cannot be connected to; bounded
# so that an attempt (each address up to SEND_TIMEOUT_SECONDS) ends inside the outbox's
# delivery lease.
MAX_ADDRESSES_TRIED = 3


class InvalidWebhookUrl(ServiceError):
    status = 400


class RefusedAddress(InvalidWebhookUrl):
    """The name resolves to an address we do not send to (loopback, private, metadata…)."""


class Unresolvable(Exception):
    """The name has no address right now: try again later, nothing was sent."""


Resolver = Callable[..., Sequence[tuple[Any, ...]]]
"""socket.getaddrinfo's shape; tests pass their own DNS."""


@dataclass(frozen=True)
class Target:
    """Where a webhook goes: its URL, and the addresses it was checked as."""

    url: str
    addresses: tuple[str, ...]


def _check_form(url: str, settings: Settings) -> str:
    """Everything about a URL that needs no DNS; returns its host name."""
    problem = url_problem(url)
    if problem is not None:
        raise InvalidWebhookUrl(f"url {problem}", field="url")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidWebhookUrl("url must be an http(s) URL", field="url")
    if settings.production and parts.scheme != "https":
        raise InvalidWebhookUrl("url must use https in production", field="url")
    return parts.hostname


def _private_name(name: str) -> bool:
    name = name.rstrip(".").lower()  # "localhost." is localhost too
    return name in {"localhost", "localhost.localdomain"} or name.endswith(".localhost")


def _private_address(address: str) -> bool:
    """Loopback, private, link-local, shared (CGNAT) or reserved: anything not on the internet."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved


def _addresses(host: str, port: int, resolver: Resolver) -> tuple[str, ...]:
    """Every address `host` resolves to, in the resolver's order of preference."""
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise Unresolvable(host) from exc
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]  # fe80::1%eth0: the scope is not the address
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue  # not an address we could connect to, so not one we could check
        if address not in found:
            found.append(address)
    if not found:
        raise Unresolvable(host)
    return tuple(found)


def _refuse_private() -> RefusedAddress:
    return RefusedAddress(
        "url points at a loopback or private address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)",
        field="url",
    )


def resolve_target(url: str, settings: Settings, resolver: Resolver = socket.getaddrinfo) -> Target:
    """Look the host up once and check every address it has; the send connects to these.

    Looking it up again to connect would let a name answer a public address to the
    check and 127.0.0.1 to the connection (DNS rebinding).
    Raises InvalidWebhookUrl (RefusedAddress for an address) or Unresolvable.
    """
    host = _check_form(url, settings)
    if not settings.webhook_allow_private and _private_name(host):
        raise _refuse_private()
    port = urlsplit(url).port or (443 if url.startswith("https:") else 80)
    addresses = _addresses(host, port, resolver)
    if not settings.webhook_allow_private and any(_private_address(a) for a in addresses):
        raise _refuse_private()
    return Target(url, addresses)


def check_url(url: str, settings: Settings, resolver: Resolver = socket.getaddrinfo) -> str:
    """Registration's check: the form always, the addresses when the name resolves now.

    A name that does not resolve yet is accepted (DNS may follow the registration);
    every send resolves and checks it again, and connects only to what it checked.
    """
    _check_form(url, settings)
    if not settings.webhook_allow_private:
        with contextlib.suppress(Unresolvable):
            resolve_target(url, settings, resolver)
    return url


def shown_url(url: str) -> str:
    """`url` without any user name or password, for lists and logs.

    URLs with credentials are refused now; one stored before that still never shows them.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def shown_host(url: str) -> str:
    try:
        return urlsplit(shown_url(url)).netloc.rpartition("@")[2]
    except ValueError:
        return "(unreadable URL)"


class _PinnedPoolManager(PoolManager):
    """Opens every connection to one address, whatever the URL's name resolves to now."""

    def __init__(self, address: str, *args: Any, **kwargs: Any) -> None:
        self.address = address
        super().__init__(*args, **kwargs)

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        kwargs = dict(pool_kwargs or {})
        if scheme == "https" and host:
            # TLS still speaks to the name: it is the SNI, and the ssl module checks the
            # certificate against it. (assert_hostname would do the same by hand, but
            # switch check_hostname off on requests' shared default SSL context.)
            kwargs["server_hostname"] = host
        return super().connection_from_host(self.address, port, scheme, pool_kwargs=kwargs)


class PinnedAdapter(HTTPAdapter):
    """A requests transport that connects to a checked address, keeping Host and TLS names."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _PinnedPoolManager(
            self.address, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # http.client would name the address it connects to; the receiver expects the name.
        request.headers["Host"] = urlsplit(request.url or "").netloc.rpartition("@")[2]


def post_pinned(
    url: str,
    address: str,
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    verify: bool | str = True,
) -> requests.Response:
    """POST `url` over a connection to `address`, which was checked; never resolve again."""
    with requests.Session() as http:
        http.trust_env = False  # a proxy from the environment would resolve the name itself
        adapter = PinnedAdapter(address)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        return http.post(
            url,
            data=data,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            verify=verify,
        )


def _never_connected(exc: requests.RequestException) -> bool:
    """True when nothing reached the receiver, so the next checked address may be tried."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, ConnectTimeoutError)


def send_to(
    target: Target, body: bytes, headers: dict[str, str], timeout: float
) -> requests.Response:
    """Try the checked addresses in order while none could even be connected to."""
    last: requests.RequestException | None = None
    for address in target.addresses[:MAX_ADDRESSES_TRIED]:
        try:
            return post_pinned(target.url, address, data=body, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            if not _never_connected(exc):
                raise
            last = exc
    assert last is not None  # resolve_target never returns a target without addresses
    raise last
