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
        out.append("```\n" + open(os.path.join(src, "report.txt")).read().rstrip() + "\n```\n")
        for p in plots:
            out.append(f"![{e} {p[:-4]}](docs/experiments/{e}/{p})\n")
    open(os.path.join(ROOT, "EXPERIMENTS.md"), "w").write("\n".join(out))


if __name__ == "__main__":
    main()
