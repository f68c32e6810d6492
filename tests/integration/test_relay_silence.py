"""A relay that falls silent while checkouts are payable: /health degrades, one
`relay.silent` event is sent per silence, the pay page asks for the UTR, and the
relay's next message or ping ends it. Time is patched; the relay is real (the
heartbeat endpoint, proved by ADMIN_SECRET)."""

from __future__ import annotations

from typing import Any

from checkout.services.presenters import iso
from tests.conftest import AUTH
from tests.integration.test_webhooks import Hooks, Receiver, hooks, receiver

__all__ = ["hooks", "receiver"]  # the fixtures, shared with the webhook tests

WINDOW = 30  # RELAY_SILENCE_MINUTES' default


def ping(hooks: Hooks) -> None:
    answer = hooks.client.post("/api/v1/evidence/heartbeat", headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)


def health(hooks: Hooks) -> dict[str, Any]:
    answer = hooks.client.get("/health")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.get_json()
    return body


def relay_events(receiver: Receiver) -> list[dict[str, Any]]:
    return [r.event for r in receiver.received if r.event["type"] == "relay.silent"]


def test_no_relay_no_relay_check(hooks: Hooks) -> None:
    hooks.open("ORD-NORELAY")
    hooks.clock.advance(minutes=WINDOW + 1)
    body = health(hooks)
    assert body["status"] == "ok" and "relay" not in body["checks"]


def test_silent_after_the_window_only_while_something_is_payable(hooks: Hooks) -> None:
    assert hooks.gateway.settings.relay_silence_minutes == WINDOW
    ping(hooks)
    assert health(hooks)["checks"]["relay"] == "ok"

    hooks.clock.advance(minutes=WINDOW + 1)
    quiet = health(hooks)  # nothing is payable: a quiet phone is no fault
    assert (quiet["status"], quiet["checks"]["relay"]) == ("ok", "ok")

    session = hooks.open("ORD-SILENT")
    silent = health(hooks)
    assert (silent["status"], silent["checks"]["relay"]) == ("degraded", "silent")
    page = hooks.client.get(session["url"]).get_data(as_text=True)
    assert "relay-silent" in page and "UTR" in page


def test_inside_the_window_the_relay_is_ok(hooks: Hooks) -> None:
    ping(hooks)
    session = hooks.open("ORD-RECENT")
    hooks.clock.advance(minutes=WINDOW - 1)
    body = health(hooks)
    assert (body["status"], body["checks"]["relay"]) == ("ok", "ok")
    assert "relay-silent" not in hooks.client.get(session["url"]).get_data(as_text=True)


def test_one_event_per_silence_and_the_next_message_ends_it(
    hooks: Hooks, receiver: Receiver
) -> None:
    hooks.register(receiver.url)
    ping(hooks)
    last_seen = hooks.clock()
    hooks.open("ORD-WAITING", expiresInMinutes=180)
    hooks.clock.advance(minutes=WINDOW + 1)
    for _ in range(3):  # every tick looks; the silence is owed once
        hooks.tick()
        hooks.round()
    (event,) = relay_events(receiver)
    assert event["data"] == {"relay": "admin", "lastSeenAt": iso(last_seen)}

    ping(hooks)  # the relay is back
    assert health(hooks)["checks"]["relay"] == "ok"
    hooks.tick()
    hooks.round()
    assert len(relay_events(receiver)) == 1

    hooks.clock.advance(minutes=WINDOW + 1)  # a second silence is a second event
    hooks.tick()
    hooks.round()
    first, second = relay_events(receiver)
    assert first["id"] != second["id"]
    assert health(hooks)["checks"]["relay"] == "silent"
