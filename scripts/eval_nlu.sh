#!/usr/bin/env bash
# NLU evaluation: 5-fold cross-validation of data/nlu with config.yml, then a short
# summary in results/nlu/summary.txt. Run from the repository root: bash scripts/eval_nlu.sh
set -euo pipefail

cd "$(dirname "$0")/.."

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"

FOLDS="${FOLDS:-5}"
OUT="results/nlu"

rm -rf "$OUT"
mkdir -p "$OUT"

.venv/bin/rasa test nlu \
  --nlu data/nlu \
  --config config.yml \
  --cross-validation \
  --folds "$FOLDS" \
  --out "$OUT"

.venv/bin/python scripts/nlu_report.py "$OUT"
