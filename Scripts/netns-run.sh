#!/usr/bin/env bash
# Runs a topology for real over shaped links: the coordinator in one network namespace and one
# client host per client in a namespace of its own, each joined to a bridge (in a namespace of its
# own too) by a veth pair whose two directions are shaped to its group's `link:` (rate, and delay
# where the kernel has netem). The coordinator measures each task's time on its link
# (`orchard coordinator --measure-links`), and the script prints measured against predicted
# communication time per group, then the run file's path.
#
#   Scripts/netns-run.sh topologies/quickstart.yaml
#   Scripts/netns-run.sh T.yaml --rounds 5 --db runs/t-netns.sqlite --set clients_per_round=4
#
# Needs root, iproute2 (ip netns, tc) and jq; ORCHARD names the binary (default: .build/release/orchard
# if built, else .build/debug/orchard). Addresses come from 198.18.0.0/15 (RFC 2544's benchmarking
# range) and exist only inside the namespaces; nothing is added to the machine's own network, and
# every namespace is deleted on exit. A kernel without netem (CONFIG_NET_SCH_NETEM) shapes the rate
# with tbf and cannot delay packets: the run then sets every link's latency to 0 (said on stderr),
# so that the prediction describes the link that exists. docs/links.md explains the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: Scripts/netns-run.sh TOPOLOGY [--rounds N] [--db FILE] [--set KEY=VALUE]..." >&2
    exit 2
}
[ $# -ge 1 ] || usage
topology=$1
shift
[ -f "$topology" ] || { echo "netns-run: no topology file $topology" >&2; exit 2; }
overrides=()
db=""
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) [ $# -ge 2 ] || usage; overrides+=(--set "rounds=$2"); shift 2 ;;
        --db) [ $# -ge 2 ] || usage; db=$2; shift 2 ;;
        --set) [ $# -ge 2 ] || usage; overrides+=(--set "$2"); shift 2 ;;
        *) usage ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "netns-run: needs root (network namespaces and tc)" >&2; exit 1; }
for tool in ip tc jq; do
    command -v $tool >/dev/null || { echo "netns-run: needs $tool (Scripts/install-deps.sh --netns)" >&2; exit 1; }
done
if [ -z "${ORCHARD:-}" ]; then
    ORCHARD=.build/debug/orchard
    [ -x .build/release/orchard ] && ORCHARD=.build/release/orchard
fi
[ -x "$ORCHARD" ] || { echo "netns-run: no orchard binary at $ORCHARD (swift build first)" >&2; exit 1; }
ORCHARD=$(realpath "$ORCHARD")

tag="o$$"  # interface names hold at most 15 characters: o, the PID, -N-N
switch="$tag-sw"
coordinator_ns="$tag-co"
namespaces=()
pids=()
work=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Whether this kernel has netem: try it on a namespace's loopback.
ip netns add "$switch"
namespaces+=("$switch")
netem=1
ip netns exec "$switch" tc qdisc add dev lo root netem delay 1ms 2>/dev/null || netem=0
ip netns exec "$switch" tc qdisc del dev lo root 2>/dev/null || true

groups_json="$work/topology.json"
"$ORCHARD" validate "$topology" --json "${overrides[@]}" >"$groups_json"
if [ $netem -eq 0 ]; then
    echo "netns-run: this kernel has no netem qdisc: rates shaped with tbf, no delay; every link's latency is set to 0" >&2
    count=$(jq '.groups | length' "$groups_json")
    for ((g = 0; g < count; g++)); do
        if [ "$(jq ".groups[$g].latency_seconds != null" "$groups_json")" = true ]; then
            overrides+=(--set "groups[$g].link.latency=0s")
        fi
    done
    "$ORCHARD" validate "$topology" --json "${overrides[@]}" >"$groups_json"
fi
clients=$(jq '.clients' "$groups_json")
if [ "$clients" -gt 200 ]; then
    echo "netns-run: $clients clients: one namespace per client allows at most 200" >&2
    exit 1
