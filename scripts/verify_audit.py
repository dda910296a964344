#!/usr/bin/env python3
"""Verify an export of Casework's audit trail, with nothing but Python 3.

    python3 verify_audit.py audit.jsonl [--head HASH]

The export is JSON Lines, one audit event per line in chain order, made with
``flask casework audit export -o audit.jsonl``. Every event carries the SHA-256 of its
canonical form, which includes the hash of the event before it (``prev_hash``; 64 zeros for
the very first event). This script recomputes each hash and checks that each event chains to
the one before and that ``seq`` counts up without gaps. ``--head`` compares the last event
with a head hash obtained elsewhere (the admin's user page, a PDF, an earlier check), which
also catches events removed from the end.

The canonical form: a JSON object of ``occurred_at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``),
``actor_id``, ``entity_type``, ``entity_id``, ``case_id``, ``action``, ``changes``, ``note``
and ``prev_hash``, with sorted keys, no spaces (separators ``,`` and ``:``) and non-ASCII
characters escaped as ``\\uXXXX``; hashed as ASCII bytes. ``id``, ``actor_email`` and
``remote_addr`` are context and not covered.

Exit status 0: the chain holds (the script prints the count and the last hash).
Exit status 1: it names the first line and event that do not fit, and why.
"""

import argparse
import hashlib
import json
import sys

GENESIS = "0" * 64
HASHED_FIELDS = ("occurred_at", "actor_id", "entity_type", "entity_id", "case_id", "action",
                 "changes", "note")


def event_hash(event: dict) -> str:
    values = {name: event.get(name) for name in HASHED_FIELDS}
    values["changes"] = values["changes"] or {}
    values["prev_hash"] = event.get("prev_hash")
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def verify(lines, head=None):
    """Return (ok, message)."""
    previous = None
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError as error:
            return False, f"line {number}: not JSON ({error})"
        where = f"line {number} (event id {event.get('id')}, seq {event.get('seq')})"
        if previous is None:
            if event.get("seq") == 1 and event.get("prev_hash") != GENESIS:
                return False, f"{where}: the first event must chain to {GENESIS}"
        else:
            if event.get("seq") != previous["seq"] + 1:
                return False, (f"{where}: expected seq {previous['seq'] + 1}; events were "
                               "removed, inserted or reordered")
            if event.get("prev_hash") != previous["hash"]:
                return False, f"{where}: does not chain to the event before it"
        if event_hash(event) != event.get("hash"):
            return False, f"{where}: its content does not match its hash (changed)"
        previous = event
        count += 1
    if previous is None:
        return False, "the export holds no events"
    if head is not None and previous["hash"] != head:
        return False, (f"the last event (seq {previous['seq']}) has hash {previous['hash']}, "
                       f"not the expected head {head}; events are missing or were changed")
    start = "the start of the chain" if count and previous["seq"] == count \
        else "an earlier event"
    return True, (f"OK: {count} events, seq up to {previous['seq']}, chained from {start}; "
                  f"last hash {previous['hash']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Casework audit trail export.")
    parser.add_argument("export", help="the JSON Lines file ('-' for standard input)")
    parser.add_argument("--head", help="the head hash the export must end with")
    args = parser.parse_args(argv)
    if args.export == "-":
        ok, message = verify(sys.stdin, args.head)
    else:
        with open(args.export, encoding="utf-8") as handle:
            ok, message = verify(handle, args.head)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
