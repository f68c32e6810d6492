"""The in-memory store (mongomock) made safe for a threaded server.

mongomock keeps each collection as a dict of dicts, updates a stored document
in place, and evaluates a query lazily (a cursor copies matching documents on
its first read). A read racing a write in another thread can then die with
"dictionary changed size during iteration", or see a half-applied update that
is rolled back a moment later. A real MongoDB server never shows either.

Here every mongomock call (client, database, collection, and the moment a
cursor computes its results) runs under one process-wide re-entrant lock, so
each call is all-or-nothing to every other thread. Results leave the lock as
copies: mongomock copies documents out, and a generator is drained inside the
lock. `Store`'s own lock still groups several calls into one atomic step; it
is always taken before this one, never while holding it, so the two cannot
deadlock.
"""

from __future__ import annotations

import functools
import inspect
import threading
import types
from collections.abc import Callable
from typing import Any

import mongomock
from mongomock.collection import Collection, Cursor
from mongomock.database import Database

STORE_LOCK = threading.RLock()


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with STORE_LOCK:
            result = method(self, *args, **kwargs)
            if isinstance(result, types.GeneratorType):
                # A generator would read the store later, outside the lock.
                result = iter(list(result))
            return _adopt(result)

    return call


def _guard_public_methods(cls: type, base: type, *private: str) -> None:
    """Every public method of the mongomock class (and the named private ones) takes the lock."""
    for name, member in vars(base).items():
        if (not name.startswith("_") or name in private) and inspect.isfunction(member):
            setattr(cls, name, _guarded(member))


class LockingCursor(Cursor):
    """A cursor whose query runs under the lock; the documents it hands out are copies."""


class LockingCollection(Collection):
    """A collection whose every operation is one locked step."""


class LockingDatabase(Database):
    """A database whose collections are locking collections."""


class LockingMongoClient(mongomock.MongoClient):
    """mongomock's client for `connect(mongo_client_class=...)`, with every access locked."""


_guard_public_methods(LockingCursor, Cursor, "_compute_results")
_guard_public_methods(LockingCollection, Collection)
_guard_public_methods(LockingDatabase, Database)
_guard_public_methods(LockingMongoClient, mongomock.MongoClient)

# mongomock builds its own objects (a database on first use, a collection per name and
# per option set, a cursor per query or clone); each is handed out as its locking kind.
_LOCKING_KIND: dict[type, type] = {
    Cursor: LockingCursor,
    Collection: LockingCollection,
    Database: LockingDatabase,
}


def _adopt(value: Any) -> Any:
    kind = _LOCKING_KIND.get(type(value))
    if kind is not None:
        value.__class__ = kind
    return value
