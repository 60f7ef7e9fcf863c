#!/usr/bin/env bash
# Runs every federated-pruning method on one topology and writes one comparison table.
#
#   Scripts/compare.sh TOPOLOGY [OUT_DIR] [-- METHOD ...]
#
# Each method runs on a copy of TOPOLOGY whose `method:` section is replaced by the method's
# (keeping the topology's density), recorded in OUT_DIR/<label>.sqlite (default runs/compare/<name>);
# then `orchard compare` writes OUT_DIR/table.md (Markdown) and OUT_DIR/table.json. A METHOD is a
# label=flow-mapping pair such as 'snip={name: fixed-mask, criterion: snip}'; without any, every
# method Orchard implements runs. Re-running skips the runs whose file is complete.
set -euo pipefail
cd "$(dirname "$0")/.."

topology=${1:?usage: Scripts/compare.sh TOPOLOGY [OUT_DIR] [-- METHOD ...]}
shift
name=$(basename "$topology" .yaml)
out=runs/compare/$name
if [[ $# -gt 0 && $1 != "--" ]]; then out=$1; shift; fi
[[ $# -gt 0 && $1 == "--" ]] && shift

if [[ $# -gt 0 ]]; then
    methods=("$@")
else
    methods=(
        "fedavg={name: fedavg}"
        "random-erk={name: fixed-mask, criterion: random}"
        "magnitude={name: fixed-mask, criterion: magnitude}"
        "snip={name: fixed-mask, criterion: snip}"
        "synflow={name: fixed-mask, criterion: synflow}"
        "grasp={name: fixed-mask, criterion: grasp}"
        "prunefl={name: prunefl, delta: DELTA, t_end: T_END}"
        "feddst={name: feddst, delta: DELTA, t_end: T_END}"
        "fedtiny-clean={name: fedtiny-clean, delta: DELTA, t_end: T_END}"
        "fedtiny={name: fedtiny, delta: DELTA, t_end: T_END}"
    )
fi

orchard=.build/release/orchard
swift build -c release --product orchard >&2

# The topology's density, read from its method section (`density: 5%`).
density=$(awk '/^method:/ {inside = 1; next} /^[^ #]/ {inside = 0} inside && $1 == "density:" {print $2; exit}' "$topology")
if [[ -z $density ]]; then
    echo "$topology: its method section sets no density; the comparison needs one" >&2
    exit 1
fi

# Methods that adjust their masks do so every sixth of the run (every 10 rounds of 60, the
# methods' default) and stop at 80% of the rounds, as the FedTiny paper's T_end.
rounds=$(awk '$1 == "rounds:" {print $2; exit}' "$topology")
t_end=$((rounds * 8 / 10))
delta=$((rounds / 6 > 1 ? rounds / 6 : 1))

mkdir -p "$out"
files=()
labels=()
for entry in "${methods[@]}"; do
    label=${entry%%=*}
    mapping=${entry#*=}
    mapping=${mapping//T_END/$t_end}
    mapping=${mapping//DELTA/$delta}
    if [[ $mapping != *"name: fedavg"* ]]; then mapping="${mapping%\}}, density: $density}"; fi
    variant="$out/$label.yaml"
    # Every line of the topology but its method section, which becomes the method's mapping.
    awk -v method="method: $mapping" '
        /^method:/ {print method; skipping = 1; next}
        skipping && /^[^ #]/ {skipping = 0}
        !skipping {print}
    ' "$topology" >"$variant"
    db="$out/$label.sqlite"
    if [[ -f $db ]] && "$orchard" report "$db" --json 2>/dev/null | grep -q '"status":"completed"'; then
        echo "== $label: already complete in $db"
    else
        rm -f "$db" "$db-wal" "$db-shm"
        echo "== $label: $mapping"
        "$orchard" validate "$variant" >/dev/null
        "$orchard" run "$variant" --db "$db" --root .
    fi
    files+=("$db")
    labels+=("$label")
done

"$orchard" compare "${files[@]}" --labels "${labels[@]}" | tee "$out/table.md"
"$orchard" compare "${files[@]}" --labels "${labels[@]}" --json >"$out/table.json"
echo "wrote $out/table.md and $out/table.json"
