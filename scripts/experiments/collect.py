#!/usr/bin/python3
"""Gathers the default runs of every experiment into EXPERIMENTS.md and docs/experiments/.

Run the experiments first (from the repository root, each into runs/NAME):

    for e in long-range adding copy exploding forget-bias capacity; do ./seqlab run $e --out runs/$e; done
    ./seqlab run char-lm --text ../shared/data/tinyshakespeare.txt --out runs/char-lm

then:  /usr/bin/python3 scripts/experiments/collect.py runs [peak line] [wall times file]
It copies each run's report.txt, result.json and PNG plots into docs/experiments/NAME/ and writes
EXPERIMENTS.md from the intro below and the reports.
"""
import json
import os
import shutil
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ORDER = ["long-range", "adding", "copy", "exploding", "forget-bias", "capacity", "char-lm"]
COMMANDS = {e: f"./seqlab run {e} --out runs/{e}" for e in ORDER}
COMMANDS["char-lm"] = "./seqlab run char-lm --text ../shared/data/tinyshakespeare.txt --out runs/char-lm"
NOTES = {
    "long-range": "At distance 10 the vanilla RNN is at the baseline (0.503) while the LSTM (1.000) and "
    "the Transformer (0.997) have learned the agreement; the LSTM gives up at 20, the GRU holds to 40 "
    "and to 100 on two seeds of three, and attention reaches every distance tried.",
    "adding": "The RNN adds numbers 10 steps apart and fails from 50 on; the LSTM holds to 50, the "
    "GRU and the Transformer to 100 (their mean squared error near 0.004 against the baseline's 0.167).",
    "copy": "No recurrent model of 12k parameters copies ten symbols within the budget: the RNN sits "
    "on the baseline, the LSTM and the GRU recall some symbols at short delays; the Transformer copies "
    "at every delay (the published finding: the LSTM beats this baseline only near T = 100, with more "
    "training).",
    "exploding": "Without clipping every seed breaks within four steps: the global gradient norm "
    "jumps from thousands to 10^19 and the NaN check stops the run, naming the step. The same "
    "gradients, clipped to norm 1, train: the loss falls from its exploded start to half the baseline.",
    "forget-bias": "At distance 20, where the LSTM of `long-range` (bias 1) fails, a forget bias of 0 "
    "or 1 never leaves the baseline in 3000 steps; a bias of 3 (the gate starts at 0.95) solves it on "
    "two seeds of three.",
    "capacity": "Recall falls with k for the LSTMs, sooner for the smaller state (H 16: 0.99, 0.78, "
    "0.53, 0.37 at k = 2, 4, 6, 8; H 32 holds to k = 4), while Transformers of the same size recall "
    "every pair at every k.",
    "char-lm": "At 150k parameters and the same 1500 steps, the GRU reaches the lowest validation loss "
    "and the Transformer the highest; the curves against wall-clock time show what a step costs each.",
}
PLOTS = {
    "exploding": ["loss.png", "gradient-norm.png"],
    "char-lm": ["loss-vs-time.png"],
}


def main():
    runs = sys.argv[1]
    walls = {}
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        for line in open(sys.argv[2]):
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "wall":
                walls[parts[0]] = float(parts[2])
    intro = open(os.path.join(os.path.dirname(__file__), "intro.md")).read()
    out = [intro.rstrip() + "\n"]
    for e in ORDER:
        src = os.path.join(runs, e)
        if not os.path.exists(os.path.join(src, "report.txt")):
            continue
        dst = os.path.join(ROOT, "docs", "experiments", e)
        os.makedirs(dst, exist_ok=True)
        for f in ["report.txt", "result.json", "experiment.json"]:
            shutil.copy(os.path.join(src, f), dst)
        plots = PLOTS.get(e, ["score.png", "curves.png"])
        for p in plots:
            shutil.copy(os.path.join(src, p), dst)
        record = json.load(open(os.path.join(src, "experiment.json")))
        rows = json.load(open(os.path.join(src, "result.json")))["rows"]
        wall = walls.get(e)
        out.append(f"\n## {e}\n")
        out.append("```\n" + COMMANDS[e] + "\n```\n")
        took = f", {wall / 60:.1f} min wall-clock on this machine" if wall else ""
        out.append(f"{len(rows)} runs, {record['settings']['jobs']} side by side{took}.\n")
        if e in NOTES:
            out.append(NOTES[e] + "\n")
        out.append("```\n" + open(os.path.join(src, "report.txt")).read().rstrip() + "\n```\n")
        for p in plots:
            out.append(f"![{e} {p[:-4]}](docs/experiments/{e}/{p})\n")
    open(os.path.join(ROOT, "EXPERIMENTS.md"), "w").write("\n".join(out))


if __name__ == "__main__":
    main()
