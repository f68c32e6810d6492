"""What the benches share, one module per concern.

- `net`: loopback addresses, the only place benches send traffic.
- `client`: a lean keep-alive HTTP/1.1 client bound to a chosen source address.
- `wallet`: the stub MobiKwik API (the tests' `StubWallet`, on its own server).
- `processes`: servers the bench starts and stops by pid, scratch folders, CPU time.
- `gateway`: the gateway as `python app.py`, and the bare Flask app beside it.
- `checkouts`: opening checkouts through the merchant API.
- `report`: percentiles, tables, and the machine and commit a figure was measured on.

nx-27017 comes from `tests/support/nx.py` and Chromium from `tests/browser/chromium.py`,
so a bench runs the very servers and browser the tests run; neither imports pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `python bench/x.py` puts bench/, not the repository, on the path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
