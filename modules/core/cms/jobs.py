"""Scheduled work of the public site (declared in module.py)."""

from . import services


def prune():
    """Old rate-limit windows and requests older than RETENTION."""
    return services.prune()
