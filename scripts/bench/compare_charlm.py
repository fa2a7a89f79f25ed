#!/usr/bin/env python3
"""Training a character language model: seqlab against PyTorch, side by side, interleaved.

The same model on both sides: an embedding (V -> E), a stacked LSTM (or GRU), a linear head over
the vocabulary, cross entropy over every step, Adam, gradient clipping at 5; batch B, truncated
BPTT over T steps of B contiguous streams of the text with the hidden state carried between windows
(the batching seqlab's char-lm task uses). Rounds alternate `seqlab train --max-steps N` and the same
N steps in PyTorch, so both see the same machine load. Each side's throughput is the median
tokens/s of its steps after the first --skip (JIT and allocator warm-up); seqlab's steps are read
from the run's metrics.csv, PyTorch's are timed here. Every round also measures the machine's vector
FMA peak (`seqlab bench --model peak`), which says how fast a core was at that moment.

PyTorch is timed with torch.set_num_threads(1) and with all cores, and its better setting counts
(Debian's build hands its matrix products to OpenBLAS, whose own threads use every core even at one
torch thread; with torch's threads on top, the two pools fight over the cores). Its "cores" column
is the CPU time over the wall time while it ran. Each side runs in a process of its own under
/usr/bin/time -v, which gives its peak resident memory ("peak RSS": the JVM and its heap; the Python
interpreter, PyTorch and the text as token ids).

Run from the repository root (with Debian's python3-torch):
  /usr/bin/python3 scripts/bench/compare_charlm.py                 # 2 x 256 LSTM, B 64, T 64
  /usr/bin/python3 scripts/bench/compare_charlm.py --rounds 3 --steps 60 --json out.json
  /usr/bin/python3 scripts/bench/compare_charlm.py --quick         # a small smoke test
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEXT = os.path.join(ROOT, "data", "tinyshakespeare.txt")


def batchify(ids, batch):
    """B contiguous streams of the ids: [S, B] with S = (n-1)//B, as seqlab's TextStreams."""
    stream = (len(ids) - 1) // batch
    data = torch.tensor(ids[: stream * batch + 1], dtype=torch.long)
    inputs = data[:-1].reshape(batch, stream).t().contiguous()
    targets = torch.tensor(ids[1 : stream * batch + 1], dtype=torch.long).reshape(batch, stream).t()
    return inputs, targets.contiguous()


