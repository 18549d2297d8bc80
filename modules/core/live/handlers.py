"""Event subscribers (declared in module.py): they run after the publishing transaction commits."""

from .services import bump, business_scope, user_scope


def any_event(business=None, **payload):
    """Every event that names a business moves that business's version."""
    if business:
        bump(business_scope(business))


def notifications_changed(user_ids=(), **payload):
    bump(*(user_scope(user_id) for user_id in user_ids))
