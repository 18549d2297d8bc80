"""Tamper evidence, keyed so that whoever holds only the database cannot redo it.

* **Seal**: ``post()`` stores on each entry an HMAC-SHA256 of its canonical content (number,
  business, date, memo, source, reversal, who, when, and every line with its account's code and
  kind). The key (``settings.LEDGER_KEY``) lives in the app's environment, never in PostgreSQL, so
  an entry edited, forged or copied by someone holding the database alone cannot carry a valid seal.
* **Chain**: a follower (``extend()``, run by the ``ledger.follow_chain`` schedule and before every
  verification and checkpoint) appends each committed entry to ``ChainLink`` in the order it sees
  them commit: ``link = HMAC(key, seq | entry number | entry seal | previous link)``. Posting takes
  no lock at all; only the follower is single (a try-lock, so a second follower just skips).
  A deleted entry leaves a link without its entry, a reordered or re-sealed entry breaks the links.
* **Anchors** (``anchors.py``): the head of the chain is written, signed, outside the database
  (every follower pass and the nightly checkpoint), so cutting the newest entries and their links
  off the end is caught too.
* **Accounts**: each account's meaning (business, code, kind, name, ``allow_negative``, active) is
  sealed the same way (``account_seal``), and every line's seal covers its account's code and kind.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Max, Prefetch

GENESIS = "0" * 64
FOLLOWER_LOCK = 0x1ED6E6  # pg_try_advisory_xact_lock key: one follower appends links at a time
WINDOW = 20_000  # a routine pass looks for unlinked entries among the newest ids only
BATCH = 2_000


def key() -> bytes:
    """The ledger's HMAC key: settings.LEDGER_KEY, or the file named by LEDGER_KEY_FILE."""
    value = getattr(settings, "LEDGER_KEY", "") or ""
    path = getattr(settings, "LEDGER_KEY_FILE", "") or ""
    if not value and path:
        value = _key_file(path, Path(path).stat().st_mtime_ns)
    if len(value) < 32:
        raise ImproperlyConfigured("The ledger needs LEDGER_HMAC_KEY (or LEDGER_KEY_FILE) of at least 32 "
                                   "characters; keep it outside the database (see ops/deploy/README.md)")
    return value.encode()


@functools.lru_cache(maxsize=4)
def _key_file(path: str, mtime_ns: int) -> str:
    """The key file's text, read again only when the file changes (verify seals every entry)."""
    return Path(path).read_text().strip()


def key_id() -> str:
    """Which key signed something, without revealing it."""
    return hashlib.sha256(b"key-id\n" + key()).hexdigest()[:12]


def _mac(kind: str, text: str) -> str:
    return hmac.new(key(), f"{kind}\n{text}".encode(), hashlib.sha256).hexdigest()


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(*, number, business_code, date, memo, reversal_of_number, source, created_by_id, posted_at,
              lines) -> str:
    """``lines``: (account_code, account_kind, debit, credit) in posting order."""
    return _json({
        "number": number,
        "business": business_code,
        "date": date.isoformat(),
        "memo": memo,
        "reversal_of": reversal_of_number,
        "source": source,
        "by": created_by_id,
        "at": posted_at.astimezone(dt_timezone.utc).isoformat(),
        "lines": [[code, kind, f"{debit:.2f}", f"{credit:.2f}"] for code, kind, debit, credit in lines],
    })


def seal(**content) -> str:
    return _mac("entry", canonical(**content))


def link_hash(previous: str, seq: int, number: int, entry_seal: str) -> str:
    return _mac("link", f"{seq}\n{number}\n{entry_seal}\n{previous}")


def account_seal(*, business_code, code, kind, name, allow_negative, is_active) -> str:
    return _mac("account", _json({"business": business_code, "code": code, "kind": kind, "name": name,
                                  "allow_negative": allow_negative, "active": is_active}))


def source_label(source_type, source_id) -> str:
    return f"{source_type.app_label}.{source_type.model}:{source_id}" if source_type else ""


