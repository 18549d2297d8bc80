"""Scheduled jobs (Module.schedules)."""

from . import services


def prune() -> int:
    """notifications.prune: keep 180 days."""
    return services.prune()
