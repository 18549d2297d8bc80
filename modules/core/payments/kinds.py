"""Keys of payments' notification kinds (declared in module.py, sent by notices.py; import-light)."""

PAYMENT_RECEIVED = "payments.received"
PAYMENT_FAILED = "payments.failed"
MPESA_PAID_LATE = "payments.paid_late"
MPESA_UNALLOCATED = "payments.unallocated"
MPESA_SETUP_ERROR = "payments.setup_error"
