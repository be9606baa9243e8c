#!/usr/bin/env bash
# Validates OpenDocument texts (the retrospective as `--format odt`) against the OASIS ODF 1.3
# RELAX NG schemas: content.xml, styles.xml and meta.xml against the OpenDocument schema,
# META-INF/manifest.xml against the manifest schema.
#
#   scripts/odf-validate.sh FILE.odt...
#   scripts/odf-validate.sh            # makes the demo's report in Dutch and English, and Zwolle's
#
# The schemas come from the PyPI package openxml-audit (which ships the OASIS files), the
# validator is lxml's (libxml2), both in a virtual environment of their own (ODF_VALIDATE_VENV).
# Exits 1 if a part is invalid, 2 on a setup failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned, so that a run means the same thing later.
AUDIT_VERSION=0.8.0
venv=${ODF_VALIDATE_VENV:-$HOME/.cache/parlog/odf-validate-$AUDIT_VERSION}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { echo "odf-validate: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 2; }
    "$venv/bin/pip" install -q "openxml-audit==$AUDIT_VERSION" || { echo "odf-validate: pip install failed" >&2; exit 2; }
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    cargo build -q -p parlog-server
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    target/debug/parlog --data "$tmp/gouda" demo >/dev/null
    target/debug/parlog --data "$tmp/zwolle" demo --file tests/data/zwolle.json >/dev/null
    for lang in nl en; do
        target/debug/parlog --data "$tmp/gouda" --lang $lang retrospective --format odt --out "$tmp/gouda.$lang.odt" 2>/dev/null
    done
    target/debug/parlog --data "$tmp/zwolle" retrospective --format odt --out "$tmp/zwolle.odt" 2>/dev/null
    files=("$tmp"/*.odt)
fi

"$venv/bin/python" - "${files[@]}" <<'PY'
import pathlib, sys, zipfile
import openxml_audit
from lxml import etree

schemas = pathlib.Path(openxml_audit.__file__).parent / "odf" / "schemas" / "odf-1.3"
odf = etree.RelaxNG(etree.parse(str(schemas / "OpenDocument-v1.3-schema.rng")))
manifest = etree.RelaxNG(etree.parse(str(schemas / "OpenDocument-v1.3-manifest-schema.rng")))
bad = 0
for path in sys.argv[1:]:
    z = zipfile.ZipFile(path)
    for part, schema in [("content.xml", odf), ("styles.xml", odf), ("meta.xml", odf), ("META-INF/manifest.xml", manifest)]:
        if schema.validate(etree.fromstring(z.read(part))):
            print(f"{path} {part}: valid")
        else:
            bad += 1
            print(f"{path} {part}: INVALID")
            for e in list(schema.error_log)[:10]:
                print(f"  line {e.line}: {e.message}")
sys.exit(1 if bad else 0)
PY
