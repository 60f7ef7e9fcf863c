#!/usr/bin/env python3
"""Tables for docs/results.md, computed from what Scripts/results.sh ran and measured.

    results-tables.py runs DIR
        The runs of a sweep folder: how many completed and the sum of their wall times, from each
        run file's runs table (started_at, ended_at), as one markdown sentence.

    results-tables.py cifar ROUNDS CLIENTS EPOCHS STEPS_PER_EPOCH CORES STEP.json...
        The estimated duration of a CIFAR-10 sweep from `orchard bench step --json` measurements
        (one dense, the others at the ladder's densities): every run's training steps times the
        median step time at its density, divided among the cores; as a markdown table.

    results-tables.py health DIR ORCHARD
        The masks at the end of each run of a ladder sweep (`orchard report --json`): per method
        and density, the mean density reached and the mean of the outputs that no path of kept
        weights reaches from the input (the last mask_health entry), as two markdown tables.

    results-tables.py verdicts DIR METHOD
        From a sweep's summary.json: in how many settings (cells but the first axis) METHOD's mean
        final accuracy is ahead of, behind or within the spread of the best other method's (the
        rule of `orchard sweep --versus`: a difference beyond twice its standard error), which
        method is best where, as markdown.

    results-tables.py selections DIR ORCHARD
        FedTiny's candidate selections in a sweep's runs: per density, how many were
        indistinguishable (every candidate's loss within 1% of the others) and the median relative
        spread of the candidates' losses, as a markdown table.
"""

import glob
import json
import os
import sqlite3
import statistics
import subprocess
import sys