fi

# One veth pair from the switch's bridge to namespace $1, address 198.18.$2.$3/15 there; its two
# directions shaped: $4 and $5 bit/s (out of the namespace, into it), $6 seconds one-way delay.
attach() {
    local ns=$1 address="198.18.$2.$3/15" up=$4 down=$5 delay=$6
    local outer="$tag-$2-$3"
    ip netns add "$ns"
    namespaces+=("$ns")
    ip link add "$outer" netns "$switch" type veth peer name eth0 netns "$ns"
    ip -n "$switch" link set "$outer" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" address add "$address" dev eth0
    ip -n "$ns" link set eth0 up
    shape "$ns" eth0 "$up" "$delay"
    shape "$switch" "$outer" "$down" "$delay"
}

# Shapes device $2 of namespace $1 to $3 bit/s (none: unshaped) and $4 seconds of delay.
shape() {
    local ns=$1 device=$2 rate=$3 delay=$4
    [ "$rate" != null ] || return 0
    local bits
    bits=$(jq -n "$rate | floor")
    if [ $netem -eq 1 ]; then
        local micros
        micros=$(jq -n "$delay * 1000000 | floor")
        ip netns exec "$ns" tc qdisc add dev "$device" root netem delay "${micros}us" rate "${bits}bit" limit 100000
    else
        # A burst of 1 ms at the rate, at least two full frames; a queue long enough to drop nothing.
        local burst
        burst=$(jq -n "[$bits / 8000, 3028] | max | floor")
        ip netns exec "$ns" tc qdisc add dev "$device" root tbf rate "${bits}bit" burst "$burst" latency 20s
    fi
}

ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
attach "$coordinator_ns" 0 1 null null 0
endpoint="tcp://198.18.0.1:5555"

name=$(jq -r '.name' "$groups_json")
db=${db:-runs/$name-netns.sqlite}
mkdir -p "$(dirname "$db")"
rm -f "$db" "$db-wal" "$db-shm"
db=$(realpath "$db")

# The namespaces are reachable from nowhere else, so the run goes without CurveZMQ (--insecure).
ip netns exec "$coordinator_ns" "$ORCHARD" coordinator "$topology" --bind "$endpoint" --hosts "$clients" \
    --db "$db" --measure-links --insecure "${overrides[@]}" >"$work/coordinator.out" 2>"$work/coordinator.log" &
coordinator=$!
pids+=("$coordinator")

count=$(jq '.groups | length' "$groups_json")
for ((g = 0; g < count; g++)); do
    read -r first size up down latency < <(jq -r ".groups[$g] | \"\(.first_client) \(.count) \
\(.up_bits_per_second) \(.down_bits_per_second) \(.latency_seconds // 0)\"" "$groups_json")
    for ((client = first; client < first + size; client++)); do
        attach "$tag-h$client" $((1 + client / 250)) $((client % 250 + 1)) "$up" "$down" "$latency"
        OPENBLAS_NUM_THREADS=1 ip netns exec "$tag-h$client" "$ORCHARD" client "$topology" --connect "$endpoint" \
            --clients "$client" --host-id "host-$client" --insecure "${overrides[@]}" \
            2>"$work/host-$client.log" &
        pids+=("$!")
    done
done
echo "netns-run: $clients hosts in their own namespaces, $([ $netem -eq 1 ] && echo netem || echo tbf) links" >&2

status=0
wait "$coordinator" || status=$?
if [ $status -ne 0 ]; then
    echo "netns-run: the coordinator failed (exit $status):" >&2
    tail -n 30 "$work/coordinator.log" >&2
    exit 1
fi
"$ORCHARD" report "$db" >"$work/report.txt"
awk '/^Link times \(measured/ { show = 1 } show && /^$/ { exit } show' "$work/report.txt"
grep -q '^Link times (measured' "$work/report.txt" || {
    echo "netns-run: the run measured no link time" >&2
    exit 1
}
echo "$db"
