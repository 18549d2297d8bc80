"""Public surface of the system core."""

import logging

from .models import SecurityEvent

logger = logging.getLogger("modules.security")


def security_event(kind: str, message: str, *, ip: str | None = None, **detail) -> SecurityEvent:
    """Record (and log) something suspicious; callers make sure it changed nothing."""
    logger.warning("security event %s from %s: %s", kind, ip or "?", message)
    return SecurityEvent.objects.create(kind=kind, message=message[:255], ip_address=ip or None, detail=detail)
