from modules.core.registry.contract import Module, OutboxTopic

PROBE = "probe.record"

MODULE = Module(
    key="outbox_probe",
    label="Outbox probe",
    outbox_topics=(
        OutboxTopic(PROBE, handler="tests.outbox_probe.handlers.record", max_attempts=3,
                    backoff_seconds=1, max_backoff_seconds=2),
    ),
)
