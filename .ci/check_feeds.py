#!/usr/bin/python3
"""Validate pressfeed's rendered RSS 2.0 and Atom 1.0 documents in one folder.

Run by .ci/run with Debian's /usr/bin/python3 (python3-feedparser), not pyenv's:

    /usr/bin/python3 .ci/check_feeds.py --rnc ATOM.rnc --label LABEL DIR

DIR holds all.rss, all.atom, all.json and optionally expected-entries (a decimal
integer). Checks, each an independent consumer's verdict:

  all.atom  jing -c ATOM.rnc: no output, exit 0 (RFC 4287 RELAX NG grammar)
  all.rss   feedparser: bozo=0, version rss20
  all.atom  feedparser: bozo=0, version atom10
  both      entry count == expected-entries (else > 0); every entry has a
            non-empty title and an id starting with urn:pressfeed:item:;
            no id twice; RSS guids carry isPermaLink="false" (a urn is no URL)
  folder    the set of ids is the same in all.rss, all.atom and all.json

Prints one line per document plus one for the id comparison; details of each
problem follow on indented lines. Exits 1 on any problem, 2 on bad usage.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import feedparser

ID_PREFIX = "urn:pressfeed:item:"
# Printed on stderr by Debian's java-wrappers around jing for optional jars it
# does not need; jing itself reports errors on stdout.
JING_WRAPPER_NOISE = re.compile(r"^\[warning\] \S*jing: Unable to locate ")


class Doc:
    def __init__(self, kind, label, path):
        self.kind = kind
        self.name = f"{label}/{os.path.basename(path)}"
        self.path = path
        self.verdicts = []
        self.problems = []
        self.ids = None  # list of entry ids, None when unreadable

    def fail(self, msg):
        self.problems.append(msg)

    def report(self):
        print(f"{self.kind:<5} {self.name}  {'; '.join(self.verdicts)}")
        for p in self.problems:
            print(f"        FAIL: {p}")


def expected_entries(folder):
    """Returns the expected entry count, None if the file is absent; raises ValueError."""
    path = os.path.join(folder, "expected-entries")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"{path}: not a decimal integer: {text[:40]!r}")
    return int(text)


def check_count(doc, n, want):
    if want is None:
        if n <= 0:
            doc.fail("no entries (expected-entries absent, so at least one is required)")
    elif n != want:
        doc.fail(f"{n} entries, expected-entries says {want}")


def check_entries(doc, ids, titles):
    for i, (eid, title) in enumerate(zip(ids, titles)):
        if not eid.startswith(ID_PREFIX):
            doc.fail(f"entry {i}: id {eid!r} does not start with {ID_PREFIX}")
        if not title.strip():
            doc.fail(f"entry {i} ({eid!r}): no title")
    seen = set()
    for eid in ids:
        if eid in seen:
            doc.fail(f"id {eid!r} appears more than once")
        seen.add(eid)


def run_jing(doc, rnc):
    try:
        p = subprocess.run(["jing", "-c", rnc, doc.path], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        doc.verdicts.append("jing: NOT RUN")
        doc.fail(f"jing: {e}")
        return
    noise = [l for l in p.stderr.splitlines() if l.strip() and not JING_WRAPPER_NOISE.match(l)]
    out = [l for l in p.stdout.splitlines() if l.strip()]
    if p.returncode == 0 and not out and not noise:
        doc.verdicts.append("jing: valid")
        return
    doc.verdicts.append(f"jing: INVALID (exit {p.returncode})")
    for line in (out + noise)[:30]:
        doc.fail(f"jing: {line}")
    if len(out + noise) > 30:
        doc.fail(f"jing: ... {len(out + noise) - 30} more lines")


def check_rss_guids(doc, data):
    """RSS 2.0: a guid is a permalink URL unless isPermaLink="false"; ours are urns."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        doc.fail(f"xml: {e}")
        return
    for i, item in enumerate(root.iterfind("./channel/item")):
        guid = item.find("guid")
        if guid is None:
            doc.fail(f"item {i}: no <guid>")
        elif guid.get("isPermaLink") != "false":
            doc.fail(f'item {i}: <guid>{(guid.text or "").strip()}</guid> lacks isPermaLink="false"')


def check_xml(kind, label, folder, want, rnc):
    doc = Doc(kind, label, os.path.join(folder, "all." + kind))
    if not os.path.isfile(doc.path):
        doc.verdicts.append("MISSING")
        doc.fail(f"{doc.path} does not exist")
        return doc
    if kind == "atom":
        run_jing(doc, rnc)
    with open(doc.path, "rb") as f:
        data = f.read()
    # Parse bytes, not a path: feedparser would treat a string as a possible URL.
    d = feedparser.parse(data)
    version = d.get("version") or "unknown"
    entries = d.get("entries", [])
    doc.verdicts.append(f"feedparser: bozo={int(bool(d.get('bozo')))} {version} entries={len(entries)}")
    if d.get("bozo"):
        doc.fail(f"feedparser bozo_exception: {d.get('bozo_exception')!r}")
    want_version = {"rss": "rss20", "atom": "atom10"}[kind]
    if version != want_version:
        doc.fail(f"feedparser version {version!r}, want {want_version!r}")
    check_count(doc, len(entries), want)
    ids = [e.get("id") or "" for e in entries]
    titles = [e.get("title") or "" for e in entries]
    check_entries(doc, ids, titles)
    if kind == "rss":
        check_rss_guids(doc, data)
    doc.ids = ids
    return doc


def json_ids(folder):
    """Returns the item ids of all.json (validated by check_jsonfeed.mjs), or None."""
    try:
        with open(os.path.join(folder, "all.json"), encoding="utf-8") as f:
            feed = json.load(f)
        return [str(it.get("id", "")) for it in feed["items"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rnc", required=True, help="RELAX NG compact schema for Atom (RFC 4287)")
    ap.add_argument("--label", help="name printed for the folder (default: its basename)")
    ap.add_argument("folder")
    args = ap.parse_args()
    label = args.label or os.path.basename(os.path.normpath(args.folder))
    if not os.path.isfile(args.rnc):
        print(f"check_feeds: schema {args.rnc} not found", file=sys.stderr)
        return 2

    ok = True
    try:
        want = expected_entries(args.folder)
    except (OSError, ValueError) as e:
        print(f"count {label}/expected-entries  FAIL: {e}")
        ok, want = False, None

    docs = [check_xml(k, label, args.folder, want, args.rnc) for k in ("rss", "atom")]
    for doc in docs:
        doc.report()
        ok = ok and not doc.problems

    ids = Doc("ids", label, args.folder)
    sets = {doc.kind: doc.ids for doc in docs}
    sets["json"] = json_ids(args.folder)
    unreadable = [k for k, v in sets.items() if v is None]
    if unreadable:
        ids.verdicts.append("NOT COMPARED")
        ids.fail(f"no ids from {', '.join(unreadable)} (missing or unreadable)")
    else:
        first = set(sets["rss"])
        for kind in ("atom", "json"):
            other = set(sets[kind])
            if other != first:
                only_rss = sorted(first - other)[:5]
                only_other = sorted(other - first)[:5]
                ids.fail(f"rss and {kind} differ: only in rss {only_rss}, only in {kind} {only_other}")
        if ids.problems:
            ids.verdicts.append("DIFFERENT ids")
        else:
            ids.verdicts.append(f"rss, atom and json carry the same {len(first)} ids")
    ids.name = label
    ids.report()
    ok = ok and not ids.problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
