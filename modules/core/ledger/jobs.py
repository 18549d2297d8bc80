"""Scheduled ledger work (module.py): the chain follower and the nightly checkpoint + verification."""

import logging

from modules.core.notifications import services as notifications

from . import anchors, chain

log = logging.getLogger(__name__)
ALERT = "ledger.alert"


def follow_chain() -> int:
    """Every few seconds: append newly committed entries to the chain and re-anchor its head.
    An entry with a wrong seal (written without the key) is not chained, and the owner is told."""
    result = chain.extend()
    if result.refused:
        numbers = ", ".join(f"#{entry.number}" for entry in result.refused[:5])
        notifications.send(ALERT, message=f"Ledger entries {numbers} were written without the ledger's key "
                                           f"(not by the app): they are kept out of the chain. Check the books.",
                           throttle_key="ledger.refused", throttle=3600)
    return result.linked


def nightly() -> str:
    """Checkpoint the chain (anchor directory + e-mail to the owner), then verify everything.
    A problem notifies the owner (bell and e-mail through the alert kind) and fails the job, so the
    failed-jobs page and health show it too."""
    path = anchors.write_checkpoint()
    try:
        sent = anchors.send_to_owner(path)
    except OSError as error:  # no mail server: the checkpoint still sits in the anchor directory
        log.warning("ledger checkpoint %s not e-mailed: %s", path, error)
        sent = 0
        notifications.send(ALERT, message=f"Tonight's ledger checkpoint could not be e-mailed ({error}); "
                                          f"it is kept at {path}.", throttle_key="ledger.checkpoint-mail",
                           throttle=20 * 3600)
    problems, checked = chain.verify()
    if problems:
        notifications.send(ALERT, message=f"verify_ledger found {len(problems)} problem(s): {problems[0]}"[:255],
                           link="/admin/ledger/journalentry/", throttle_key="ledger.verify", throttle=3600)
        raise RuntimeError("ledger verification failed:\n" + "\n".join(str(p) for p in problems))
    return f"{checked} entries verified; checkpoint {path} sent to {sent} address(es)"
