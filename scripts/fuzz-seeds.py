#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/seed-*) from real inputs: the demo
events (demo/gouda.json), an export of the demo, and the demo's log and key file.

Usage: scripts/fuzz-seeds.py PARLOG_BINARY
Run it again after a change to a format; scripts/fuzz.sh only reads the seeds. One seed per
event kind keeps the corpus small (tens of KB) while reaching every payload type. Seeds are
overwritten by name, not deleted: those of an older format (the key files `seed-v1-*`, made
before key files were wrapped by a master key) stay, since parlog still reads that format.
"""
import json
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
# As LABEL_NAMESPACE in server/src/cli/demo.rs: demo files name events by `@label`.
LABEL_NAMESPACE = uuid.UUID("5b0e4a7c-93d1-4f0e-8a61-2c9fd3b47e10")
LOG_MAGIC_BYTES = 8
# As core/src/keyfile.rs: the first format has the mark and keys in the clear; the second a
# header for the master key (mark, source kind, salt, check of the master key, check) and
# wrapped keys (a nonce, the key and its tag).
KEYS_FORMATS = {
    b"PLKEYS01": (8, 32),
    b"PLKEYS02": (8 + 1 + 16 + 32 + 4, 24 + 32 + 16),
}


def resolve(v):
    """Replaces `@label` strings with their UUIDs, as the demo loader does."""
    if isinstance(v, str) and len(v) > 1 and v.startswith("@"):
        return str(uuid.uuid5(LABEL_NAMESPACE, v[1:]))
    if isinstance(v, list):
        return [resolve(x) for x in v]
    if isinstance(v, dict):
        return {k: resolve(x) for k, x in v.items()}
    return v


def first_of_each_kind(items, kind_of):
    seen = {}
    for item in items:
        seen.setdefault(kind_of(item), item)
    return seen


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def frames(log):
    """(offset, type, body) of each frame after the magic, up to the zeros past the end."""
    at = LOG_MAGIC_BYTES
    while at + 5 <= len(log):
        body_len, kind = struct.unpack(">IB", log[at : at + 5])
        if body_len == 0:
            return
        yield at, kind, log[at + 5 : at + 5 + body_len]
        at += 5 + body_len


def main():
    parlog = pathlib.Path(sys.argv[1]).resolve()
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="parlog-seeds-"))
    # The master key file goes beside the data folder, so inside the scratch folder too.
    data = scratch / "data"
    try:
        subprocess.run([parlog, "--data", data, "demo"], check=True, capture_output=True)
        export = data / "export.ndjson"
        subprocess.run([parlog, "--data", data, "export", "--out", export], check=True, capture_output=True)
        lines = export.read_text().splitlines()
        log = (data / "log").read_bytes()
        keys = (data / "keys").read_bytes()
    finally:
        shutil.rmtree(scratch)

    demo = json.loads((ROOT / "demo" / "gouda.json").read_text())
    for kind, ev in first_of_each_kind(demo, lambda e: e["kind"]).items():
        write("event_json", kind, json.dumps(resolve(ev), ensure_ascii=False))
    sealed = next(e for e in demo if "sealed" in e and "text" in e["sealed"])
    api = {k: v for k, v in resolve(sealed).items() if k not in ("id", "author")}
    write("event_json", "api-form-sealed", json.dumps(api, ensure_ascii=False))

    events = [json.loads(l) for l in lines[1:]]
    write("import_line", "header", lines[0])
    for kind, i in first_of_each_kind(range(len(events)), lambda i: events[i]["kind"]).items():
        write("import_line", kind, lines[1 + i])
    with_ct = next(i for i, e in enumerate(events) if "ciphertext" in e.get("sealed", {}))
    write("import_line", "sealed-with-ciphertext", lines[1 + with_ct])

    all_frames = list(frames(log))
    event_frames = [f for f in all_frames if f[1] == 1]
    for kind, (_, _, body) in first_of_each_kind(
        event_frames, lambda f: events[event_frames.index(f)]["kind"]
    ).items():
        (record_len,) = struct.unpack(">I", body[:4])
        write("record_decode", kind, body[4 : 4 + record_len])
    end_of = lambda f: f[0] + 5 + len(f[2])
    write("log_frames", "first-three-events", log[LOG_MAGIC_BYTES : end_of(all_frames[2])])
    commit = next(i for i, f in enumerate(all_frames) if f[1] == 2)
    write("log_frames", "across-a-commit", log[all_frames[commit - 1][0] : end_of(all_frames[commit + 1])])
    write("log_frames", "last-commit-then-zeros", log[all_frames[-2][0] : end_of(all_frames[-1]) + 64])

    header_bytes, body_bytes = KEYS_FORMATS[keys[:8]]
    version = keys[7:8].decode()
    entries, at = [], header_bytes
    while at < len(keys):
        end = at + 1 + keys[at] + body_bytes + 4
        entries.append(keys[at:end])
        at = end
    header = keys[:header_bytes]
    write("key_file", f"v{version}-empty", header)
    write("key_file", f"v{version}-three-keys", header + b"".join(entries[:3]))
    write("key_file", f"v{version}-torn-last-key", header + b"".join(entries[:2]) + entries[2][:20])
    write("key_file", f"v{version}-demo", keys)

    for d in sorted(CORPUS.iterdir()):
        files = list(d.glob("seed-*"))
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
