#!/usr/bin/env python3
"""seqlab against PyTorch on this machine, side by side, interleaved.

For each configuration, runs `seqlab bench ... --format json` and the same layer in PyTorch
(forward + backward for train, forward under no_grad for infer), alternating the two for --rounds
rounds so that both see the same machine load, and prints the medians, the seqlab/PyTorch
throughput ratio and GFLOP/s. PyTorch is timed with torch.set_num_threads(1) and with all cores; its
best is used. Its "cores" column is the process CPU time over wall time while it ran: Debian's
PyTorch hands its matrix products to OpenBLAS, whose own threads use every core even under
set_num_threads(1).

Every round also measures the machine's peak (`seqlab bench --model peak`: independent vector FMAs
in registers on all cores, best of 3), and both sides' GFLOP/s are printed as a percentage of the
median peak: on a shared machine what a core gives changes from minute to minute, so the peak is
measured in the same run, not taken from a data sheet.

Run from the repository root:
  /usr/bin/python3 scripts/bench/compare_pytorch.py            # the configurations of BENCHMARKS.md
  /usr/bin/python3 scripts/bench/compare_pytorch.py --quick    # small sizes, a smoke test
  /usr/bin/python3 scripts/bench/compare_pytorch.py --stream   # one step at a time: RecurrentStream
                                                               # (1 thread, and helper threads on all
                                                               # cores) against nn.LSTMCell / GRUCell
  /usr/bin/python3 scripts/bench/compare_pytorch.py --only transformer   # one model's rows

"transformer" is one causal pre-norm block, nn.TransformerEncoderLayer(H, 4, 4H, dropout=0,
activation="gelu", norm_first=True) called with a causal src_mask (so PyTorch takes its general
path, not the inference fast path, which refuses a src_mask). Its FLOPs count the projections and
the causal half of the attention, as `seqlab bench --model transformer` does.

"mingru" is minGRU (Feng et al. 2024) as the public PyTorch implementations write it: one
nn.Linear(H, 2H) for the pre-activations of z and h~, then the log-space parallel scan (Heinsen 2023):
log h_t = a*_t + logcumsumexp(log b_s - a*_s), a*_t = cumsum(log(1 - z)), with
g(x) = x + 0.5 (x >= 0), sigmoid(x) below; the same equations seqlab trains by its chunked scan.
Its FLOPs count the input product only (there is no W_hh), as `seqlab bench --model mingru` does.

"minlstm" is minLSTM (the same paper) likewise: one nn.Linear(H, 3H) for f, i and h~, the
normalised gates in log space, log f' = -softplus(d), log i' = -softplus(-d) with
d = softplus(-k_f) - softplus(-k_i), then the same log-space scan with a*_t = cumsum(log f').
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATES = {"lstm": 4, "gru": 3, "rnn": 1, "mingru": 2, "minlstm": 3}

FULL = [
    # model, hidden, batch, steps, mode
    ("lstm", 256, 64, 100, "train"),
    ("lstm", 512, 64, 50, "train"),
    ("gru", 256, 64, 100, "train"),
    ("gru", 512, 64, 50, "train"),
    ("rnn", 256, 64, 100, "train"),
    ("mingru", 256, 64, 256, "train"),
    ("minlstm", 256, 64, 256, "train"),
    ("lstm", 256, 64, 100, "infer"),
    ("lstm", 512, 64, 50, "infer"),
    ("transformer", 256, 64, 100, "train"),
    ("transformer", 256, 64, 100, "infer"),
]
QUICK = [("lstm", 64, 8, 20, "train"), ("gru", 64, 8, 20, "infer"), ("transformer", 64, 8, 20, "train")]
HEADS = 4  # attention heads of the transformer block; its feed-forward width is 4 * hidden
# Streaming, one step at a time: model, input, hidden, batch, steps per timed run.
STREAM = [("lstm", 64, 128, 1, 1000), ("gru", 64, 128, 1, 1000)]


def flops(model, hidden, batch, steps, mode):
    if model == "transformer":
        d, ff = hidden, 4 * hidden
        per_token = 2 * (3 * d * d + d * d + 2 * d * ff) + 2 * 2 * d * (steps + 1) / 2  # causal half
        forward = per_token * batch * steps
        return 3 * forward if mode == "train" else forward
    recurrent = 0 if model in ("mingru", "minlstm") else hidden  # their gates read the input only
    forward = 2 * GATES[model] * hidden * (hidden + recurrent) * batch * steps
    return 3 * forward if mode == "train" else forward


def run_seqlab(args):
    cmd = [os.path.join(ROOT, "seqlab"), "bench"] + [str(a) for a in args] + ["--format", "json"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def seqlab_once(model, hidden, batch, steps, mode, repeats):
    return run_seqlab(["--model", model, "--hidden", hidden, "--batch", batch, "--steps", steps, "--mode", mode,
                       "--repeats", repeats])["seconds_per_step"]


def peak_once(threads):
    """GFLOP/s of independent vector FMAs on `threads` threads: the machine's limit right now."""
    return run_seqlab(["--model", "peak", "--threads", threads, "--repeats", 3])["gflops"]


