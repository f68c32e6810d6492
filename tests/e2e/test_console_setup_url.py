"""`python app.py` with the embedded defaults (no ADMIN_SECRET) prints a setup URL whose
one-time token, made before gunicorn forks, is the one the worker accepts: once."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import requests

from tests.conftest import ROOT, child_environment
from tests.support.servers import free_port, until

SETUP = re.compile(r"setup:\s+(http://\S+/admin/setup\?token=[A-Za-z0-9_\-]{40,})")
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "correct horse battery staple"


def test_the_printed_setup_url_makes_the_first_owner_once(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=child_environment(tmp_path, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        url = until(
            lambda: next((m.group(1) for m in map(SETUP.search, lines) if m), None),
            timeout=30,
            failure="no setup URL was printed",
        )
        base = f"http://127.0.0.1:{port}"
        url = url.replace(f"http://127.0.0.1:{port}", base)
        assert f"console: {base}/admin/login" in "".join(lines)
        browser = requests.Session()
        page = until(lambda: _get(browser, url), timeout=30, failure="the server never answered")
        token = url.rsplit("token=", 1)[1]
        form = {
            "csrf_token": TOKEN.search(page).group(1),  # type: ignore[union-attr]
            "proof": token,
            "email": "owner@shop.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        made = browser.post(f"{base}/admin/setup", data=form, allow_redirects=False, timeout=10)
        assert made.status_code == 302, made.text
        again = browser.post(
            f"{base}/admin/setup", data={**form, "email": "x@shop.test"}, timeout=10
        )
        assert "Setup is done" in again.text
        login = browser.get(f"{base}/admin/login", timeout=10).text
        signed = browser.post(
            f"{base}/admin/login",
            data={
                "csrf_token": TOKEN.search(login).group(1),  # type: ignore[union-attr]
                "email": "owner@shop.test",
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=10,
        )
        assert signed.status_code == 302
        # The token is printed on the terminal and nowhere else: not in the log files.
        logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*") if p.is_file())
        assert token not in logs
    finally:
        process.terminate()
        process.wait(20)


def _get(session: requests.Session, url: str) -> str | None:
    try:
        answer = session.get(url, timeout=5)
    except requests.RequestException:
        return None
    return answer.text if answer.status_code == 200 else None
