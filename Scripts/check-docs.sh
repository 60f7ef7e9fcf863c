#!/usr/bin/env bash
# Checks that README.md and docs/*.md are reference for what is true at HEAD.
#
#   Scripts/check-docs.sh
#
# 1. Every relative Markdown link resolves to a file or folder in the repository, and a link's
#    #anchor to a heading of the Markdown file it names (GitHub's heading slugs).
# 2. Every code span that is a file name or path (`Conv2d+Wide.swift`, `docs/store.md`,
#    `Protos/orchard.proto`) names a file git tracks: a bare name matches any tracked file's name,
#    a path the end of a tracked path.
# 3. No page tells its own history: numbered sessions or work periods, what was tried and
#    reverted or dropped, named branches.
#
# Prints FILE:LINE: what failed, for every failure, and exits 1 if there was any.
set -euo pipefail
cd "$(dirname "$0")/.."

pages=(README.md docs/*.md)
tracked=$(git ls-files --cached --others --exclude-standard)
# Succeeds if a tracked path is NAME or ends in /NAME.
is_tracked() {
    awk -v name="$1" '$0 == name || substr($0, length($0) - length(name)) == "/" name { found = 1 } END { exit !found }' <<<"$tracked"
}

# GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
slugs() {
    awk '/^```/ { fence = !fence } !fence && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
        tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

# Prints "LINE<TAB>TEXT" for each line outside fenced code blocks, inline code spans removed when
# the second argument is "no-code".
prose() {
    awk -v strip="$2" '
        /^[ ]*```/ { fence = !fence; next }
        fence { next }
        { line = $0; if (strip == "no-code") gsub(/`[^`]*`/, "", line); print NR "\t" line }' "$1"
}

for page in "${pages[@]}"; do
    directory=$(dirname "$page")

    # 1. Links: [text](target), not URLs.
    while IFS=$'\t' read -r number text; do
        { grep -oE '\]\([^) ]+\)' <<<"$text" || true; } | sed -E 's/^\]\(//; s/\)$//' | while read -r target; do
            case $target in http://* | https://* | mailto:*) continue ;; esac
            file=${target%%#*}
            anchor=""
            [[ $target == *"#"* ]] && anchor=${target#*#}
            if [[ -z $file ]]; then file=$(basename "$page"); fi
            resolved="$directory/$file"
            if [[ ! -e $resolved ]]; then
                echo "$page:$number: link to $target: $resolved does not exist"
                continue
            fi
            if [[ -n $anchor && $resolved == *.md ]] && ! slugs "$resolved" | grep -qxF -- "$anchor"; then
                echo "$page:$number: link to $target: no heading of $resolved has the anchor #$anchor"
            fi
        done
    done < <(prose "$page" no-code)

    # 2. File names in code spans.
    while IFS=$'\t' read -r number text; do
        { grep -oE '`[A-Za-z0-9_./+-]+\.(md|swift|sh|proto|yaml|yml|json|c|h)`' <<<"$text" || true; } | tr -d '`' |
            while read -r name; do
                is_tracked "${name#./}" && continue
                # Files a command writes (summary.json) or a placeholder (DIR/x, NAME.yaml) name
                # nothing in the repository by design.
                grep -qxE '(summary|report)\.(json|md|html)|.*\b[A-Z]{2,}\b.*' <<<"$name" && continue
                [[ $name == */summary.* ]] && continue
                echo "$page:$number: \`$name\` names no file in the repository"
            done
    done < <(prose "$page" keep-code)

    # 3. History words.
    while IFS=$'\t' read -r number text; do
        if grep -qiE 'sessions? [0-9]|work periods?|tried and (reverted|dropped|not kept)|\(branch |branch `|on branch ' <<<"$text"; then
            echo "$page:$number: tells history: $(grep -oiE '.{0,30}(sessions? [0-9]|work periods?|tried and (reverted|dropped|not kept)|\(branch |branch `|on branch ).{0,30}' <<<"$text" | head -1)"
        fi
    done < <(prose "$page" keep-code)
done >"${TMPDIR:-/tmp}/check-docs.$$"

failures=$(wc -l <"${TMPDIR:-/tmp}/check-docs.$$")
cat "${TMPDIR:-/tmp}/check-docs.$$"
rm -f "${TMPDIR:-/tmp}/check-docs.$$"
if ((failures > 0)); then
    echo "check-docs: $failures problem(s) in README.md and docs/" >&2
    exit 1
fi
echo "check-docs: README.md and docs/*.md: links resolve, file names exist, no history" >&2
