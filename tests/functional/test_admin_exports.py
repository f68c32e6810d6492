"""Console CSV exports: signed in, the Payments filters (unknown ones refused), parsed back."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.config import Settings
from checkout.gateway import Gateway
from checkout.services import exports
from checkout.storage.models import PaymentSession, WalletCredit
from tests.conftest import AUTH
from tests.functional.console_login import csrf_app, sign_in

V1 = "/api/v1/checkout-sessions"
CHECKOUTS = "/admin/exports/checkouts.csv"
EVIDENCE = "/admin/exports/evidence.csv"


@pytest.fixture
def settings(settings: Settings, mongodb_uri: str) -> Settings:
    """Every test twice: mongomock, and nx-27017 (its date-as-text and paging quirks)."""
    return dataclasses.replace(settings, mongodb_uri=mongodb_uri).validated()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    yield from csrf_app(settings)


@pytest.fixture
def staff(client: FlaskClient, gateway: Gateway) -> str:
    """Signed in as staff: exports are for everyone who may see payments."""
    return sign_in(client, gateway, "staff")


def _open(client: FlaskClient, order_id: str, amount: str, **body: Any) -> str:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount, **body}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    session_id: str = answer.get_json()["id"]
    return session_id


def _created_at(order_id: str, moment: datetime) -> None:
    PaymentSession.objects(orderId=order_id).update_one(set__createdAt=moment)


def _rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert tuple(reader.fieldnames or ()) in (exports.CHECKOUT_COLUMNS, exports.EVIDENCE_COLUMNS)
    return list(reader)


def test_signed_out_is_redirected_to_login(client: FlaskClient) -> None:
    for path in ("/admin/exports", CHECKOUTS, EVIDENCE + "?from=2026-12-01"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "login" in response.headers["Location"] and "next=" in response.headers["Location"]


def test_checkouts_csv_parsed_back_with_filters_local_days_and_amounts(
    staff: str, client: FlaskClient, pay: Callable[[str], Any]
) -> None:
    paid_id = _open(client, "ORD-EXP1", "1234.5", customer={"name": "Asha", "email": "a@x.in"})
    pay("ORD-EXP1")
    _open(client, "ORD-EXP2", "99")
    _open(client, "ORD-EXP3", "100000")
    # 19:00 UTC on 1 December is 00:30 on 2 December in Asia/Kolkata.
    _created_at("ORD-EXP1", datetime(2026, 12, 1, 19, 0, tzinfo=UTC))
    _created_at("ORD-EXP2", datetime(2026, 12, 1, 18, 29, 59, tzinfo=UTC))  # 23:59:59 on the 1st
    _created_at("ORD-EXP3", datetime(2026, 12, 3, 10, 0, tzinfo=UTC))

    everything = _rows(client, CHECKOUTS)
    assert [row["orderId"] for row in everything] == ["ORD-EXP2", "ORD-EXP1", "ORD-EXP3"]

    (paid,) = _rows(client, CHECKOUTS + "?status=completed")
    assert paid["id"] == paid_id and paid["status"] == "completed"
    assert paid["requestedAmount"] == "1234.50" and paid["amountPaid"] == paid["amount"]
    assert paid["refundedAmount"] == "0.00" and paid["customerName"] == "Asha"
    assert paid["createdAt"] == "2026-12-02T00:30:00+05:30"
    assert paid["completedAt"].endswith("+05:30") and paid["evidenceKeys"]

    day = _rows(client, CHECKOUTS + "?from=2026-12-02&to=2026-12-02")
    assert [row["orderId"] for row in day] == ["ORD-EXP1"]
    first = _rows(client, CHECKOUTS + "?to=2026-12-01")
    assert [row["orderId"] for row in first] == ["ORD-EXP2"]
    assert first[0]["amountPaid"] == "" and first[0]["amount"].startswith("99.")

    (found,) = _rows(client, CHECKOUTS + "?q=asha")
    assert found["orderId"] == "ORD-EXP1"

    ranged = _rows(client, CHECKOUTS + "?min=100&max=100000&status=")
    assert [row["orderId"] for row in ranged] == ["ORD-EXP1", "ORD-EXP3"]
    assert ranged[1]["requestedAmount"] == "100000.00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?search=x", "search"),
        ("?status=paid", "status"),
        ("?from=01-12-2026", "from"),
        ("?from=2026-12-03&to=2026-12-01", "to"),
        ("?min=1.234", "min"),
        ("?min=50&max=10", "max"),
        ("?status=pending&status=completed", "status"),
        ("?page=2", "page"),
    ],
)
def test_a_filter_not_understood_is_refused(
    staff: str, client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(CHECKOUTS + query, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype != "text/csv"
    assert field in response.get_data(as_text=True)


def test_evidence_refuses_checkout_filters(staff: str, client: FlaskClient) -> None:
    assert client.get(EVIDENCE + "?status=completed").status_code == 400
    assert client.get(EVIDENCE + "?from=tomorrow").status_code == 400


def test_cells_a_spreadsheet_would_run_get_an_apostrophe(staff: str, client: FlaskClient) -> None:
    _open(client, "ORD-EXP4", "10", description='=HYPERLINK("http://evil")')
    PaymentSession.objects(orderId="ORD-EXP4").update_one(
        set__customer={"name": "@SUM(A1)", "phone": "+91 98765 43210", "email": "-x@y.in"}
    )
    (row,) = _rows(client, CHECKOUTS)
    assert row["description"] == '\'=HYPERLINK("http://evil")'
    assert row["customerName"] == "'@SUM(A1)" and row["phone"] == "'+91 98765 43210"
    assert row["email"] == "'-x@y.in"
    assert exports.safe_cell("plain") == "plain" and exports.safe_cell(None) == ""
    assert exports.safe_cell("\tx") == "'\tx"


def _credit(key: str, paise: int, observed: datetime, **fields: Any) -> None:
    WalletCredit(key=key, provider="sms", amountPaise=paise, observedAt=observed, **fields).save()


def test_evidence_csv_in_local_days(staff: str, client: FlaskClient) -> None:
    _credit("rrn:111", 50, datetime(2026, 12, 1, 18, 30, tzinfo=UTC), rrn="111", payer="=cmd")
    _credit("rrn:222", 1234567, datetime(2026, 12, 2, 18, 29, tzinfo=UTC), state="unattributed")
    _credit("rrn:333", 100, datetime(2026, 12, 2, 18, 30, tzinfo=UTC))
    rows = _rows(client, EVIDENCE + "?from=2026-12-02&to=2026-12-02")
    assert [row["rrn"] for row in rows] == ["111", ""]
    assert rows[0]["amount"] == "0.50" and rows[0]["payer"] == "'=cmd"
    assert rows[0]["observedAt"] == "2026-12-02T00:00:00+05:30"
    assert rows[1]["amount"] == "12345.67" and rows[1]["state"] == "unattributed"
    assert rows[0]["id"].startswith("cr_") and rows[0]["provider"] == "sms"
    assert len(_rows(client, EVIDENCE)) == 3


def test_rows_go_out_in_chunks() -> None:
    rows = ([str(n), "=x"] for n in range(5))
    chunks = list(exports.csv_chunks(("n", "v"), rows, chunk_rows=2))
    assert len(chunks) == 3
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[0] == ["n", "v"] and parsed[-1] == ["4", "'=x"] and len(parsed) == 6


def test_the_exports_page_links_both_downloads(staff: str, client: FlaskClient) -> None:
    page = client.get("/admin/exports").get_data(as_text=True)
    assert CHECKOUTS in page and EVIDENCE in page and "evidenceKeys" in page


def test_the_payments_page_offers_its_filters_as_a_download(
    staff: str, client: FlaskClient
) -> None:
    _open(client, "ORD-EXP5", "42")
    page = client.get("/admin/checkouts?status=pending&min=40").get_data(as_text=True)
    link = re.search(r'href="(/admin/exports/checkouts\.csv\?[^"]+)"', page)
    assert link, page
    url = link.group(1).replace("&amp;", "&")
    assert "status=pending" in url and "min=40" in url
    assert [row["orderId"] for row in _rows(client, url)] == ["ORD-EXP5"]


def test_rows_come_in_store_batches_each_once_in_order(app: Flask, client: FlaskClient) -> None:
    """Several round trips to the store (batches of 2): every row once, oldest first."""
    for n in range(7):
        _open(client, f"ORD-BAT{n}", str(10 + n))
        _created_at(f"ORD-BAT{n}", datetime(2026, 12, 1, 10, n, tzinfo=UTC))
    for n in range(3):
        _credit(f"rrn:90{n}", 100 + n, datetime(2026, 12, 1, 10, n, tzinfo=UTC))
    filters = exports.checkout_filters({"min": "11"})
    with app.app_context():
        rows = list(exports.checkout_rows(filters, "Asia/Kolkata", batch_size=2))
        credits = list(exports.evidence_rows(exports.day_range({}, "UTC"), "UTC", batch_size=2))
    assert [row[1] for row in rows] == [f"ORD-BAT{n}" for n in range(1, 7)]
    assert [row[5] for row in credits] == ["1.00", "1.01", "1.02"]
