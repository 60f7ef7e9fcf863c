#!/usr/bin/env bash
# Fails when a target imports a module of this package, or a product of its dependencies, that
# Package.swift does not list among the target's own dependencies. (SwiftPM's
# --explicit-target-dependency-import-check reports nothing with Swift 6.3 on Linux: its import
# scan fails and the check then passes silently.)
set -euo pipefail
cd "$(dirname "$0")/.."

swift package dump-package | python3 -c '
import json, pathlib, re, sys

package = json.load(sys.stdin)
targets = [t for t in package["targets"] if t["type"] != "system"]

def names(target):
    """The module names a target declares: its targets by name and the products it uses."""
    declared = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0])
    return declared

known = {t["name"] for t in targets} | set().union(*(names(t) for t in targets))
pattern = re.compile(
    r"^\s*(?:@\w+\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?import\s+"
    r"(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?(\w+)", re.MULTILINE)
misses = []
for target in targets:
    folder = target.get("path") or ("Tests/" if target["type"] == "test" else "Sources/") + target["name"]
    name = target["name"]
    declared = names(target) | {name}
    for source in sorted(pathlib.Path(folder).rglob("*.swift")):
        for module in sorted(set(pattern.findall(source.read_text())) & known - declared):
            misses.append(f"{source}: imports {module}, which target {name} does not declare")
print("\n".join(misses) or f"imports: {len(targets)} targets import only what they declare")
sys.exit(1 if misses else 0)
'
