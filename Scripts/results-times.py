#!/usr/bin/env python3
"""Times for docs/results.md, computed from what Scripts/results.sh measured.

    results-times.py runs DIR
        The runs of a sweep folder: how many completed and the sum of their wall times, from each
        run file's runs table (started_at, ended_at), as one markdown sentence.

    results-times.py cifar ROUNDS CLIENTS EPOCHS STEPS_PER_EPOCH CORES STEP.json...
        The estimated duration of a CIFAR-10 sweep from `orchard bench step --json` measurements
        (one dense, the others at the ladder's densities): every run's training steps times the
        median step time at its density, divided among the cores; as a markdown table.
"""

import glob
import json
import os
import sqlite3
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


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "runs":
        runs(arguments[1])
    elif len(arguments) >= 7 and arguments[0] == "cifar":
        numbers = [int(value) for value in arguments[1:6]]
        cifar(*numbers, arguments[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
