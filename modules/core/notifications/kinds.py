"""Keys of the core notification kinds (declared in module.py; import-light on purpose)."""

LOW_STOCK = "inventory.low_stock"
PAYMENT_RECEIVED = "payments.received"
PAYMENT_FAILED = "payments.failed"
MPESA_PAID_LATE = "payments.paid_late"
MPESA_UNALLOCATED = "payments.unallocated"
MPESA_SETUP_ERROR = "payments.setup_error"
APPROVAL_REQUESTED = "approvals.requested"
APPROVAL_DECIDED = "approvals.decided"
SYSTEM_WARNING = "system.warning"

DELIVER_TOPIC = "notifications.deliver"  # the outbox topic that writes a send's rows
