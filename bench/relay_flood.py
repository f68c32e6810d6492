"""10,000 forwarded bank SMS from 4 relays at once: none lost, none counted twice (issue 9).

The gateway runs as `python app.py` at its defaults (sandbox, in-memory store; or
`--store nx` for nx-27017 with 2 workers). Four relays, each with its own evidence
key, post in parallel over keep-alive connections. Every third message is a
re-delivery of one already sent (a relay retrying), every fifth is not a credit
(an OTP, a debit). Afterwards the ledger must hold exactly one credit per distinct
RRN sent, and every post must have had a 200.

    .venv/bin/python bench/relay_flood.py                  # 10,000 messages (~1-2 min)
    .venv/bin/python bench/relay_flood.py --messages 2000  # a shorter run
    .venv/bin/python bench/relay_flood.py --store nx

Also reports the SMS endpoint's throughput and latency percentiles, and the time
from an SMS post to the checkout's status reading `completed` (no tick in between).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.client import Client
from support.gateway import MERCHANT_AUTH, sandbox_gateway_process
from support.net import HOST
from support.processes import workdir
from support.report import code_version, load_average, machine_summary, percentile

from tests.support.nx import nx_server

RELAYS = 4
SENDER = "VM-HDFCBK-S"
CREDIT = (
    "Credit Alert!\nRs.{rupees} credited to HDFC Bank A/c XX4821 on 02-12-26 from VPA "
    "payer{n}@okicici (UPI {rrn})"
)
NOT_CREDIT = "{n:06d} is your OTP for a txn of Rs.{rupees} at SHOP. Do not share it with anyone."


def _post(client: Client, headers: dict[str, str], sender: str, text: str) -> tuple[int, dict]:
    body = json.dumps({"from": sender, "text": text}).encode()
    status, answer = client.request(
        "POST", "/api/v1/evidence/sms", body, {**headers, "Content-Type": "application/json"}
    )
    return status, json.loads(answer or b"{}")


def _evidence_key(client: Client, name: str) -> dict[str, str]:
    body = json.dumps({"name": name, "scope": "evidence"}).encode()
    status, answer = client.request(
        "POST", "/api/v1/api-keys", body, {**MERCHANT_AUTH, "Content-Type": "application/json"}
    )
    if status != 201:
        raise SystemExit(f"could not create an evidence key: {status} {answer[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(answer)['secret']}"}


def _messages(total: int, seed: int) -> list[tuple[str, str | None]]:
    """(text, rrn) in sending order; re-deliveries repeat an earlier text exactly."""
    rng = random.Random(seed)
    sent: list[tuple[str, str | None]] = []
    for n in range(total):
        if sent and n % 3 == 2:
            sent.append(rng.choice(sent))  # a relay retries a message it sent
        elif n % 5 == 4:
            sent.append((NOT_CREDIT.format(n=n, rupees=f"{rng.randint(1, 999)}.00"), None))
        else:
            rrn = f"7{n:011d}"
            rupees = f"{rng.randint(1, 50_000)}.{rng.randint(0, 99):02d}"
            sent.append((CREDIT.format(rupees=rupees, n=n, rrn=rrn), rrn))
    return sent


def _count_credits(client: Client) -> int:
    seen = 0
    cursor = ""
    while True:
        path = "/api/v1/credits?limit=100" + (f"&startingAfter={cursor}" if cursor else "")
        status, answer = client.request("GET", path, headers=MERCHANT_AUTH)
        if status != 200:
            raise SystemExit(f"listing credits failed: {status}")
        page = json.loads(answer)
        seen += sum(1 for credit in page["data"] if credit["source"] == "sms")
        if not page["hasMore"]:
            return seen
        cursor = page["nextCursor"]


def _time_to_success(client: Client, headers: dict[str, str], runs: int) -> list[float]:
    times = []
    for n in range(runs):
        body = json.dumps({"amount": f"{777 + n}.00"}).encode()
        _, answer = client.request(
            "POST",
            "/api/v1/checkout-sessions",
            body,
            {**MERCHANT_AUTH, "Content-Type": "application/json"},
        )
        session = json.loads(answer)
        time.sleep(1.0)  # a real customer takes longer to scan and pay
        text = CREDIT.format(rupees=f"{777 + n}.00", n=n, rrn=f"8{n:011d}")
        started = time.perf_counter()
        _post(client, headers, SENDER, text)
        _, raw = client.request(
            "GET", f"/api/v1/checkout-sessions/{session['id']}", headers=MERCHANT_AUTH
        )
        if json.loads(raw)["status"] == "completed":
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--store", choices=("memory", "nx"), default="memory")
    args = parser.parse_args()
    print(machine_summary())
    print(f"code {code_version()}; load {load_average()}")
    with workdir("relay-flood") as scratch:
        if args.store == "nx":
            with nx_server(scratch) as uri:
                _run(scratch, args, uri)
        else:
            _run(scratch, args, None)


def _run(scratch: Path, args: argparse.Namespace, mongodb_uri: str | None) -> None:
    gateway = sandbox_gateway_process(scratch)
    gateway.env["RATE_LIMIT_MAX_REQUESTS"] = "100000"
    if mongodb_uri:
        gateway.env.update(MONGODB_URI=mongodb_uri, MONGODB_DB_NAME="flood")
    with gateway:
        admin = Client(HOST, gateway.port)
        keys = [_evidence_key(admin, f"relay-{n}") for n in range(RELAYS)]
        messages = _messages(args.messages, args.seed)
        shares = [messages[n::RELAYS] for n in range(RELAYS)]
        latencies: list[float] = []
        failures: list[int] = []
        outcomes: dict[str, int] = {}
        lock = threading.Lock()

        def relay(n: int) -> None:
            client = Client(HOST, gateway.port, source_ip=f"127.0.0.{10 + n}")
            for text, _ in shares[n]:
                started = time.perf_counter()
                status, answer = _post(client, keys[n], SENDER, text)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if status != 200:
                        failures.append(status)
                    outcome = str(answer.get("outcome"))
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1

        began = time.perf_counter()
        threads = [threading.Thread(target=relay, args=(n,)) for n in range(RELAYS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began

        distinct = {rrn for _, rrn in messages if rrn}
        ledgered = _count_credits(admin)
        latencies.sort()
        print(
            f"{len(messages)} posts by {RELAYS} relays in {wall:.1f} s: "
            f"{len(messages) / wall:.0f} posts/s"
        )
        print(
            f"latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
        )
        print(f"outcomes: {dict(sorted(outcomes.items()))}; non-200 answers: {len(failures)}")
        print(f"distinct RRNs sent: {len(distinct)}; credits in the ledger: {ledgered}")
        lost, doubled = max(0, len(distinct) - ledgered), max(0, ledgered - len(distinct))
        print(f"lost: {lost}; counted twice: {doubled}")
        times = sorted(_time_to_success(admin, keys[0], 10))
        if times:
            print(
                f"SMS post -> status completed: {len(times)}/10 runs, "
                f"median {percentile(times, 0.5) * 1000:.0f} ms, "
                f"max {times[-1] * 1000:.0f} ms"
            )
        print(f"load {load_average()}")
        if failures or lost or doubled:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
