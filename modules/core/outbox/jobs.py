"""RQ entry points (dotted paths in module.py and in the after-commit enqueue)."""

from django.db import close_old_connections

from . import services

SWEEP_SECONDS = 25  # a sweep stops starting new messages before the next one is scheduled (30 s)


def process(message_id: int) -> str:
    close_old_connections()
    return services.process(message_id)


def sweep() -> int:
    """Every 30 s: whatever is due, whether its job was lost, never queued or its worker killed."""
    close_old_connections()
    return services.process_due(seconds=SWEEP_SECONDS)


def prune() -> int:
    return services.prune()
