"""Per-request context shared by middleware, services and logs."""

from __future__ import annotations

import itertools
import os
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("govshare_request_id", default=None)

_prefix = ""
_counter = itertools.count()


def _new_prefix() -> None:
    global _prefix, _counter
    _prefix, _counter = os.urandom(8).hex(), itertools.count()


_new_prefix()
os.register_at_fork(after_in_child=_new_prefix)


def new_request_id() -> str:
    """32 hex digits, unique: a random per-process prefix and a counter. As unique as a UUID4 across
    processes and hosts, without reading the OS's random source on every request."""
    return f"{_prefix}{next(_counter):016x}"
