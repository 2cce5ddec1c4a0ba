#!/usr/bin/env bash
# Prints the python of a virtualenv holding load-test/model/python/requirements.txt (LightGBM,
# scikit-learn, matplotlib), creating it on first use under $RISK_ML_CACHE (default
# ~/.cache/risk-scoring/ml-venv, outside the clone, so a fresh clone on the same machine finds
# it). The venv is rebuilt when the requirements file changes. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
REQS=load-test/model/python/requirements.txt
VENV="${RISK_ML_CACHE:-$HOME/.cache/risk-scoring/ml-venv}"
PYTHON="${RISK_PYTHON:-python3}"
want="$(sha256sum "$REQS" | cut -c1-16)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements" 2>/dev/null)" != "$want" ]]; then
  printf '[ml-venv] installing %s into %s (about 2 minutes, once)\n' "$REQS" "$VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" >&2
  printf '%s' "$want" >"$VENV/.requirements"
fi
printf '%s\n' "$VENV/bin/python"