def torch_once(model, hidden, batch, steps, mode, repeats, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if model == "transformer":
        return torch_block_once(hidden, batch, steps, mode, repeats)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN, "mingru": MinGRU,
           "minlstm": MinLSTM}[model]
    layer = cls(hidden, hidden, 1)
    x = torch.randn(steps, batch, hidden, requires_grad=(mode == "train"))
    upstream = torch.randn(steps, batch, hidden)

    def step():
        if mode == "train":
            layer.zero_grad(set_to_none=True)
            out, _ = layer(x)
            out.backward(upstream)
        else:
            with torch.no_grad():
                layer(x)

    return timed(step, repeats)


class MinGRU(torch.nn.Module):
    """minGRU over [T, B, I] from h0 = 0, by the log-space scan of the public implementations."""

    def __init__(self, input_size, hidden, layers=1):
        super().__init__()
        assert layers == 1
        self.linear = torch.nn.Linear(input_size, 2 * hidden)

    def forward(self, x):
        kz, kh = self.linear(x).chunk(2, dim=-1)
        log_coeffs = -F.softplus(kz)                       # log(1 - z)
        log_z = -F.softplus(-kz)                           # log z
        log_tilde_h = torch.where(kh >= 0, torch.log(F.relu(kh) + 0.5), -F.softplus(-kh))
        a_star = torch.cumsum(log_coeffs, dim=0)
        log_h = a_star + torch.logcumsumexp(log_z + log_tilde_h - a_star, dim=0)
        return torch.exp(log_h), None


class MinLSTM(torch.nn.Module):
    """minLSTM over [T, B, I] from h0 = 0, by the log-space scan of the public implementations."""

    def __init__(self, input_size, hidden, layers=1):
        super().__init__()
        assert layers == 1
        self.linear = torch.nn.Linear(input_size, 3 * hidden)

    def forward(self, x):
        kf, ki, kh = self.linear(x).chunk(3, dim=-1)
        d = F.softplus(-kf) - F.softplus(-ki)
        log_f = -F.softplus(d)                             # log f' = log f / (f + i)
        log_i = -F.softplus(-d)                            # log i' = log i / (f + i)
        log_tilde_h = torch.where(kh >= 0, torch.log(F.relu(kh) + 0.5), -F.softplus(-kh))
        a_star = torch.cumsum(log_f, dim=0)
        log_h = a_star + torch.logcumsumexp(log_i + log_tilde_h - a_star, dim=0)
        return torch.exp(log_h), None


def torch_block_once(hidden, batch, steps, mode, repeats):
    """Seconds per step of one causal pre-norm nn.TransformerEncoderLayer over [T, B, D]."""
    layer = torch.nn.TransformerEncoderLayer(hidden, HEADS, 4 * hidden, dropout=0.0, activation="gelu",
                                             norm_first=True)
    mask = torch.triu(torch.full((steps, steps), float("-inf")), diagonal=1)
    x = torch.randn(steps, batch, hidden, requires_grad=(mode == "train"))
    upstream = torch.randn(steps, batch, hidden)
    if mode != "train":
        layer.eval()

    def step():
        if mode == "train":
            layer.zero_grad(set_to_none=True)
            layer(x, src_mask=mask).backward(upstream)
        else:
            with torch.no_grad():
                layer(x, src_mask=mask)

    return timed(step, repeats)


def timed(step, repeats):
    """(median seconds of `repeats` calls of step, CPU seconds per wall second while timing), after
    a second of warm-up."""
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        step()
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    cores = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    return statistics.median(times), cores


def seqlab_stream_once(model, input_size, hidden, batch, steps, repeats, threads):
    return run_seqlab(["--model", model, "--input", input_size, "--hidden", hidden, "--batch", batch, "--steps", steps,
                       "--mode", "stream", "--threads", threads, "--repeats", repeats])["microseconds_per_time_step"]


def torch_stream_once(model, input_size, hidden, batch, steps, repeats):
    """Microseconds per step of nn.LSTMCell / nn.GRUCell called once per time step, under no_grad."""
    torch.set_num_threads(1)  # one step is far too small to share; more threads only add hand-offs
    torch.manual_seed(0)
    cell = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[model](input_size, hidden)
    xs = torch.randn(steps, batch, input_size)

    def run():
        with torch.no_grad():
            h = torch.zeros(batch, hidden)
            c = torch.zeros(batch, hidden)
            for t in range(steps):
                if model == "lstm":
                    h, c = cell(xs[t], (h, c))
                else:
                    h = cell(xs[t], h)

    start = time.perf_counter()
    while time.perf_counter() - start < 0.5:
        run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / steps * 1e6


