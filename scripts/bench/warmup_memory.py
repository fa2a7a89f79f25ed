#!/usr/bin/env python3
"""How long seqlab takes to reach full speed, and how much memory it holds, beside PyTorch.

For each configuration, starts a fresh process that trains one layer from its first step with no
warm-up (`seqlab bench --warmup 0 --repeats N --format json`, which lists every step's time in the
order the steps ran) and the same in a fresh PyTorch process, both under /usr/bin/time -v for the
peak resident set size. "Full speed" is the median of the last half of the steps; the time to full
speed counts from the launch of the process (JVM or Python start, setup) to the start of the first
step from which the median of five consecutive steps is within 10% of it, and again from the start of
the first step (the time outside the steps, launch and exit, taken off). Also printed: the first
step's own time, and the throughput over the first 2 s after launch, as a short command would see it.

Run from the repository root:
  /usr/bin/python3 scripts/bench/warmup_memory.py
  SEQLAB_JAVA_OPTS="..." /usr/bin/python3 scripts/bench/warmup_memory.py --label "with ..."   # JVM options
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# model, hidden, batch, steps (T), timed training steps
CONFIGS = [("lstm", 128, 32, 100, 400), ("lstm", 128, 32, 1600, 30)]

TORCH_PROGRAM = r"""
import json, sys, time, torch
model, hidden, batch, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.manual_seed(0)
layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[model](hidden, hidden, 1)
x = torch.randn(steps, batch, hidden, requires_grad=True)
upstream = torch.randn(steps, batch, hidden)
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    layer.zero_grad(set_to_none=True)
    out, _ = layer(x)
    out.backward(upstream)
    times.append(time.perf_counter() - t0)
print(json.dumps({"all_seconds": times}))
"""


def timed_process(cmd, env=None):
    """(the program's JSON, wall seconds from launch to exit, peak RSS in MB)."""
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return json.loads(r.stdout), wall, rss


def summary(steps, wall, tokens):
    """(time to full speed in s from launch, the same from the first step, full-speed tokens/s,
    tokens/s over the first 2 s after launch, the first step's seconds)."""
    offset = wall - sum(steps)  # launch, start-up and setup, and the exit
    final = statistics.median(steps[len(steps) // 2:])
    start_of = offset
    reached = None
    for i in range(len(steps)):
        window = steps[i:i + 5]
        if len(window) == 5 and statistics.median(window) <= 1.1 * final:
            reached = start_of
            break
        start_of += steps[i]
    done, clock = 0, offset
    for s in steps:
        if clock + s > 2.0:
            break
        clock += s
        done += 1
    return reached, reached - offset, tokens / final, done * tokens / 2.0, steps[0]


def row(name, side, summarised, rss):
    reached, from_first, full, first, first_step = summarised
    return (f"{name:<30} {side:<8} {reached:>12.1f}s {from_first:>12.1f}s {first_step:>8.2f}s {full:>11,.0f}"
            f" {first:>16,.0f} {rss:>6.0f} MB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--label", default="", help="what is different in this run (JVM options), printed")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    print(f"{os.cpu_count()} cores; SEQLAB_JAVA_OPTS={os.environ.get('SEQLAB_JAVA_OPTS', '')!r} {args.label}")
    header = (f"{'config':<30} {'side':<8} {'to full speed':>13} {'from 1st step':>13} {'1st step':>9}"
              f" {'full tok/s':>11} {'first 2 s tok/s':>16} {'peak RSS':>9}")
    print(header)
    print("-" * len(header))
    for model, hidden, batch, steps, repeats in CONFIGS:
        tokens = batch * steps
        name = f"{model} train H={hidden} B={batch} T={steps}"
        for _ in range(args.rounds):
            doc, wall, rss = timed_process(
                [os.path.join(ROOT, "seqlab"), "bench", "--model", model, "--hidden", str(hidden), "--batch", str(batch),
                 "--steps", str(steps), "--mode", "train", "--warmup", "0", "--repeats", str(repeats), "--format",
                 "json"])
            print(row(name, "seqlab", summary(doc["all_seconds"], wall, tokens), rss), flush=True)
            doc, wall, rss = timed_process(
                ["/usr/bin/python3", "-c", TORCH_PROGRAM, model, str(hidden), str(batch), str(steps), str(repeats)])
            print(row(name, "PyTorch", summary(doc["all_seconds"], wall, tokens), rss), flush=True)


if __name__ == "__main__":
    main()
