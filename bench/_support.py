"""Shared pieces of the benches: a stub wallet, server processes, a lean HTTP client.

Everything here talks to loopback only (127.0.0.0/8). Every wait is bounded:
servers get a fixed time to come up and to stop, every socket has a timeout.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/x.py` puts bench/, not the repo, on the path

from checkout.config import ENV_VARIABLES  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")

HOST = "127.0.0.1"
ADMIN_SECRET = "bench-admin-secret-0123456789abcdef"  # noqa: S105 - loopback bench only
WALLET_TOKEN = "bench-wallet-token"  # noqa: S105 - loopback bench only
WALLET_BALANCE = "5000.50"

# Client source addresses: 127.0.0.2 … 127.0.0.250. The gateway limits status polls
# per client IP, so spreading clients across addresses is how one machine stands in
# for many shoppers.
SOURCE_IPS: tuple[str, ...] = tuple(f"127.0.0.{i}" for i in range(2, 251))

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
SOCKET_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- stub wallet ---------------------------------------------------------------------------


class WalletStub:
    """The MobiKwik balance API on loopback, counting GETs (thread-safe) with their times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[float] = []
        self.unauthorized = 0
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("authorization") != WALLET_TOKEN:
                    with stub._lock:
                        stub.unauthorized += 1
                    self._answer(401, {"success": False, "message": "unauthorized"})
                    return
                with stub._lock:
                    stub._calls.append(time.monotonic())
                self._answer(200, {"success": True, "data": {"balance": float(WALLET_BALANCE)}})

            def _answer(self, status: int, body: dict[str, object]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://{HOST}:{self.port}/p/wallet/balance"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WalletStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def total(self) -> int:
        with self._lock:
            return len(self._calls)

    def calls_between(self, start: float, end: float) -> list[float]:
        """Monotonic times of the GETs answered in [start, end)."""
        with self._lock:
            return [t for t in self._calls if start <= t < end]


# -- server processes ----------------------------------------------------------------------


class ServerProcess:
    """A server we start ourselves, stopped by its own pid (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        env: dict[str, str],
        workdir: Path,
        http: bool = True,
    ) -> None:
        self.name = name
        self.http = http
        self.argv = list(argv)
        self.port = port
        self.env = env
        self.log_path = workdir / f"{name}.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0):
                    pass
                if not self.http:
                    return
                client = Client(HOST, self.port)
                try:
                    status, _ = client.get("/health")
                finally:
                    client.close()
                if status in (200, 404):  # the bare app has no /health
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not answer within {START_TIMEOUT:.0f}s:\n{self.tail()}"
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ')' is split safely.
    return raw[raw.rfind(")") + 2 :].split()


def process_tree_cpu_seconds(root: int) -> float:
    """User+system CPU seconds used so far by `root` and its live descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields_ = _stat_fields(int(entry.name))
            if fields_:
                parents[int(entry.name)] = int(fields_[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in tree:
        fields_ = _stat_fields(pid)
        if fields_:
            total += (int(fields_[11]) + int(fields_[12])) / ticks
    return total


def gateway_env(
    port: int, wallet_url: str, log_dir: Path, poll_interval: int, mongodb_uri: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOBIKWIK_", "MONGODB_"))}
    env.update(
        {
            "PORT": str(port),
            "HOST": HOST,
            "APP_ENV": "development",
            "MONGODB_URI": mongodb_uri,
            "PAYMENT_PROVIDER": "mobikwik",
            "MOBIKWIK_AUTH": WALLET_TOKEN,
            "MOBIKWIK_API_URL": wallet_url,
            "MOBIKWIK_HISTORY_URL": "",
            "ADMIN_SECRET": ADMIN_SECRET,
            "RATE_LIMIT_MAX_REQUESTS": "100000",
            "RATE_LIMIT_WINDOW_MS": "60000",
            "TRUSTED_PROXIES": "0",
            "LOG_DIR": str(log_dir),
            "POLL_INTERVAL_SECONDS": str(poll_interval),
            "SESSION_EXPIRY_MINUTES": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def gateway_process(
    workdir: Path,
    wallet_url: str,
    poll_interval: int = 3,
    mongodb_uri: str = "mongomock://localhost",
) -> ServerProcess:
    """`python app.py`: gunicorn gthread, 8 threads; 1 worker on the in-memory store, else 2."""
    port = free_port()
    log_dir = workdir / "gateway-logs"
    log_dir.mkdir(exist_ok=True)
    env = gateway_env(port, wallet_url, log_dir, poll_interval, mongodb_uri)
    return ServerProcess("gateway", [PYTHON, "app.py"], port, env, workdir)


# Every variable the gateway reads; a sandbox bench drops them all from the inherited
# environment so that the gateway runs at its documented defaults.
GATEWAY_VARIABLES = ENV_VARIABLES


def sandbox_gateway_process(workdir: Path) -> ServerProcess:
    """`python app.py` at its defaults (sandbox wallet, in-memory store, 3 s ticks, 1 worker).

    Only PORT, LOG_DIR (scratch) and ADMIN_SECRET (to create checkouts through the merchant
    API) are set; HOST stays the default 127.0.0.1.
    """
    port = free_port()
    log_dir = workdir / "gateway-logs"
    log_dir.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in GATEWAY_VARIABLES}
    env.update(
        {
            "PORT": str(port),
            "LOG_DIR": str(log_dir),
            "ADMIN_SECRET": ADMIN_SECRET,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return ServerProcess("gateway", [PYTHON, "app.py"], port, env, workdir)


def create_checkout(port: int, rupees: str, source_ip: str | None = None) -> dict[str, object]:
    """One checkout through `POST /api/v1/checkout-sessions`; returns the 201 answer."""
    client = Client(HOST, port, source_ip)
    try:
        status, raw = client.request(
            "POST",
            "/api/v1/checkout-sessions",
            body=json.dumps({"amount": rupees, "description": "Bench order"}).encode(),
            headers={"Authorization": f"Bearer {ADMIN_SECRET}", "Content-Type": "application/json"},
        )
    finally:
        client.close()
    if status != 201:
        raise RuntimeError(f"checkout not created: {status} {raw[:200]!r}")
    answer: dict[str, object] = json.loads(raw)
    return answer


# -- headless Chromium (Debian's, never a downloaded one) -----------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A phone: 360 x 640 CSS px, touch, 1 device px per CSS px (as the browser tests use).
PHONE: dict[str, object] = {
    "viewport": {"width": 360, "height": 640},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 1,
}


def launch_chromium(playwright: object) -> object:
    """Headless Debian Chromium through Playwright (imported by the caller)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium package")
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


def bare_process(workdir: Path) -> ServerProcess:
    """bench/bare_app.py under the same gunicorn worker class, workers and threads."""
    port = free_port()
    argv = [
        GUNICORN,
        "-k",
        "gthread",
        "-w",
        "1",
        "--threads",
        "8",
        "--timeout",
        "30",
        "-b",
        f"{HOST}:{port}",
        "--pythonpath",
        str(BENCH_DIR),
        "bare_app:app",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ServerProcess("bare", argv, port, env, workdir)


def nx_process(workdir: Path) -> ServerProcess:
    """nx-27017 (the MongoDB wire-protocol server the test suite uses), in memory, on loopback.

    With a MongoDB URI `python app.py` runs 2 workers, so 2 tickers share one lease.
    """
    port = free_port()
    argv = [
        str(VENV_BIN / "nx-27017"),
        "--db",
        "memory",
        "--host",
        HOST,
        "-p",
        str(port),
        "--log-file",
        str(workdir / "nx.log"),
        "--pid-file",
        str(workdir / "nx.pid"),
    ]
    return ServerProcess("nx-27017", argv, port, dict(os.environ), workdir, http=False)


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A scratch directory for server output; BENCH_KEEP_TMP=1 keeps it for a post-mortem."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"  (kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)


# -- a lean keep-alive HTTP/1.1 client -------------------------------------------------------


class HTTPError(OSError):
    pass


class Client:
    """One keep-alive connection from a chosen loopback source address.

    Cheaper than http.client, so that on a 2-core machine the client spends as
    little CPU as possible next to the server it measures.
    """

    def __init__(self, host: str, port: int, source_ip: str | None = None) -> None:
        if not is_loopback(host) or (source_ip and not is_loopback(source_ip)):
            raise ValueError("benches only talk to loopback")
        self.host = host
        self.port = port
        self.source_ip = source_ip
        self.sock: socket.socket | None = None
        self._buf = b""
        self.connects = 0

    def _connect(self) -> socket.socket:
        source = (self.source_ip, 0) if self.source_ip else None
        sock = socket.create_connection(
            (self.host, self.port), timeout=SOCKET_TIMEOUT, source_address=source
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connects += 1
        self._buf = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        return self.send_raw(raw)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, headers=headers)

    def send_raw(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request; on a keep-alive connection the server closed, retry once."""
        reused = self.sock is not None
        try:
            return self._exchange(raw)
        except (ConnectionError, HTTPError):
            self.close()
            if not reused:
                raise
        return self._exchange(raw)

    def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = self._connect()
        sock = self.sock
        sock.sendall(raw)
        buf = self._buf
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise HTTPError("connection closed before the response head")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value.strip())
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
            elif lname == b"transfer-encoding":
                raise HTTPError("chunked responses are not supported by the bench client")
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise HTTPError("connection closed mid-body")
            rest += chunk
        body, self._buf = rest[:length], rest[length:]
        if close:
            self.close()
        return status, body


def create_checkouts(port: int, count: int, first_rupees: int = 100) -> list[str]:
    """Open `count` checkouts through the merchant API, each with its own amount.

    Amounts are 100.00, 101.00, … rupees, so no two checkouts share one (the
    gateway would otherwise add paise suffixes, at most 99 per requested amount).
    POST /api/v1/checkout-sessions is limited to 120/min per client IP, so the
    creates are spread over source addresses, at most 60 per address.
    """
    per_ip = 60
    ips = SOURCE_IPS[: max(1, -(-count // per_ip))]
    order_ids: list[str | None] = [None] * count
    failures: list[str] = []
    lock = threading.Lock()
    headers = {
        "Authorization": f"Bearer {ADMIN_SECRET}",
        "Content-Type": "application/json",
    }

    def worker(slot: int) -> None:
        client = Client(HOST, port, ips[slot])
        try:
            for i in range(slot, count, len(ips)):
                body = json.dumps({"amount": f"{first_rupees + i}.00"}).encode()
                status, raw = client.request(
                    "POST", "/api/v1/checkout-sessions", body=body, headers=headers
                )
                if status != 201:
                    with lock:
                        failures.append(f"{status} {raw[:200]!r}")
                    continue
                order_ids[i] = json.loads(raw)["orderId"]
        except OSError as exc:
            with lock:
                failures.append(repr(exc))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in range(len(ips))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if failures or any(o is None for o in order_ids):
        raise RuntimeError(f"could not create {count} checkouts: {failures[:5]}")
    return [o for o in order_ids if o is not None]


# -- reporting -------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def machine_summary() -> str:
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} RAM, "
        f"Python {platform.python_version()} ({PYTHON})"
    )


def code_version() -> str:
    """The commit the gateway was measured at, and whether the tree had uncommitted edits."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews every figure."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *values: object) -> None:
        self.rows.append([str(v) for v in values])

    def markdown(self) -> str:
        widths = [
            max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
            for i, c in enumerate(self.columns)
        ]
        lines = [
            "| " + " | ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True)) + " |",
            "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        ]
        for row in self.rows:
            lines.append(
                "| " + " | ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) + " |"
            )
        return "\n".join(lines)
