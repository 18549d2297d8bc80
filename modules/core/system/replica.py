"""Reads that may come from a PostgreSQL hot standby (ops/deploy/SCALING.md).

    from modules.core.system import replica
    with replica.reads():
        table = build_the_report(...)     # SELECTs go to the standby while it is fresh enough

Without a ``replica`` database (DATABASE_REPLICA_URL unset) everything reads the primary, as before.
The lag guard sends reads back to the primary while the standby is more than REPLICA_MAX_LAG_SECONDS
behind or unreachable (checked at most every few seconds per process). Writes always go to the
primary; money the owner acts on (widgets, cash-up) never uses ``reads()``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

ALIAS = "replica"
LAG_CHECK_EVERY = 5.0  # seconds
_local = threading.local()
_lag = {"checked": 0.0, "seconds": None}


@contextlib.contextmanager
def reads():
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth


def lag_seconds() -> float | None:
    """The standby's replay lag in seconds (0 when it has replayed all it received), None if unreachable."""
    if time.monotonic() - _lag["checked"] < LAG_CHECK_EVERY:
        return _lag["seconds"]
    try:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                           "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END")
            value = cursor.fetchone()[0]
        seconds = float(value) if value is not None else None
    except DatabaseError as error:
        logger.warning("replica unreachable (%s): reading the primary", error.__class__.__name__)
        connections[ALIAS].close()
        seconds = None
    _lag.update(checked=time.monotonic(), seconds=seconds)
    return seconds


def read_alias() -> str | None:
    if not getattr(_local, "depth", 0) or ALIAS not in settings.DATABASES:
        return None
    lag = lag_seconds()
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        return None
    return ALIAS


class ReplicaRouter:
    """DATABASE_ROUTERS: reads inside ``reads()`` from the fresh standby, everything else the primary."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
