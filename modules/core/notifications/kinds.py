"""Keys of the notification kinds notifications itself declares (module.py; import-light on purpose).
Other modules declare their own kinds and send them (inventory.notices, payments.notices, …)."""

APPROVAL_REQUESTED = "approvals.requested"
APPROVAL_DECIDED = "approvals.decided"
SYSTEM_WARNING = "system.warning"

DELIVER_TOPIC = "notifications.deliver"  # the outbox topic that writes a send's rows
