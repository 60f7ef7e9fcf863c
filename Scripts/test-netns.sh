#!/usr/bin/env bash
# The CI step of Scripts/netns-run.sh: runs the quickstart with its hosts in network namespaces over
# shaped links and checks that every group whose tasks answer has measured and predicted link times
# in the report. Skips, with a message and status 0, where it cannot run: not root, or no `ip netns`.
#
#   Scripts/test-netns.sh        # ORCHARD names the binary (default .build/debug/orchard)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "test-netns: skipped: needs root for network namespaces"
    exit 0
fi
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    echo "test-netns: skipped: no 'ip netns' here (Scripts/install-deps.sh --netns installs iproute2)"
    exit 0
fi
command -v jq >/dev/null && command -v tc >/dev/null || Scripts/install-deps.sh --netns
export ORCHARD=${ORCHARD:-.build/debug/orchard}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Ten rounds keep the step near a minute; the sensors refuse every task (their memory), so the
# phones and laptops are the groups measured.
Scripts/netns-run.sh topologies/quickstart.yaml --rounds 10 --db "$work/netns.sqlite" | tee "$work/out.txt"
[ "$(tail -n 1 "$work/out.txt")" = "$(realpath "$work/netns.sqlite")" ] || {
    echo "test-netns: the run file's path is not the last line" >&2
    exit 1
}
json=$("$ORCHARD" report "$work/netns.sqlite" --json)
for group in phones laptops; do
    jq -e --arg group "$group" \
        '.link_times | map(select(.group == $group and .tasks > 0 and .measured_seconds > 0 and .predicted_seconds > 0
            and .ratio > 0)) | length == 1' <<<"$json" >/dev/null || {
        echo "test-netns: no measured and predicted link time for group $group" >&2
        exit 1
    }
done
echo "test-netns: passed"