def stream_main(args):
    cores = os.cpu_count()
    print(f"torch {torch.__version__}, {cores} cores, {args.rounds} rounds x median of {args.repeats}; "
          f"PyTorch on 1 thread (its best for one step), seqlab on 1 thread and on {cores}")
    header = (f"{'stream config':<30} {'seqlab us/step 1 thr':>21} {f'{cores} thr':>7} {'PyTorch us/step':>16}"
              f" {'ratio 1 thr':>11} {f'ratio {cores} thr':>11}")
    print(header)
    print("-" * len(header))
    for model, input_size, hidden, batch, steps in STREAM:
        alone, shared, theirs = [], [], []
        for _ in range(args.rounds):
            alone.append(seqlab_stream_once(model, input_size, hidden, batch, steps, args.repeats, 1))
            shared.append(seqlab_stream_once(model, input_size, hidden, batch, steps, args.repeats, cores))
            theirs.append(torch_stream_once(model, input_size, hidden, batch, steps, args.repeats))
        alone_us, shared_us = statistics.median(alone), statistics.median(shared)
        torch_us = statistics.median(theirs)
        name = f"{model} I={input_size} H={hidden} B={batch} (cell)"
        print(f"{name:<30} {alone_us:>21.2f} {shared_us:>7.2f} {torch_us:>16.2f} {torch_us / alone_us:>11.2f}"
              f" {torch_us / shared_us:>11.2f}", flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of seqlab and PyTorch")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per measurement")
    parser.add_argument("--only", choices=sorted(GATES) + ["transformer"],
                        help="run only this model's configurations")
    parser.add_argument("--stream", action="store_true",
                        help="one step at a time: RecurrentStream against nn.LSTMCell / nn.GRUCell")
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON to FILE")
    args = parser.parse_args()
    if args.stream:
        return stream_main(args)
    cores = os.cpu_count()
    print(f"torch {torch.__version__}, {cores} cores, {args.rounds} rounds x median of {args.repeats}; "
          f"peak = seqlab bench --model peak on {cores} threads, median of the rounds")
    header = (f"{'config':<34} {'seqlab tok/s':>13} {'PyTorch tok/s':>14} {'threads':>7} {'cores':>5} {'ratio':>6}"
              f" {'rounds':>11} {'seqlab GFLOP/s':>15} {'% peak':>6} {'PyTorch % peak':>14}")
    print(header)
    print("-" * len(header))
    rows = []
    for model, hidden, batch, steps, mode in (QUICK if args.quick else FULL):
        if args.only and model != args.only:
            continue
        ours, peaks, theirs = [], [], {1: [], cores: []}
        for _ in range(args.rounds):
            peaks.append(peak_once(cores))
            ours.append(seqlab_once(model, hidden, batch, steps, mode, args.repeats))
            for threads in theirs:
                theirs[threads].append(torch_once(model, hidden, batch, steps, mode, args.repeats, threads))
        ours_s = statistics.median(ours)
        peak = statistics.median(peaks)
        best_threads = min(theirs, key=lambda t: statistics.median(s for s, _ in theirs[t]))
        torch_s = statistics.median(s for s, _ in theirs[best_threads])
        torch_cores = statistics.median(c for _, c in theirs[best_threads])
        tokens = batch * steps
        work = flops(model, hidden, batch, steps, mode)
        name = f"{model} {mode} H={hidden} B={batch} T={steps}"
        ours_gflops, torch_gflops = work / ours_s / 1e9, work / torch_s / 1e9
        # each round's own ratio (both sides timed in it): the spread the median hides
        round_ratios = [t / o for o, (t, _) in zip(ours, theirs[best_threads])]
        spread = f"{min(round_ratios):.2f}-{max(round_ratios):.2f}"
        print(f"{name:<34} {tokens / ours_s:>13,.0f} {tokens / torch_s:>14,.0f} {best_threads:>7} {torch_cores:>5.2f}"
              f" {torch_s / ours_s:>6.2f} {spread:>11} {ours_gflops:>15.1f} {100 * ours_gflops / peak:>5.0f}%"
              f" {100 * torch_gflops / peak:>13.0f}%", flush=True)
        rows.append({"model": model, "mode": mode, "hidden": hidden, "batch": batch, "steps": steps,
                     "seqlab_seconds_per_step": ours_s, "pytorch_seconds_per_step": torch_s,
                     "pytorch_threads": best_threads, "pytorch_cores_used": torch_cores,
                     "ratio": torch_s / ours_s, "round_ratios": round_ratios, "seqlab_gflops": ours_gflops, "pytorch_gflops": torch_gflops,
                     "peak_gflops": peak, "peaks_gflops": peaks})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "cores": cores, "rounds": args.rounds, "repeats": args.repeats,
                       "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