def runs(folder):
    seconds, count = 0.0, 0
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*.sqlite"))):
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute(
                "SELECT started_at, ended_at FROM runs WHERE status = 'completed' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        finally:
            connection.close()
        if row and row[1] is not None:
            seconds += row[1] - row[0]
            count += 1
    print(f"{count} runs completed; their wall times add up to {seconds / 60:.0f} minutes.")


def cifar(rounds, clients, epochs, steps_per_epoch, cores, files):
    measured = [json.load(open(path)) for path in files]
    steps = rounds * clients * epochs * steps_per_epoch
    print(f"Each run trains {steps:,} steps of batch 64 ({rounds} rounds x {clients} clients x "
          f"{epochs} epochs x {steps_per_epoch} steps); a step's median time is measured with "
          "`orchard bench step --input 3x32x32 --batch 64 --threads 1`.")
    print()
    print("| model | density | step (median) | one run | runs | those runs |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = {}
    for entry in measured:
        step_seconds = entry["step_ms_median"] / 1000
        run_days = steps * step_seconds / cores / 86400
        count = 3 if entry["density"] >= 1 else 15 * 3
        totals[entry["model"]] = totals.get(entry["model"], 0) + run_days * count
        print(f"| {entry['model']} | {entry['density']:.0%} | {step_seconds:.2f} s | {run_days:.1f} days "
              f"| {count} | {run_days * count:.0f} days |")
    print()
    for model, days in totals.items():
        print(f"- {model}: about {days:.0f} days ({days / 365:.1f} years) on {cores} cores, evaluation not counted.")
    print()


def reports(folder, orchard, label=None):
    """Yields (label, density, report) for each completed run file of the sweep folder."""
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*.sqlite"))):
        cell = os.path.basename(path).rsplit("-seed", 1)[0].split("_")
        if len(cell) < 2 or (label is not None and cell[0] != label):
            continue
        result = subprocess.run([orchard, "report", path, "--json"], capture_output=True, text=True)
        if result.returncode != 0:
            continue
        report = json.loads(result.stdout)
        if report.get("status") == "completed":
            yield cell[0], cell[1], report


def sweep_labels(folder):
    """The first axis's labels in the sweep's order, from its summary."""
    try:
        cells = json.load(open(os.path.join(folder, "summary.json")))["cells"]
    except (OSError, ValueError, KeyError):
        return []
    labels = []
    for cell in cells:
        label = cell["settings"][0]["value"]
        if label not in labels:
            labels.append(label)
    return labels


def density_order(densities):
    return sorted(densities, key=lambda text: -float(text.replace("pct", "")))


def health(folder, orchard):
    reached, dead = {}, {}
    for label, density, report in reports(folder, orchard):
        if report.get("final_density") is not None:
            reached.setdefault(label, {}).setdefault(density, []).append(report["final_density"])
        entries = report.get("mask_health") or []
        if entries:
            last = entries[-1]
            dead.setdefault(label, {}).setdefault(density, []).append((last["dead_outputs"], last["outputs"]))
    print("The density each method ends at (`final_density`: the nonzero fraction of the global model's")
    print("prunable weights; for LotteryFL the mean of the clients' own masks), the mean over the runs:")
    print()
    table(folder, reached, lambda runs: f"{statistics.mean(runs):.1%}")
    print("Outputs (classes) that no path of kept weights connects to the input at the end of a run, the")
    print("mean over the runs; a class no path reaches can only be predicted from biases:")
    print()
    table(folder, dead, lambda runs: f"{statistics.mean(d for d, _ in runs):.1f} of {runs[0][1]}")


def table(folder, cells_by_label, describe):
    """A markdown table of methods by density, each cell `describe(runs)`."""
    if not cells_by_label:
        print("(no runs)")
        print()
        return
    densities = density_order({density for cells in cells_by_label.values() for density in cells})
    order = sweep_labels(folder)
    labels = sorted(cells_by_label, key=lambda label: order.index(label) if label in order else len(order))
    print("| method | " + " | ".join(density.replace("pct", "%") for density in densities) + " |")
    print("|---|" + "---:|" * len(densities))
    for label in labels:
        cells = cells_by_label[label]
        row = [describe(cells[density]) if cells.get(density) else "-" for density in densities]
        print(f"| {label} | " + " | ".join(row) + " |")
    print()


def selections(folder, orchard):
    found = {}
    for _, density, report in reports(folder, orchard, label="fedtiny"):
        for selection in report.get("candidate_selections") or []:
            found.setdefault(density, []).append(selection)
    if not found:
        return
    print("| density | selections | indistinguishable | median relative spread of the losses |")
    print("|---:|---:|---:|---:|")
    for density in density_order(found):
        chosen = found[density]
        spreads = [entry["relative_spread"] for entry in chosen if entry.get("relative_spread") is not None]
        same = sum(1 for entry in chosen if entry.get("indistinguishable"))
        median = f"{statistics.median(spreads):.4f}" if spreads else "-"
        print(f"| {density.replace('pct', '%')} | {len(chosen)} | {same} | {median} |")


def verdicts(folder, reference):
    cells = json.load(open(os.path.join(folder, "summary.json")))["cells"]
    groups = {}
    for cell in cells:
        method = cell["settings"][0]["value"]
        setting = ", ".join(f"{entry['axis']} {entry['value']}" for entry in cell["settings"][1:])
        if cell.get("final_accuracy"):
            groups.setdefault(setting, {})[method] = cell["final_accuracy"]
    outcome = {"ahead": [], "behind": [], "within the spread": []}
    winners = {}
    for setting, methods in groups.items():
        best = max(methods, key=lambda method: methods[method]["mean"])
        winners[best] = winners.get(best, 0) + 1
        mine = methods.get(reference)
        others = {method: value for method, value in methods.items() if method != reference}
        if mine is None or not others:
            continue
        other = max(others.values(), key=lambda value: value["mean"])
        if mine.get("sd") is None or other.get("sd") is None:
            continue
        error = (mine["sd"] ** 2 / mine["n"] + other["sd"] ** 2 / other["n"]) ** 0.5
        difference = mine["mean"] - other["mean"]
        verdict = "ahead" if difference > 2 * error else "behind" if difference < -2 * error else "within the spread"
        outcome[verdict].append(setting.replace("method.density ", "").replace("pct", "%"))
    judged = sum(len(settings) for settings in outcome.values())
    print(f"- **{reference} against the best other method**, over {judged} settings: ahead in "
          f"{len(outcome['ahead'])}, behind in {len(outcome['behind'])}, within the spread in "
          f"{len(outcome['within the spread'])}.")
    for verdict in ("ahead", "within the spread"):
        if outcome[verdict]:
            print(f"  {verdict.capitalize()}: {'; '.join(outcome[verdict])}.")
    ranking = sorted(winners.items(), key=lambda item: -item[1])
    print("- **Best mean final accuracy** by setting: " + ", ".join(
        f"{method} in {count}" for method, count in ranking) + f" of {len(groups)}.")


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "runs":
        runs(arguments[1])
    elif len(arguments) == 3 and arguments[0] == "health":
        health(arguments[1], arguments[2])
    elif len(arguments) == 3 and arguments[0] == "verdicts":
        verdicts(arguments[1], arguments[2])
    elif len(arguments) == 3 and arguments[0] == "selections":
        selections(arguments[1], arguments[2])
    elif len(arguments) >= 7 and arguments[0] == "cifar":
        numbers = [int(value) for value in arguments[1:6]]
        cifar(*numbers, arguments[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
