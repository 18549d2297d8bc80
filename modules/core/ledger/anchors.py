"""The chain's head, signed and kept outside the database, so that cutting entries off its end shows.

* ``write_head``: after every follower pass, ``<LEDGER_ANCHOR_DIR>/head.json`` (overwritten).
* ``write_checkpoint(path)``: the nightly checkpoint, written into the anchor directory by the
  ``ledger.nightly`` job and beside each backup by ``ops/deploy/backup.sh``
  (``manage.py ledger_checkpoint <path>``), and e-mailed to the owner.

An anchor is JSON signed with HMAC-SHA256 under the ledger's key (which PostgreSQL never sees):
a database owner can neither forge one nor make a shortened or rewritten chain agree with one.
After restoring a backup on purpose, move ``head.json`` aside: it rightly says entries are missing.
"""

from __future__ import annotations

import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count, Sum
from django.utils import timezone

from . import chain

HEAD = "head.json"
CHECKPOINT_GLOB = "checkpoint-*.json"


@dataclass(frozen=True)
class Anchor:
    path: str
    kind: str  # "head" or "checkpoint"
    seq: int
    head: str
    written_at: str
    valid_signature: bool


def directory() -> Path:
    return Path(settings.LEDGER_ANCHOR_DIR)


def _sign(body: dict) -> str:
    return chain._mac("anchor", chain._json(body))


def _write(path: Path, body: dict) -> Path:
    """Atomically (a reader never sees half a file), readable by the owner of the process only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**body, "signature": _sign(body)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".anchor-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def _body(kind: str, seq: int, head: str) -> dict:
    return {"kind": kind, "seq": seq, "head": head, "key_id": chain.key_id(),
            "written_at": timezone.now().isoformat(timespec="seconds")}


def write_head(seq: int, head: str) -> Path | None:
    """Move the head anchor forward. Never back: an anchor ahead of the chain is the evidence
    that entries were cut off its end, and verification must still find it."""
    path = directory() / HEAD
    if path.exists():
        current = read(path)
        if current.seq >= seq or not current.valid_signature:  # a forged one stays for whoever investigates
            return None
    return _write(path, _body("head", seq, head))


def write_checkpoint(path=None) -> Path:
    """Bring the chain up to date and write a signed checkpoint of its head, with each business's
    entry count and totals (what the owner can compare by eye). ``path``: a file, or a directory
    to write ``checkpoint-YYYYmmdd-HHMM.json`` into; default the anchor directory."""
    from .models import ChainLink

    extended = chain.extend(full=True)
    seq, head = chain.head()
    body = _body("checkpoint", seq, head)
    totals = (ChainLink.objects.values("entry__business__code")
              .annotate(entries=Count("entry", distinct=True)).order_by("entry__business__code"))
    money = {row["business__code"]: row for row in
             chain_lines().values("business__code").annotate(debits=Sum("debit"), credits=Sum("credit"))}
    body["businesses"] = {
        row["entry__business__code"]: {
            "entries": row["entries"],
            "debits": f"{money.get(row['entry__business__code'], {}).get('debits') or 0:.2f}",
            "credits": f"{money.get(row['entry__business__code'], {}).get('credits') or 0:.2f}",
        } for row in totals}
    body["refused_entries"] = [entry.number for entry in extended.refused]
    target = Path(path) if path else directory()
    if target.is_dir() or not target.suffix:
        target = target / f"checkpoint-{timezone.localtime():%Y%m%d-%H%M}.json"
    return _write(target, body)


def chain_lines():
    from .models import JournalLine

    return JournalLine.objects.filter(entry__link__isnull=False)


def read(path) -> Anchor:
    path = Path(path)
    try:
        document = json.loads(path.read_text())
        signature = document.pop("signature", "")
        int(document.get("seq", 0))
    except (ValueError, AttributeError):  # not an anchor any more: as good as forged
        return Anchor(str(path), "?", 0, "", "", False)
    valid = hmac.compare_digest(_sign(document), signature or "")
    return Anchor(str(path), document.get("kind", "?"), int(document.get("seq", 0)), str(document.get("head", "")),
                  str(document.get("written_at", "")), valid)


def known() -> list[Anchor]:
    """The head anchor and every checkpoint in the anchor directory."""
    folder = directory()
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob(CHECKPOINT_GLOB)) + ([folder / HEAD] if (folder / HEAD).exists() else [])
    return [read(path) for path in paths]


def check(anchor: Anchor, chain_length: int, links: dict[int, str]) -> str | None:
    """Why the chain disagrees with an anchor, or None. ``links``: seq -> link of the anchored seqs."""
    name = Path(anchor.path).name
    if not anchor.valid_signature:
        return f"anchor {name} is not signed with the ledger's key: it was forged or altered"
    if anchor.seq > chain_length:
        return (f"the chain ends at link {chain_length}, but anchor {name} (written {anchor.written_at}) "
                f"says it reached link {anchor.seq}: the newest entries were deleted")
    if anchor.seq and not hmac.compare_digest(links.get(anchor.seq, ""), anchor.head):
        return (f"chain link {anchor.seq} differs from anchor {name} (written {anchor.written_at}): "
                f"the chain was rewritten since")
    return None


def check_all(anchors, chain_length: int) -> list[str]:
    from .models import ChainLink

    links = dict(ChainLink.objects.filter(seq__in={a.seq for a in anchors}).values_list("seq", "link"))
    return [problem for anchor in anchors if (problem := check(anchor, chain_length, links))]


def send_to_owner(path) -> int:
    """E-mail the checkpoint to the owners (active superusers and the Owner role with an address)
    and LEDGER_CHECKPOINT_EMAILS: a copy no one holding the server alone can reach. Returns how
    many recipients it went to."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name="Owner"), is_active=True)
    recipients = sorted({*(u.email for u in users if u.email), *settings.LEDGER_CHECKPOINT_EMAILS})
    if not recipients:
        return 0
    anchor = read(path)
    message = EmailMessage(
        subject=f"Biashara ledger checkpoint {datetime.now():%d %b %Y}: {anchor.seq} entries",
        body=(f"The ledger's signed checkpoint is attached: chain link {anchor.seq}, head {anchor.head}.\n"
              "Keep these e-mails. If the books are ever doubted, `manage.py verify_ledger --anchor <file>` "
              "shows whether any entry up to this point was changed or removed since.\n"),
        to=recipients)
    message.attach(Path(path).name, Path(path).read_text(), "application/json")
    message.send()
    return len(recipients)
