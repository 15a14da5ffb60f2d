#!/usr/bin/env bash
# `make test`: runs the given make targets in order, stops at the first failure, and
# prints how long each took (CI has ~25 minutes; this shows where they go).
set -uo pipefail
cd "$(dirname "$0")/.."
times=()
total_start=$SECONDS
for step in "$@"; do
  start=$SECONDS
  echo "===== make $step"
  if ! make --no-print-directory "$step"; then
    echo "===== make $step FAILED after $((SECONDS - start)) s" >&2
    exit 1
  fi
  times+=("$(printf '%-14s %4d s' "$step" $((SECONDS - start)))")
done
echo "===== step times"
printf '  %s\n' "${times[@]}"
printf '  %-14s %4d s\n' total $((SECONDS - total_start))
