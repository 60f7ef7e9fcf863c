#!/usr/bin/env bash
# Measures a run of many logical clients against the same run with fewer: the time from starting
# `orchard run` to the first round's commit, every process's peak resident memory (VmHWM, read
# from /proc while the run goes), and the median wall time of a round. Prints a Markdown table.
#
#   Scripts/bench-clients.sh [TOPOLOGY] [COUNT...]
#
# TOPOLOGY (default topologies/synthetic-million.yaml) has one group, whose `count:` each COUNT
# (default 1000000 1000) replaces in a copy; the run uses two host processes. Needs a release build
# (`swift build -c release`) and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
orchard=${ORCHARD:-.build/release/orchard}
topology=${1:-topologies/synthetic-million.yaml}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000000 1000)
[ -x "$orchard" ] || { echo "bench-clients: $orchard is missing; run swift build -c release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The peak resident KiB of process $1, 0 once it is gone.
peak_of() { awk '/^VmHWM/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "| clients | first round after (s) | coordinator peak RSS (MiB) | host peak RSS (MiB) | median round (s) | rounds | final model SHA-256 |"
echo "|---|---|---|---|---|---|---|"
for count in "${counts[@]}"; do
    database="$work/run-$count.sqlite"
    copy="$work/clients-$count.yaml"
    sed "s/^\( *\)count: [0-9]*/\1count: $count/" "$topology" > "$copy"
    start=$(date +%s.%N)
    "$orchard" run "$copy" --processes 2 --db "$database" \
        > "$work/out-$count.txt" 2> "$work/err-$count.txt" &
    coordinator=$!
    declare -A peaks=()
    while kill -0 "$coordinator" 2>/dev/null; do
        for process in "$coordinator" $(pgrep -P "$coordinator" || true); do
            kib=$(peak_of "$process")
            [ "$kib" -gt "${peaks[$process]:-0}" ] && peaks[$process]=$kib
        done
        sleep 0.2
    done
    wait "$coordinator" || { echo "bench-clients: the run of $count clients failed:" >&2; cat "$work/err-$count.txt" >&2; exit 1; }
    first=$(sqlite3 "$database" "SELECT printf('%.1f', MIN(committed_at) - $start) FROM rounds")
    median=$(sqlite3 "$database" \
        "SELECT printf('%.2f', wall_seconds) FROM rounds ORDER BY wall_seconds LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM rounds)")
    rounds=$(sqlite3 "$database" "SELECT COUNT(*) FROM rounds")
    hash=$(sed -n 's/^Final model sha256 *\([0-9a-f]\{16\}\).*/\1/p' "$work/out-$count.txt")
    hosts=()
    for process in "${!peaks[@]}"; do
        [ "$process" = "$coordinator" ] || hosts+=("$(( ${peaks[$process]} / 1024 ))")
    done
    joined=$(printf '%s / ' "${hosts[@]}")
    echo "| $count | $first | $(( ${peaks[$coordinator]} / 1024 )) | ${joined% / } | $median | $rounds | \`$hash\` |"
    unset peaks
done