def seal_of(entry) -> str:
    """The seal an entry's stored content deserves (entry loaded with lines, their accounts,
    business, reversal_of and source_type)."""
    return seal(number=entry.number, business_code=entry.business.code, date=entry.date, memo=entry.memo,
                reversal_of_number=entry.reversal_of.number if entry.reversal_of_id else None,
                source=source_label(entry.source_type, entry.source_id), created_by_id=entry.created_by_id,
                posted_at=entry.posted_at,
                lines=[(line.account.code, line.account.kind, line.debit, line.credit) for line in entry.lines.all()])


def stored_entries(entry_ids) -> dict[int, tuple[int, object, str, str, str]]:
    """{id: (number, date, memo, stored seal, the seal its content deserves)} for these entries,
    read as plain rows (two queries, no model objects): what verify() walks a year of entries with."""
    from .models import JournalEntry, JournalLine

    lines: dict[int, list] = {}
    for entry_id, *line in (JournalLine.objects.filter(entry_id__in=entry_ids).order_by("id")
                            .values_list("entry_id", "account__code", "account__kind", "debit", "credit")):
        lines.setdefault(entry_id, []).append(line)
    found = {}
    for (pk, number, business_code, date, memo, reversal_of_number, app_label, model, source_id, created_by_id,
         posted_at, stored) in (JournalEntry.objects.filter(pk__in=entry_ids).values_list(
            "pk", "number", "business__code", "date", "memo", "reversal_of__number", "source_type__app_label",
            "source_type__model", "source_id", "created_by_id", "posted_at", "seal")):
        actual = seal(number=number, business_code=business_code, date=date, memo=memo,
                      reversal_of_number=reversal_of_number,
                      source=f"{app_label}.{model}:{source_id}" if app_label else "", created_by_id=created_by_id,
                      posted_at=posted_at, lines=lines.get(pk, []))
        found[pk] = (number, date, memo, stored or "", actual)
    return found


def seal_of_account(account) -> str:
    return account_seal(business_code=account.business.code, code=account.code, kind=account.kind, name=account.name,
                        allow_negative=account.allow_negative, is_active=account.is_active)


def _loaded(entries):
    from .models import JournalLine

    return (entries.select_related("business", "reversal_of", "source_type")
            .prefetch_related(Prefetch("lines", JournalLine.objects.select_related("account").order_by("id"))))


# --- the follower --------------------------------------------------------------------------------

@dataclass
class Extended:
    linked: int = 0
    head_seq: int = 0
    head: str = GENESIS
    refused: list = field(default_factory=list)  # entries whose seal is wrong: never linked
    busy: bool = False  # another follower held the lock


def head():
    """(seq, link) of the newest link, (0, GENESIS) for an empty chain."""
    from .models import ChainLink

    last = ChainLink.objects.order_by("-seq").values_list("seq", "link").first()
    return last or (0, GENESIS)


def extend(*, full: bool = False, anchor: bool = True) -> Extended:
    """Append every committed, correctly sealed entry not yet in the chain, oldest id first.

    A routine pass (``full=False``) looks only at the newest WINDOW entry ids, which is where new
    entries are; ``full=True`` (nightly, verify, checkpoints) looks at the whole table. Entries with
    a wrong seal are reported in ``refused`` and never linked. Writes the head anchor afterwards."""
    from .models import ChainLink, JournalEntry

    result = Extended()
    after = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLLOWER_LOCK])
                if not cursor.fetchone()[0]:
                    result.busy = True
                    return result
            seq, previous = head()
            pending = JournalEntry.objects.filter(link__isnull=True, pk__gt=after)
            if not full and seq:
                newest = ChainLink.objects.aggregate(top=Max("entry_id"))["top"] or 0
                pending = pending.filter(pk__gt=newest - WINDOW)
            batch = list(_loaded(pending.order_by("pk"))[:BATCH])
            links = []
            for entry in batch:
                after = entry.pk
                entry_seal = seal_of(entry)
                if not hmac.compare_digest(entry_seal, entry.seal or ""):
                    result.refused.append(entry)
                    continue
                seq += 1
                previous = link_hash(previous, seq, entry.number, entry_seal)
                links.append(ChainLink(seq=seq, entry=entry, entry_seal=entry_seal, link=previous))
            ChainLink.objects.bulk_create(links)
            result.linked += len(links)
            result.head_seq, result.head = seq, previous
        if len(batch) < BATCH:
            break
    if anchor and result.head_seq:
        from . import anchors

        anchors.write_head(result.head_seq, result.head)
    return result


