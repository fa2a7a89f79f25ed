"""The matrix kernels' register tile: the machine's 6-row tile against the 8 x 2 one, interleaved.

seqlab chooses the shape of its register tile at start-up from the machine's vector registers
(VectorMatMul.TILE_ROWS x TILE_VECTORS: 6 rows x 4 vectors where there are 32 registers, AVX-512
and Arm; 6 x 2 where there are 16, AVX2); the system property seqlab.tileRows=8 forces the 8 x 2
tile instead. This script runs `seqlab bench` with each forced (6: the machine's own), alternating
the two for --rounds rounds so that both see the same machine load, and prints the median tokens/s
of each, the ratio 6/8 with its range over the rounds, and the machine's peak (`seqlab bench
--model peak`) measured in the same run. Either tile gives the same bits; only the speed differs.

Run from the repository root:
  /usr/bin/python3 scripts/bench/tile_rows.py
  /usr/bin/python3 scripts/bench/tile_rows.py --threads 2 --rounds 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# model, hidden, batch, steps, mode, repeats
CONFIGS = [
    ("lstm", 256, 64, 100, "train", 9),
    ("gru", 256, 64, 100, "train", 9),
    ("lstm", 256, 64, 100, "infer", 15),
    ("mingru", 256, 64, 256, "train", 9),
    ("transformer", 256, 64, 100, "train", 7),
    ("lstm", 64, 8, 20, "infer", 300),
]


def bench(tile, args):
    """`seqlab bench ... --format json` with the tile height forced."""
    env = dict(os.environ)
    env["SEQLAB_JAVA_OPTS"] = (env.get("SEQLAB_JAVA_OPTS", "") + f" -Dseqlab.tileRows={tile}").strip()
    cmd = [os.path.join(ROOT, "seqlab"), "bench"] + [str(a) for a in args] + ["--format", "json"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="alternations of the two heights")
    p.add_argument("--threads", type=int, default=1, help="threads of every measurement")
    args = p.parse_args()
    peaks = [bench(6, ["--model", "peak", "--threads", args.threads, "--repeats", 3])["gflops"]
             for _ in range(args.rounds)]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "unknown CPU")
    print(f"{cpu}, {os.cpu_count()} cores; {args.threads} thread(s), {args.rounds} rounds; peak "
          f"{statistics.median(peaks):.1f} GFLOP/s on {args.threads} thread(s) (median of the rounds)")
    header = f"{'config':<36} {'tile 8 tok/s':>13} {'tile 6 tok/s':>13} {'6 / 8':>6} {'range over rounds':>18}"
    print(header)
    print("-" * len(header))
    for model, hidden, batch, steps, mode, repeats in CONFIGS:
        rate = {6: [], 8: []}
        for _ in range(args.rounds):
            for tile in (8, 6):
                doc = bench(tile, ["--model", model, "--hidden", hidden, "--batch", batch, "--steps", steps,
                                   "--mode", mode, "--threads", args.threads, "--repeats", repeats])
                rate[tile].append(batch * steps / doc["seconds_per_step"])
        ratios = [six / eight for six, eight in zip(rate[6], rate[8])]
        name = f"{model} {mode} H={hidden} B={batch} T={steps}"
        print(f"{name:<36} {statistics.median(rate[8]):>13,.0f} {statistics.median(rate[6]):>13,.0f}"
              f" {statistics.median(ratios):>6.2f} {min(ratios):>8.2f} - {max(ratios):.2f}", flush=True)


if __name__ == "__main__":
    main()
