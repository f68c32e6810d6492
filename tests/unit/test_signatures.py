"""checkout/webhooks.py as a merchant runs it: copied alone into their backend.

A verifier that raises anything but InvalidSignature on a hostile request
turns a forged webhook into a 500 on the merchant's side, and one whose time
check can be switched off by a harmless-looking 0 accepts replays forever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checkout import webhooks
from checkout.webhooks import InvalidSignature, sign, verify, verify_redirect

SOURCE = Path(webhooks.__file__)
SECRET = "whsec_unit"
NOW = 1_750_000_000
BODY = json.dumps({"id": "evt_" + "0" * 24, "type": "checkout.completed", "data": {}})


def raw_signature(body: bytes, t: str, secret: str = SECRET) -> str:
    """A header signed over exactly these bytes, whatever they are."""
    digest = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_a_good_signature_still_verifies() -> None:
    header = sign(BODY, SECRET, NOW)
    assert verify(BODY, header, SECRET, now=NOW)["type"] == "checkout.completed"
    assert verify(BODY.encode(), header, SECRET, now=NOW + 300)["id"].startswith("evt_")
    assert verify(BODY, header.encode(), SECRET, now=NOW)  # a framework's raw header bytes
    assert verify(BODY, f"{header},v1={'0' * 64}", SECRET, now=NOW)  # rotation: any v1 may match


MALFORMED: dict[str, tuple[Any, Any]] = {
    "body not UTF-8, correctly signed": (b"\xff\xfe{}", raw_signature(b"\xff\xfe{}", str(NOW))),
    "body not UTF-8, someone else's signature": (b"\xc3\x28", sign(BODY, SECRET, NOW)),
    "body with a lone surrogate": ("\ud800", sign(BODY, SECRET, NOW)),
    "body not bytes or text": (None, sign(BODY, SECRET, NOW)),
    "signed body that is not JSON": (b"not json", raw_signature(b"not json", str(NOW))),
    "signed body that is a JSON list": (b"[1, 2]", raw_signature(b"[1, 2]", str(NOW))),
    "header not text": (BODY, 12345),
    "header bytes not ASCII": (BODY, b"t=1,v1=\xff"),
    "header with no parts": (BODY, ",,,"),
    "timestamp not digits": (BODY, "t=abc,v1=" + "0" * 64),
    "timestamp empty": (BODY, "t=,v1=" + "0" * 64),
    "timestamp with a sign": (BODY, raw_signature(BODY.encode(), f"+{NOW}")),
    "timestamp with underscores": (BODY, raw_signature(BODY.encode(), f"{NOW:_}")),
    "timestamp in other digits": (
        BODY,
        raw_signature(BODY.encode(), str(NOW).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))),
    ),
    "timestamp absurdly long": (BODY, "t=" + "9" * 5000 + ",v1=" + "0" * 64),
    "signature not hex": (BODY, f"t={NOW},v1={'z' * 64}"),
    "signature too short": (BODY, f"t={NOW},v1=abc"),
    "signature not ASCII": (BODY, f"t={NOW},v1={'é' * 64}"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_raises_invalid_signature_only(case: str) -> None:
    body, header = MALFORMED[case]
    with pytest.raises(InvalidSignature):
        verify(body, header, SECRET, now=NOW)


@pytest.mark.parametrize("tolerance", [0, -1, -300, 0.0, float("nan"), float("inf")])
def test_a_tolerance_that_would_switch_the_time_check_off_is_refused(tolerance: float) -> None:
    header = sign(BODY, SECRET, NOW - 10**6)  # years old: accepted only with no time check
    with pytest.raises(ValueError, match="tolerance") as raised:
        verify(BODY, header, SECRET, tolerance=tolerance, now=NOW)  # type: ignore[arg-type]
    assert not isinstance(raised.value, InvalidSignature)  # a programming error, said loudly
    with pytest.raises(ValueError, match="tolerance"):
        verify_redirect({"t": str(NOW - 10**6)}, "key", tolerance=tolerance, now=NOW)  # type: ignore[arg-type]


def test_a_small_tolerance_still_checks_time() -> None:
    header = sign(BODY, SECRET, NOW)
    assert verify(BODY, header, SECRET, tolerance=1, now=NOW + 1)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(BODY, header, SECRET, tolerance=1, now=NOW + 2)


def test_an_empty_secret_is_refused() -> None:
    """An unset environment variable must not verify messages signed with an empty key."""
    header = sign(BODY, "", NOW)
    with pytest.raises(ValueError, match="secret"):
        verify(BODY, header, "", now=NOW)


def test_the_file_runs_alone_with_the_standard_library(tmp_path: Path) -> None:
    """What merchants copy must not pull in our stack: run the copy in a bare interpreter."""
    (tmp_path / "upi_signatures.py").write_text(SOURCE.read_text(encoding="utf-8"))
    script = (
        "import sys\n"
        "sys.path.insert(0, '.')\n"
        "import upi_signatures as s\n"
        f"h = s.sign({BODY!r}, 'k', {NOW})\n"
        f"assert s.verify({BODY!r}.encode(), h, 'k', now={NOW})['type'] == 'checkout.completed'\n"
        "heavy = {'flask', 'mongoengine', 'pydantic', 'werkzeug', 'requests', 'checkout'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"
