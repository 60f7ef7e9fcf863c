#!/usr/bin/env bash
# Formats every Swift file with the repository's .swift-format (generated protocol code excluded),
# then lints (warnings fail); pass --check to lint only.
set -euo pipefail
cd "$(dirname "$0")/.."

files=$(git ls-files '*.swift' | grep -v '/Generated/')
if [ "${1:-}" != "--check" ]; then
    echo "$files" | xargs swift format format --in-place --parallel
fi
echo "$files" | xargs swift format lint --strict --parallel