class CharLM(torch.nn.Module):
    """seqlab's recurrent language model: dropout on the embedding, between layers, before the head."""

    def __init__(self, vocab, embedding, hidden, layers, kind, dropout):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embedding)
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.rnn = cls(embedding, hidden, layers, dropout=dropout)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state):
        out, state = self.rnn(self.drop(self.embedding(x)), state)
        return self.head(self.drop(out)), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def pytorch_steps(args, ids, vocab, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    model = CharLM(vocab, args.embedding, args.hidden, args.layers, args.model, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    inputs, targets = batchify(ids, args.batch)
    state = None
    times = []
    for step in range(args.steps):
        start = time.perf_counter()
        w = step % (inputs.shape[0] // args.seq_len)
        x = inputs[w * args.seq_len : (w + 1) * args.seq_len]
        y = targets[w * args.seq_len : (w + 1) * args.seq_len]
        if w == 0:
            state = None
        logits, state = model(x, state)
        state = detach(state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        times.append(time.perf_counter() - start)
    tokens = args.batch * args.seq_len
    return [tokens / t for t in times[args.skip :]], float(loss)


def pytorch_best(args, ids, vocab):
    """PyTorch at one torch thread and at all cores: the better median, its threads and cores used."""
    best = None
    for threads in sorted({1, args.threads}):
        cpu, wall = time.process_time(), time.perf_counter()
        rates, loss = pytorch_steps(args, ids, vocab, threads)
        cores = (time.process_time() - cpu) / (time.perf_counter() - wall)
        if best is None or statistics.median(rates) > statistics.median(best[0]):
            best = (rates, loss, threads, cores)
    return best


def peak_rss_mb(stderr):
    """The peak resident set size that /usr/bin/time -v reported, in MB."""
    for line in stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024
    sys.exit("/usr/bin/time -v printed no peak resident set size:\n" + stderr)


def pytorch_child(args):
    """PyTorch's side in a process of its own, for its peak RSS: runs pytorch_best in a child."""
    cmd = ["/usr/bin/time", "-v", sys.executable, os.path.abspath(__file__), "--pytorch-only"]
    for key, value in vars(args).items():
        if key in ("pytorch_only", "quick", "json") or value is None:
            continue
        cmd += ["--" + key.replace("_", "-"), str(value)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the PyTorch child failed:\n{result.stderr}")
    rates, loss, threads, cores = json.loads(result.stdout)
    return rates, loss, threads, cores, peak_rss_mb(result.stderr)


def seqlab_steps(args):
    out = tempfile.mkdtemp(prefix="seqlab-charlm-")
    try:
        cmd = [os.path.join(ROOT, "seqlab"), "train", "--task", "char-lm", "--text", TEXT,
               "--model", args.model, "--layers", str(args.layers), "--hidden", str(args.hidden),
               "--embedding", str(args.embedding), "--batch", str(args.batch),
               "--seq-len", str(args.seq_len), "--lr", str(args.lr), "--clip", "5",
               "--dropout", str(args.dropout), "--schedule", "constant", "--warmup", "0",
               "--max-steps", str(args.steps), "--val-every", "0", "--seed", str(args.seed),
               "--threads", str(args.threads), "--out", os.path.join(out, "run")]
        result = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
        with open(os.path.join(out, "run", "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        rates = [float(r["tokens_per_s"]) for r in rows if r["tokens_per_s"]]
        return rates[args.skip :], float(rows[-1]["train_loss"]), peak_rss_mb(result.stderr)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def peak(threads):
    out = subprocess.run([os.path.join(ROOT, "seqlab"), "bench", "--model", "peak", "--threads",
                          str(threads), "--format", "json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["gflops"]


def flops_per_token(args, vocab):
    """Multiply-adds x 2 x 3 (forward, and backward's two products) of the products per token."""
    gates = 4 if args.model == "lstm" else 3
    macs = gates * args.hidden * (args.embedding + args.hidden)
    macs += (args.layers - 1) * gates * args.hidden * 2 * args.hidden
    macs += vocab * args.hidden
    return 6 * macs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="lstm", choices=["lstm", "gru"])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embedding", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--dropout", type=float, default=0.0, help="on both sides (default 0)")
    p.add_argument("--steps", type=int, default=60, help="training steps per run")
    p.add_argument("--skip", type=int, default=20, help="warm-up steps left out of the median")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--quick", action="store_true", help="1 layer of 32, 20 steps, 1 round")
    p.add_argument("--pytorch-only", action="store_true", help=argparse.SUPPRESS)  # the child
    args = p.parse_args()
    if args.quick:
        args.layers, args.hidden, args.embedding, args.batch, args.seq_len = 1, 32, 16, 8, 16
        args.steps, args.skip, args.rounds = 20, 5, 1
    with open(TEXT, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in text[: len(text) - round(len(text) * 0.1)]]
    if args.pytorch_only:
        print(json.dumps(pytorch_best(args, ids, len(chars))))
        return

    rows = []
    for r in range(args.rounds):
        machine = peak(args.threads)
        ours, our_loss, our_rss = seqlab_steps(args)
        theirs, their_loss, their_threads, their_cores, their_rss = pytorch_child(args)
        row = {"round": r + 1, "peak_gflops": machine,
               "seqlab_tokens_per_s": statistics.median(ours),
               "pytorch_tokens_per_s": statistics.median(theirs),
               "pytorch_threads": their_threads, "pytorch_cores": their_cores,
               "seqlab_last_loss": our_loss, "pytorch_last_loss": their_loss,
               "seqlab_peak_rss_mb": our_rss, "pytorch_peak_rss_mb": their_rss}
        row["ratio"] = row["seqlab_tokens_per_s"] / row["pytorch_tokens_per_s"]
        rows.append(row)
        print(f"round {r + 1}: peak {machine:.0f} GFLOP/s  seqlab {row['seqlab_tokens_per_s']:,.0f}"
              f" tok/s, {our_rss:.0f} MB  PyTorch {row['pytorch_tokens_per_s']:,.0f} tok/s,"
              f" {their_rss:.0f} MB (set_num_threads {their_threads}, {their_cores:.2f} cores)"
              f"  ratio {row['ratio']:.2f}", file=sys.stderr)
    med = lambda k: statistics.median(x[k] for x in rows)  # noqa: E731
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, {args.rounds} round(s) x {args.steps} steps"
          f" (median of steps after the first {args.skip})")
    print(f"char-LM {args.model} {args.layers}x{args.hidden}, embedding {args.embedding}, "
          f"batch {args.batch}, BPTT {args.seq_len}, Adam {args.lr}, clip 5, dropout {args.dropout},"
          f" seqlab on {args.threads} thread(s)")
    per_token = flops_per_token(args, len(chars))
    pk = med('peak_gflops')
    print(f"{'':10}{'tokens/s':>12}{'GFLOP/s':>10}{'% peak':>8}{'last loss':>11}{'peak RSS':>10}")
    for name, side in (("seqlab", "seqlab"), ("PyTorch", "pytorch")):
        key = side + "_tokens_per_s"
        g = med(key) * per_token / 1e9
        rss = ", ".join("%.0f" % x[side + "_peak_rss_mb"] for x in rows)
        print(f"{name:10}{med(key):>12,.0f}{g:>10.1f}{100 * g / pk:>7.0f}%{rows[-1][side + '_last_loss']:>11.3f}"
              f"   {rss} MB")
    ratios = ", ".join("%.2f" % x["ratio"] for x in rows)
    print(f"ratio {med('ratio'):.2f} (rounds: {ratios}); peak {med('peak_gflops'):.0f} GFLOP/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "rounds": rows}, f, indent=2)


if __name__ == "__main__":
    main()
