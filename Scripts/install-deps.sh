#!/usr/bin/env bash
# Installs the system libraries Orchard links against, only where missing. Idempotent.
#
#   Scripts/install-deps.sh              # what building and running Orchard needs
#   Scripts/install-deps.sh --chromium   # also Debian's headless Chromium, which the HTML report
#                                        # tests open pages in (Scripts/test.sh asks for it)
#   Scripts/install-deps.sh --netns      # also iproute2 and jq, for Scripts/netns-run.sh
#   Scripts/install-deps.sh --slurm      # also slurm-wlm and munge, for Scripts/test-slurm.sh
set -euo pipefail

packages=(libzmq3-dev libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config)
for option in "$@"; do
    case $option in
        --chromium) packages+=(chromium) ;;
        --netns) packages+=(iproute2 jq) ;;
        --slurm) packages+=(slurm-wlm munge) ;;
        *) echo "usage: Scripts/install-deps.sh [--chromium] [--netns] [--slurm]" >&2; exit 2 ;;
    esac
done
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log=$(mktemp)
    if ! { $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "install-deps: apt-get failed" >&2
        exit 1
    fi
    rm -f "$log"
fi

command -v swift >/dev/null || { echo "install-deps: swift is not on PATH" >&2; exit 1; }
