#!/usr/bin/env python3
"""How a sweep scales on Spark, measured here and projected to larger clusters.

Measures, on this machine and in one run:
  1. the same sweep (24 runs of 1500 steps) with `seqlab run --jobs 1` (no Spark) and with
     `seqlab sweep` on local[1], local[2] and a two-worker loopback cluster (1 core each);
  2. Spark's overhead per task: a sweep of 100 one-step runs, where nearly all time is overhead,
     against the same runs without Spark;
then projects the wall time of a full long-range sweep (4 models x 20 distances x 10 seeds = 800
runs) on 8, 64 and 512 cores from the per-run times of a finished long-range sweep (--from DIR,
default: the defaults of `seqlab sweep long-range`), labelled as a projection.

Usage: scripts/sweep/scale.py [--from runs/long-range-sweep] [--skip-cluster]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEQLAB = os.path.join(ROOT, "seqlab")

SWEEP = ["long-range", "--models", "rnn,lstm,gru,transformer", "--distances", "5,10,20",
         "--seeds", "2", "--steps", "1500", "--goal", "0"]
TINY = ["long-range", "--models", "rnn", "--distances", "5", "--seeds", "100", "--steps", "1",
        "--val-every", "1", "--validation", "8", "--batch", "8"]


def seqlab(args, out):
    """Runs seqlab with `--out out`; returns the wall seconds of the whole process."""
    started = time.monotonic()
    subprocess.run([SEQLAB] + args + ["--out", out], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def rows(out):
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)["rows"]


def session(out):
    with open(os.path.join(out, "sweep.json")) as f:
        return json.load(f)[-1]


def start_cluster(work):
    """scripts/sweep/cluster.sh with two one-core workers; returns (process, master url, seconds)."""
    started = time.monotonic()
    p = subprocess.Popen([os.path.join(ROOT, "scripts", "sweep", "cluster.sh"), "--workers", "2",
                          "--cores", "1", "--memory", "1g", "--dir", work],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    for line in p.stdout:
        if line.startswith("master "):
            return p, line.split()[1], time.monotonic() - started
    raise SystemExit("the loopback cluster did not start; see its logs in " + work)


def stop_cluster(p):
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--from", dest="source", help="a finished long-range sweep or run directory")
    ap.add_argument("--skip-cluster", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="seqlab-scale-")
    subprocess.run([SEQLAB, "--version"], check=True, stdout=subprocess.DEVNULL)
    peak = subprocess.run([SEQLAB, "bench", "--model", "peak"], check=True, text=True,
                          capture_output=True).stdout.strip().splitlines()
    print("machine:", os.cpu_count(), "cores;", peak[-1] if peak else "")
    print()

    cluster_args = ["--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executor.memory=512m"]
    results = []
    wall = seqlab(["run"] + SWEEP + ["--jobs", "1"], os.path.join(tmp, "run"))
    results.append(("seqlab run --jobs 1 (no Spark)", 1, wall, None, rows(os.path.join(tmp, "run"))))
    for threads in (1, 2):
        out = os.path.join(tmp, f"local{threads}")
        wall = seqlab(["sweep"] + SWEEP + ["--master", f"local[{threads}]"], out)
        results.append((f"seqlab sweep --master local[{threads}]", threads, wall, session(out),
                        rows(out)))
    cluster_start = None
    if not a.skip_cluster:
        p, url, cluster_start = start_cluster(os.path.join(tmp, "cluster"))
        try:
            out = os.path.join(tmp, "cluster-sweep")
            wall = seqlab(["sweep"] + SWEEP + ["--master", url] + cluster_args, out)
            results.append(("seqlab sweep on 2 workers x 1 core", 2, wall, session(out), rows(out)))
        finally:
            stop_cluster(p)

    reference = sorted((r["run"], r["score"], r["loss"], r["steps"]) for r in results[0][4])
    print(f"A sweep of {len(results[0][4])} runs (long-range, 4 models x 3 distances x 2 seeds,"
          " 1500 steps each, no early stop):")
    print(f"{'':38} {'cores':>5} {'wall':>8} {'Spark up':>9} {'job':>8} {'run-seconds':>12}"
          f" {'speed-up':>9}  same rows")
    base = results[0][2]
    for name, cores, wall, s, rs in results:
        same = sorted((r["run"], r["score"], r["loss"], r["steps"]) for r in rs) == reference
        run_seconds = sum(r["seconds"] for r in rs)
        up = f"{s['context_seconds']:8.1f}s" if s else f"{'-':>9}"
        job = f"{s['job_seconds']:7.1f}s" if s else f"{'-':>8}"
        print(f"{name:38} {cores:5d} {wall:7.1f}s {up} {job} {run_seconds:11.1f}s"
              f" {base / wall:8.2f}x  {'yes' if same else 'NO'}")
    if cluster_start is not None:
        print(f"(starting the loopback cluster itself took {cluster_start:.1f} s, not counted above)")
    print()

    # Spark's overhead per task: 100 one-step runs with and without Spark, one core each.
    plain = os.path.join(tmp, "tiny-run")
    tiny_plain = seqlab(["run"] + TINY + ["--jobs", "1"], plain)
    tiny_sweep_dir = os.path.join(tmp, "tiny-sweep")
    seqlab(["sweep"] + TINY + ["--master", "local[1]"], tiny_sweep_dir)
    s = session(tiny_sweep_dir)
    plain_runs = sum(r["seconds"] for r in rows(plain))
    overhead_local = (s["job_seconds"] - plain_runs) / s["runs_finished"]
    print("Spark's overhead per task (100 one-step runs, one core):")
    print(f"  seqlab run --jobs 1: {tiny_plain:.1f} s wall, {plain_runs:.2f} s in the runs")
    print(f"  seqlab sweep local[1]: job {s['job_seconds']:.2f} s, {s['run_seconds']:.2f} s in the"
          f" runs -> {overhead_local * 1000:.0f} ms per task beyond the run itself")
    overhead_cluster = None
    if not a.skip_cluster:
        p, url, _ = start_cluster(os.path.join(tmp, "cluster2"))
        try:
            d = os.path.join(tmp, "tiny-cluster")
            seqlab(["sweep"] + TINY + ["--master", url] + cluster_args, d)
            c = session(d)
            overhead_cluster = (c["job_seconds"] * c["slots"] - c["run_seconds"]) / c["runs_finished"]
            print(f"  seqlab sweep on the cluster ({c['slots']} slots): job {c['job_seconds']:.2f} s,"
                  f" {c['run_seconds']:.2f} s in the runs -> {overhead_cluster * 1000:.0f} ms per task"
                  " per slot (start-up of each executor's JIT included)")
        finally:
            stop_cluster(p)
    print()

    # The projection.
    source = a.source
    if not source:
        print("(no --from DIR: no projection)")
        shutil.rmtree(tmp, ignore_errors=True)
        return
    full = rows(source)
    by_model = {}
    for r in full:
        by_model.setdefault(r["model"], []).append(r["seconds"])
    mean = {m: sum(v) / len(v) for m, v in by_model.items()}
    longest = max(r["seconds"] for r in full)
    overhead = max(overhead_local, overhead_cluster or 0.0)
    # A fresh executor runs its first tasks slower until its JIT has compiled the kernels: the
    # cluster's run-seconds beyond those of local mode, per executor.
    local1 = sum(r["seconds"] for r in results[1][4])
    warmup = 0.0
    if len(results) > 3:
        warmup = max(0.0, (sum(r["seconds"] for r in results[3][4]) - local1) / 2)
    runs = 4 * 20 * 10
    per_run = sum(mean.values()) / len(mean)
    total = runs * (per_run + overhead)
    up = max(s2["context_seconds"] for _, _, _, s2, _ in results if s2)
    print(f"PROJECTION (not measured): long-range, 4 models x 20 distances x 10 seeds = {runs} runs.")
    print(f"  from {source}: {len(full)} runs, mean run {per_run:.1f} s"
          f" ({', '.join(f'{m} {v:.1f} s' for m, v in sorted(mean.items()))}), longest {longest:.1f} s;"
          f" Spark {overhead * 1000:.0f} ms per task, {up:.1f} s to start, {warmup:.1f} s of"
          " JIT warm-up per executor")
    print(f"  {runs} x ({per_run:.1f} + {overhead:.2f}) s = {total / 3600:.2f} core-hours;"
          " wall = start + warm-up + max(core-seconds / cores, longest run), one task per core,"
          " cores as fast as these:")
    for cores in (1, 2, 8, 64, 512):
        t = up + warmup + max(total / cores, longest + overhead)
        print(f"  {cores:4d} cores: {t / 60:8.1f} min")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
