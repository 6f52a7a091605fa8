#!/usr/bin/env bash
# Checks the pinned dependencies (requirements.txt) for known advisories with pip-audit.
#
# pip-audit runs from its own venv (.venv-audit, pins in requirements-audit.txt): it
# needs packaging>=23, which Rasa 3.6 (packaging<21) does not allow in .venv. It reads
# only requirements.txt (--no-deps --disable-pip: no resolver, nothing installed) and
# asks PyPI's JSON API (or OSV) about each exact pin; scripts/audit_verdict.py then
# fails on a pin it could not audit or an advisory Rasa's constraints do not explain.
# Where neither source answers, the audit is reported as SKIPPED and exits 0, or 1
# with AUDIT_REQUIRED=1. Nothing here runs inside the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-audit
if [ ! -f "$VENV/.installed" ] || [ requirements-audit.txt -nt "$VENV/.installed" ]; then
  "$(scripts/find_python310.sh)" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-audit.txt
  "$VENV/bin/python" -m pip check
  touch "$VENV/.installed"
fi

# Which advisory source answers here: PyPI's JSON API for one of our pins, else OSV.
source=$("$VENV/bin/python" - <<'PY'
import json, urllib.request
probes = [
    ("pypi", urllib.request.Request("https://pypi.org/pypi/requests/2.34.2/json")),
    ("osv", urllib.request.Request(
        "https://api.osv.dev/v1/query",
        data=json.dumps({"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.34.2"}).encode(),
        headers={"Content-Type": "application/json"},
    )),
]
for name, request in probes:
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:  # noqa: S310 - fixed https URLs
            if reply.status == 200 and isinstance(json.load(reply), dict):
                print(name)
                break
    except Exception:  # noqa: BLE001 - unreachable or not JSON: try the next source
        pass
PY
)

if [ -z "$source" ]; then
  echo "pip-audit: SKIPPED - no advisory source reachable (PyPI JSON API, OSV); requirements.txt not audited." >&2
  [ "${AUDIT_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
fi

echo "pip-audit: auditing requirements.txt against $source"
mkdir -p results && rm -f results/audit.json
# pip-audit exits 1 when it finds anything; the verdict (scripts/audit_verdict.py) decides:
# a pin not audited, or an advisory outside the ones Rasa's constraints hold, fails.
"$VENV/bin/pip-audit" --requirement requirements.txt --no-deps --disable-pip \
  --vulnerability-service "$source" --progress-spinner off --format json --output results/audit.json || true
"$VENV/bin/python" scripts/audit_verdict.py results/audit.json
