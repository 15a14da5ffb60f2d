#!/usr/bin/env bash
# `make test`: runs the given make targets in order, stops at the first failure, and
# prints how long each took (CI has ~25 minutes; this shows where they go).
set -uo pipefail
cd "$(dirname "$0")/.."
# A from-scratch build gains nothing from incremental caches (1.3 GB on a clean tree);
# export CARGO_INCREMENTAL=1 to keep them.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
free_kb() { df -Pk . | awk 'NR == 2 { print $4 }'; }
disk_free() { awk -v k="$(free_kb)" 'BEGIN { printf "%.1f GB free", k / 1048576 }'; }
used() { du -sk target fuzz/target 2>/dev/null | awk '{ k += $1 } END { printf "%.1f GB in target dirs", k / 1048576 }'; }
if [ "$(free_kb)" -lt $((3 * 1048576)) ]; then
  echo "warning: $(disk_free); a clean make test needs about 3 GB for its build trees" >&2
fi
times=()
total_start=$SECONDS
for step in "$@"; do
  start=$SECONDS
  echo "===== make $step ($(disk_free), $(used))"
  if ! make --no-print-directory "$step"; then
    echo "===== make $step FAILED after $((SECONDS - start)) s ($(disk_free), $(used))" >&2
    exit 1
  fi
  times+=("$(printf '%-14s %4d s' "$step" $((SECONDS - start)))")
done
echo "===== step times ($(disk_free), $(used))"
printf '  %s\n' "${times[@]}"
printf '  %-14s %4d s\n' total $((SECONDS - total_start))
