"""Public surface of the system core."""

import json
import logging

from django.db import connection

logger = logging.getLogger("modules.security")

# One row per kind, address and minute: the first event inserts it, every repeat raises its count
# (the only UPDATE the app's role may make on this table). Safe under parallel requests: the unique
# index serialises them on the row, nobody reads-then-writes.
_UPSERT = """
INSERT INTO system_securityevent (kind, message, ip_address, detail, created_at, minute, count)
VALUES (%s, %s, %s, %s, now(), date_trunc('minute', now()), 1)
ON CONFLICT (kind, ip_address, minute) WHERE minute IS NOT NULL
DO UPDATE SET count = system_securityevent.count + 1
RETURNING count
"""


def security_event(kind: str, message: str, *, ip: str | None = None, **detail) -> int:
    """Record something suspicious (callers make sure it changed nothing). Repeats of ``kind`` from
    ``ip`` within the minute are counted on the minute's first row, whose message and detail stay;
    only that first one is logged, so a flood fills neither the table nor the log. Returns how many
    of them the minute has seen."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [kind[:60], message[:255], ip or None, json.dumps(detail, default=str)])
        count = cursor.fetchone()[0]
    if count == 1:
        logger.warning("security event %s from %s: %s", kind, ip or "?", message)
    return count


def refused(scope: str, kind: str, message: str, *, ip: str | None, limit: int) -> bool:
    """An anonymous request refused (a wrong callback token…): a counted security event, unless the
    address passed ``limit`` refusals of ``scope`` this minute; then one ``<scope>.rate_limited``
    event and nothing more until the minute ends. True: answer 429 instead of the refusal.
    Redis down: no limit, every refusal still costs only its minute's counted row."""
    from . import throttle

    refusals = throttle.hit(f"{scope}-refusals", throttle.address_key(ip))
    if refusals is not None and refusals > limit:
        if refusals == limit + 1:
            security_event(f"{scope}.rate_limited", f"More than {limit} refused requests in a minute: refusing "
                           "without a record until the minute ends", ip=ip)
        return True
    security_event(kind, message, ip=ip)
    return False