# --- verification ---------------------------------------------------------------------------------

@dataclass
class Problem:
    what: str  # "entry", "link", "account", "anchor"
    detail: str
    entry_number: int | None = None

    def __str__(self):
        return self.detail


def verify(*, anchors_to_check=None, limit: int = 20) -> tuple[list[Problem], int]:
    """Walk the chain in order and every account; return (problems, links verified).

    Names each entry edited (content ≠ its seal or its link), deleted (a link whose entry is
    gone), re-sealed or re-hashed without the key, reordered (links out of sequence), inserted
    without the key (an unlinked entry whose seal is wrong), and a chain cut short of an anchor."""
    from .models import Account, ChainLink, JournalEntry

    problems: list[Problem] = []
    previous, expected_seq, checked = GENESIS, 0, 0
    links = (ChainLink.objects.order_by("seq").values_list("seq", "entry_id", "entry_seal", "link")
             .iterator(chunk_size=5000))
    chunk: list = []

    def flush(chunk):
        nonlocal previous, expected_seq, checked
        entries = stored_entries([c[1] for c in chunk])
        for seq, entry_id, entry_seal, link in chunk:
            expected_seq += 1
            checked += 1
            if seq != expected_seq:
                problems.append(Problem("link", f"chain link {expected_seq} is missing (the next is {seq}): "
                                                f"links were deleted or renumbered"))
                expected_seq = seq
            entry = entries.get(entry_id)
            number = entry[0] if entry else None
            if entry is None:
                problems.append(Problem("entry", f"entry id {entry_id} (chain link {seq}) was deleted"))
            else:
                _, date, memo, stored, actual = entry
                if not hmac.compare_digest(actual, entry_seal) or not hmac.compare_digest(actual, stored):
                    problems.append(Problem("entry", f"entry #{number} (id {entry_id}, {date:%d %b %Y}, "
                                                     f"{memo!r}) was changed after it was posted: its content "
                                                     f"no longer matches its seal", number))
            if number is not None and not hmac.compare_digest(link_hash(previous, seq, number, entry_seal), link):
                problems.append(Problem("link", f"chain link {seq} (entry #{number}) does not follow from the link "
                                                f"before it: entries were reordered, or the chain was re-hashed "
                                                f"without the key", number))
            previous = link

    for row in links:
        chunk.append(row)
        if len(chunk) == 2000:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)

    for entry in _loaded(JournalEntry.objects.filter(link__isnull=True).order_by("pk")):
        why = ("its seal is wrong: it was written without the ledger's key"
               if not hmac.compare_digest(seal_of(entry), entry.seal or "") else "it is not in the chain")
        problems.append(Problem("entry", f"entry #{entry.number} (id {entry.pk}, {entry.date:%d %b %Y}, "
                                         f"{entry.memo!r}): {why}", entry.number))

    for account in Account.objects.select_related("business").order_by("business__code", "code"):
        if not hmac.compare_digest(seal_of_account(account), account.seal or ""):
            problems.append(Problem("account", f"account {account.code} {account.name} ({account.business.code}) "
                                               f"was changed outside the app: kind, name or allow-negative no longer "
                                               f"match its seal"))

    from . import anchors

    found = anchors.known() if anchors_to_check is None else anchors_to_check
    problems += [Problem("anchor", problem) for problem in anchors.check_all(found, expected_seq)]
    return problems[:limit] if limit else problems, checked
