import time

from modules.core.notifications.models import Notification


def record(message):
    """Sleep, write one row in PostgreSQL (exactly once, with the message), then tell "the outside
    world" (append to a journal file: at least once, as an SMS gateway would see it)."""
    payload = message.payload
    time.sleep(payload.get("sleep", 0))
    if payload.get("fail"):
        raise RuntimeError(payload["fail"])
    Notification.objects.create(recipient_id=payload["user_id"], kind="system.warning", message=message.key)
    if payload.get("journal"):
        with open(payload["journal"], "a") as journal:
            journal.write(message.key + "\n")
