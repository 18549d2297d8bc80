"""Tamper evidence: each entry's SHA-256 covers its canonical content and the previous hash."""

import hashlib
import json

GENESIS = "0" * 64


def canonical(*, number, business_code, date, memo, reversal_of_number, source, lines):
    """``lines``: (account_code, debit, credit) in posting order."""
    return json.dumps(
        {
            "number": number,
            "business": business_code,
            "date": date.isoformat(),
            "memo": memo,
            "reversal_of": reversal_of_number,
            "source": source,
            "lines": [[code, f"{debit:.2f}", f"{credit:.2f}"] for code, debit, credit in lines],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def entry_hash(previous_hash: str, **content) -> str:
    return hashlib.sha256((previous_hash + canonical(**content)).encode()).hexdigest()


def source_label(source_type, source_id) -> str:
    return f"{source_type.app_label}.{source_type.model}:{source_id}" if source_type else ""


def verify(entries):
    """Walk entries in chain order (with lines and accounts loaded); return the first broken one
    and why, or (None, count) when the chain holds."""
    previous = GENESIS
    count = 0
    for count, entry in enumerate(entries, start=1):
        if entry.number != count:
            return entry, f"numbered {entry.number}, expected {count}: an entry is missing"
        if entry.previous_hash != previous:
            return entry, "its previous_hash does not match the entry before it"
        expected = entry_hash(
            previous,
            number=entry.number,
            business_code=entry.business.code,
            date=entry.date,
            memo=entry.memo,
            reversal_of_number=entry.reversal_of.number if entry.reversal_of_id else None,
            source=source_label(entry.source_type, entry.source_id),
            lines=[(line.account.code, line.debit, line.credit) for line in entry.lines.all()],
        )
        if expected != entry.hash:
            return entry, "its content no longer matches its hash"
        previous = entry.hash
    return None, count
