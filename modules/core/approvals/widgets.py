from .services import pending_for_user


def pending(request, widget):
    """Requests waiting for this user's decision."""
    waiting = pending_for_user(request.user)
    return {"count": len(waiting), "requests": waiting[:5]}
