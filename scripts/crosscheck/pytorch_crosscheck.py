#!/usr/bin/env python3
"""seqlab's experiments checked against PyTorch: the same model, task and settings in both.

EXPERIMENTS.md draws conclusions such as "at distance 20 on subject-verb agreement the LSTM learns
and the tanh RNN stays at chance". This script trains, for each check point, the same models with
the same settings twice: once with seqlab (`./seqlab train ...` with every setting given as a flag)
and once with PyTorch (nn.Embedding -> nn.LSTM / nn.GRU / nn.RNN -> nn.Linear, as seqlab's
RecurrentLanguageModel is built), on a numpy re-implementation of seqlab's task generator (the same
distribution, lengths, vocabulary, loss positions and validation-set size; not the same bits). It
then counts, per implementation and model, the seeds that solved the task, and says whether the two
implementations agree.

Check points (settings from `seqlab run NAME --plan`: ModelComparison / Mqar in engine/; each model
at the point of its tuning grid that the published run chose on validation, and the script checks
that the plan holds that point):

  agreement  Subject-verb agreement at distance 20 (`long-range`): LSTM H 40 (lr 1e-3, forget
             bias 3) against a tanh RNN H 78 (lr 1e-3), both about 12k parameters with an
             embedding of 16; batch 32, Adam at a constant rate, clip 1, validation every 50
             steps, goal accuracy 0.99, 3000 steps. 5 seeds.
  adding     The adding problem at T = 100 (`adding`): LSTM H 37 (lr 9e-3, forget bias 1) against
             a tanh RNN H 75 (lr 3e-3), about 6k parameters, reading the two features directly;
             batch 32, clip 1, validation every 50, goal MSE 0.005, a cap of 4000 steps. 3 seeds
             (an LSTM step at T = 100 is the costliest of the script).
  mqar       Multi-query associative recall with 8 pairs (`mqar`): LSTM H 64 against GRU H 64,
             both at lr 3e-3, embedding 16, 64 keys and 64 values; batch 64, clip 1, validation
             every 100, goal accuracy 0.99, 3000 steps. 3 seeds.

A run stops at its goal or at its step cap (no plateau rule). It has solved the task when its
final validation score is an accuracy of at least 0.9, or a mean squared error of at most a tenth
of the baseline's (Summary.LEARNED_ACCURACY, Summary.LOSS_LEARNED). Both implementations use the
seeds a sweep uses (SweepRun.dataSeed / modelSeed with base seed 1): seqlab gets them as --data-seed
and --seed, so its runs follow the experiment's runs step for step; PyTorch seeds its weights and
numpy generator from the same numbers (different draws, the same distribution). Both validate on
the experiments' 256 sequences, and seqlab stops at the goal with `--goal`.

Run from the repository root, under nice (the machine is shared; every process uses one thread):

  nice -n 10 /usr/bin/python3 scripts/crosscheck/pytorch_crosscheck.py --quick   # 1 seed, short caps
  nice -n 10 /usr/bin/python3 scripts/crosscheck/pytorch_crosscheck.py           # the full check
  ... --points agreement,adding --seeds 3 --jobs 1 --out DIR
  ... --report-only [--out DIR]   # no training: recount DIR/result.json, rewrite DIR/report.md

It writes DIR/result.json (every run's numbers, the settings, the torch version, the CPU) and
DIR/report.md (a table per point and one computed sentence each); DIR defaults to
docs/experiments/pytorch-crosscheck (runs/pytorch-crosscheck-quick with --quick).
"""

import argparse
import concurrent.futures
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEQLAB = REPO / "seqlab"

# Summary.LEARNED_ACCURACY and Summary.LOSS_LEARNED
LEARNED_ACCURACY = 0.9
LOSS_LEARNED = 0.1
# the experiments' validation size (`seqlab run NAME --plan`), given to `seqlab train --validation`
VALIDATION = 256
# the sweeps' base seed (Experiments: 1L)
BASE_SEED = 1

MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------------------------------
# Seeds: SweepRun.mix, so that seqlab's runs are the experiment's runs


def _signed(x):
    x &= MASK64
    return x - (1 << 64) if x >= 1 << 63 else x


def _mix(base, index, salt):
    z = (base * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + salt) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return _signed(z ^ (z >> 31))


def data_seed(index):
    """SweepRun.dataSeed: shared by every model at seed index `index`."""
    return _mix(BASE_SEED, index, 0x5EEDDA7A)


def model_seed(index):
    """SweepRun.modelSeed: the initial weights."""
    return _mix(BASE_SEED, index, 0x5EED0DE1)


# ---------------------------------------------------------------------------------------------
# The check points


def model(kind, hidden, lr, forget_bias=None):
    """One model of a point at one point of its experiment's tuning grid (rate, forget bias)."""
    return {"kind": kind, "hidden": hidden, "lr": lr, "forget_bias": forget_bias}


POINTS = {
    "agreement": {
        "experiment": "long-range",
        "task": "agreement",
        "knob": 20,
        "knob_name": "distance",
        "title": "Subject-verb agreement at distance 20",
        "metric": "accuracy",
        "baseline": 0.5,
        "embedding": 16,
        "batch": 32,
        "clip": 1.0,
        "val_every": 50,
        "goal": 0.99,
        "steps": 3000,
        "seeds": 5,
        # each at the point of its grid that the published long-range run chose on validation
        "models": [model("lstm", 40, 1e-3, 3.0), model("rnn", 78, 1e-3)],
        "claim": {"learns": "lstm", "fails": "rnn",
                  "words": "the LSTM (forget bias 3) learns agreement at distance 20 and the tanh"
                           " RNN does not (EXPERIMENTS.md, long-range)"},
    },
    "adding": {
        "experiment": "adding",
        "task": "adding",
        "knob": 100,
        "knob_name": "length",
        "title": "The adding problem at T = 100",
        "metric": "loss",
        "baseline": 1.0 / 6,
        "embedding": None,  # the two features go straight into the recurrent layer
        "batch": 32,
        "clip": 1.0,
        "val_every": 50,
        "goal": 0.005,
        "steps": 4000,
        "seeds": 3,
        # each at the point of its grid that the published adding run chose on validation
        "models": [model("lstm", 37, 9e-3, 1.0), model("rnn", 75, 3e-3)],
        "claim": {"learns": "lstm", "fails": "rnn",
                  "words": "an LSTM solves the adding problem at T = 100 within the cap and a tanh"
                           " RNN does not (the literature: an LSTM falls below the baseline after"
                           " 1-2k steps; Hochreiter & Schmidhuber 1997, Arjovsky et al. 2016)"},
    },
    "mqar": {
        "experiment": "mqar",
        "task": "mqar",
        "knob": 8,
        "knob_name": "pairs",
        "title": "Multi-query associative recall, 8 pairs",
        "metric": "accuracy",
        "baseline": 1.0 / 64,
        "embedding": 16,
        "batch": 64,
        "clip": 1.0,
        "val_every": 100,
        "goal": 0.99,
        "steps": 3000,
        "seeds": 3,
        # the middle of the grid (`--lr`)
        "models": [model("lstm", 64, 3e-3), model("gru", 64, 3e-3)],
        "claim": None,
    },
}

# --quick: one seed, short caps
QUICK_STEPS = {"agreement": 300, "adding": 300, "mqar": 300}

LABELS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def label(m):
    s = f"{LABELS[m['kind']]} H {m['hidden']}, lr {m['lr']:g}"
    if m["forget_bias"] is not None:
        s += f", forget bias {m['forget_bias']:g}"
    return s


def series(m):
    """The model's series in `seqlab run EXPERIMENT --plan`: the model, then its grid point."""
    s = f"{LABELS[m['kind']]} H {m['hidden']} · lr {m['lr']:g}"
    if m["forget_bias"] is not None:
        s += f", forget-bias {m['forget_bias']:g}"
    return s


def solves(point, score):
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return False
    if point["metric"] == "accuracy":
        return score >= LEARNED_ACCURACY
    return score <= LOSS_LEARNED * point["baseline"]


def reaches_goal(point, score):
    if score is None or math.isnan(score):
        return False
    return score >= point["goal"] if point["metric"] == "accuracy" else score <= point["goal"]


# ---------------------------------------------------------------------------------------------
# The tasks in numpy, after core/src/main/java/org/seqlab/tasks/. Batches are time-major [T, B];
# a target of IGNORE is not asked.

IGNORE = -100


class Uniforms:
    """Uniform draws from a numpy generator, taken one at a time from a buffer (fast in Python)."""

    def __init__(self, rng, chunk=8192):
        self.rng = rng
        self.chunk = chunk
        self.buffer = []
        self.at = 0

    def next(self):
        if self.at == len(self.buffer):
            self.buffer = self.rng.random(self.chunk).tolist()
            self.at = 0
        u = self.buffer[self.at]
        self.at += 1
        return u

    def int(self, n):
        """Uniform on 0..n-1."""
        return min(int(self.next() * n), n - 1)

    def coin(self):
        return self.next() < 0.5


class AgreementTask:
    """Agreement.java: `<s> [prefix] the SUBJECT w_1 .. w_{d-1}`, the verb asked at w_{d-1}."""

    NOUNS = 10
    ADJECTIVES = 8
    PREPOSITIONS = 6
    PREFIX_WORDS = 4
    FILLERS = 4
    MAX_PREFIX = 3
    PAD, BOS, THE = 0, 1, 2
    FIRST_SINGULAR = 3
    FIRST_PLURAL = FIRST_SINGULAR + NOUNS
    FIRST_ADJECTIVE = FIRST_PLURAL + NOUNS
    FIRST_PREPOSITION = FIRST_ADJECTIVE + ADJECTIVES
    FIRST_PREFIX = FIRST_PREPOSITION + PREPOSITIONS
    FIRST_FILLER = FIRST_PREFIX + PREFIX_WORDS
    IS = FIRST_FILLER + FILLERS
    ARE = IS + 1
    VOCABULARY = ARE + 1  # 47

    def __init__(self, distance):
        self.distance = distance
        self.vocabulary = self.VOCABULARY
        self.features = 0
        self.outputs = self.VOCABULARY

    @staticmethod
    def _distinct(u, of, count):
        all_ = list(range(of))
        for i in range(count):
            j = i + u.int(of - i)
            all_[i], all_[j] = all_[j], all_[i]
        return all_[:count]

    def _noun(self, u, plural):
        return (self.FIRST_PLURAL if plural else self.FIRST_SINGULAR) + u.int(self.NOUNS)

    def _between(self, u, count):
        if count < 3:
            return [self.FIRST_FILLER + f for f in self._distinct(u, self.FILLERS, count)]
        fewest = (count + 4) // 5
        most = count // 3
        phrases = fewest + u.int(most - fewest + 1)
        adjectives = [0] * phrases
        for _ in range(count - 3 * phrases):
            p = u.int(phrases)
            while adjectives[p] == 2:
                p = u.int(phrases)
            adjectives[p] += 1
        words = []
        for p in range(phrases):
            words.append(self.FIRST_PREPOSITION + u.int(self.PREPOSITIONS))
            words.append(self.THE)
            words.extend(self.FIRST_ADJECTIVE + a
                         for a in self._distinct(u, self.ADJECTIVES, adjectives[p]))
            words.append(self._noun(u, u.coin()))  # an attractor: its own coin
        return words

    def _sentence(self, u, plural):
        words = [self.BOS]
        count = u.int(self.MAX_PREFIX + 1)
        words.extend(self.FIRST_PREFIX + p for p in self._distinct(u, self.PREFIX_WORDS, count))
        words.append(self.THE)
        if plural is None:
            plural = u.coin()
        words.append(self._noun(u, plural))
        words.extend(self._between(u, self.distance - 1))
        return words, self.ARE if plural else self.IS

    def batch(self, rng, sequences, balanced):
        import numpy as np
        u = Uniforms(rng)
        # the validation set alternates singular and plural subjects (Agreement's constructor)
        sentences = [self._sentence(u, (b % 2 == 1) if balanced else None)
                     for b in range(sequences)]
        steps = max(len(w) for w, _ in sentences)
        inputs = np.full((steps, sequences), self.PAD, dtype=np.int64)
        targets = np.full((steps, sequences), IGNORE, dtype=np.int64)
        for b, (words, verb) in enumerate(sentences):
            inputs[: len(words), b] = words
            targets[len(words) - 1, b] = verb
        return inputs, targets


class AddingTask:
    """AddingProblem.java: (value, marker) pairs, the sum of the two marked values at T-1."""

    def __init__(self, length):
        self.length = length
        self.vocabulary = 0
        self.features = 2
        self.outputs = 1

    def batch(self, rng, sequences, balanced):
        import numpy as np
        t = self.length
        half = t // 2
        features = np.zeros((t, sequences, 2), dtype=np.float32)
        features[:, :, 0] = rng.random((t, sequences), dtype=np.float32)
        first = rng.integers(0, half, sequences)
        second = half + rng.integers(0, t - half, sequences)
        b = np.arange(sequences)
        features[first, b, 1] = 1
        features[second, b, 1] = 1
        target = features[first, b, 0] + features[second, b, 0]
        return features, target.astype(np.float32)


class MqarTask:
    """MultiQueryRecall.java: k distinct keys with values, then every key asked once, shuffled."""

    KEYS = 64
    VALUES = 64

    def __init__(self, pairs):
        self.pairs = pairs
        self.vocabulary = self.KEYS + self.VALUES
        self.features = 0
        self.outputs = self.vocabulary

    def batch(self, rng, sequences, balanced):
        import numpy as np
        k = self.pairs
        steps = 4 * k
        b = np.arange(sequences)[:, None]
        keys = np.argsort(rng.random((sequences, self.KEYS)), axis=1)[:, :k]  # distinct, random order
        values = self.KEYS + rng.integers(0, self.VALUES, (sequences, k))
        asked = np.argsort(rng.random((sequences, k)), axis=1)  # every pair once, shuffled
        inputs = np.empty((sequences, steps), dtype=np.int64)
        targets = np.full((sequences, steps), IGNORE, dtype=np.int64)
        inputs[:, 0:2 * k:2] = keys
        inputs[:, 1:2 * k:2] = values
        query_keys = keys[b, asked]
        query_values = values[b, asked]
        inputs[:, 2 * k::2] = query_keys
        inputs[:, 2 * k + 1::2] = query_values
        targets[:, 2 * k::2] = query_values  # the step reading a query's key predicts its value
        return inputs.T.copy(), targets.T.copy()


def make_task(point):
    return {"agreement": AgreementTask, "adding": AddingTask,
            "mqar": MqarTask}[point["task"]](point["knob"])


# ---------------------------------------------------------------------------------------------
# PyTorch: one run, in a worker process of its own (one thread)


def torch_run(spec):
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    point = spec["point"]
    m = spec["model"]
    task = make_task(point)
    seed_data = spec["data_seed"] & MASK64
    torch.manual_seed(spec["model_seed"] & MASK64)

    class Net(nn.Module):
        """RecurrentLanguageModel: embedding (or features) -> one recurrent layer -> linear head."""

        def __init__(self):
            super().__init__()
            h = m["hidden"]
            if task.features:
                self.embedding = None
                width = task.features
            else:
                self.embedding = nn.Embedding(task.vocabulary, point["embedding"])  # N(0, 1)
                width = point["embedding"]
            if m["kind"] == "lstm":
                self.rnn = nn.LSTM(width, h)
            elif m["kind"] == "gru":
                self.rnn = nn.GRU(width, h)
            else:
                self.rnn = nn.RNN(width, h, nonlinearity="tanh")
            self.head = nn.Linear(h, task.outputs)
            if m["forget_bias"] is not None:
                # InitialState / Lstm.setForgetGateBias: b_if = B, b_hf = 0 (gates i, f, g, o)
                with torch.no_grad():
                    self.rnn.bias_ih_l0[h:2 * h] = m["forget_bias"]
                    self.rnn.bias_hh_l0[h:2 * h] = 0

        def forward(self, x):
            if self.embedding is not None:
                x = self.embedding(x)
            out, _ = self.rnn(x)
            return self.head(out)

    net = Net()
    params = sum(p.numel() for p in net.parameters())
    optimizer = torch.optim.Adam(net.parameters(), lr=m["lr"], betas=(0.9, 0.999), eps=1e-8)

    def to_torch(batch):
        x, y = batch
        return torch.from_numpy(x), torch.from_numpy(y)

    def loss_of(out, y, reduction="mean"):
        if task.features:  # the adding problem: the value asked at the last step
            return F.mse_loss(out[-1, :, 0], y, reduction=reduction)
        return F.cross_entropy(out.reshape(-1, task.outputs), y.reshape(-1),
                               ignore_index=IGNORE, reduction=reduction)

    # the validation set: drawn once, apart from every training step, as one batch (the models are
    # causal, so padding after a sentence's end changes nothing)
    val_x, val_y = to_torch(task.batch(np.random.default_rng([seed_data, 1]), VALIDATION, True))

    def validate():
        net.eval()
        with torch.no_grad():
            out = net(val_x)
            loss = loss_of(out, val_y).item()
            if point["metric"] == "loss":
                return loss, loss
            asked = val_y != IGNORE
            correct = (out.argmax(-1)[asked] == val_y[asked]).sum().item()
            return loss, correct / asked.sum().item()

    curve = []
    stop = "cap"
    step = 0
    started = time.perf_counter()
    while step < point["steps"]:
        net.train()
        x, y = to_torch(task.batch(np.random.default_rng([seed_data, 0, step]), point["batch"],
                                   False))
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(net(x), y)
        if not math.isfinite(loss.item()):
            stop = "diverged"
            break
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), point["clip"])  # clip/(norm + 1e-6), as seqlab
        optimizer.step()
        step += 1
        if step % point["val_every"] == 0:
            val_loss, score = validate()
            curve.append([step, val_loss, score])
            if not math.isfinite(val_loss):
                stop = "diverged"
                break
            if reaches_goal(point, score):
                stop = "goal"
                break
    if stop != "diverged" and (not curve or curve[-1][0] != step):
        val_loss, score = validate()
        curve.append([step, val_loss, score])
    seconds = time.perf_counter() - started
    final = curve[-1] if curve and stop != "diverged" else [step, float("nan"), float("nan")]
    return {
        "params": params,
        "stop": stop,
        "steps": step,
        "final_val_loss": final[1],
        "final_score": final[2],
        "seconds": round(seconds, 1),
        "curve": curve,
    }


def torch_command(spec):
    return [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]


def run_torch(spec, log):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    p = subprocess.run(torch_command(spec), cwd=REPO, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"PyTorch worker failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# seqlab: `./seqlab train` with every setting as a flag


def seqlab_command(spec, out_dir):
    point = spec["point"]
    m = spec["model"]
    cmd = [str(SEQLAB), "train",
           "--task", point["task"], "--distance", str(point["knob"]),
           "--model", m["kind"], "--layers", "1", "--hidden", str(m["hidden"])]
    if point["embedding"] is not None:
        cmd += ["--embedding", str(point["embedding"])]
    if m["forget_bias"] is not None:
        cmd += ["--forget-bias", f"{m['forget_bias']:g}"]
    cmd += ["--dropout", "0",
            "--batch", str(point["batch"]),
            "--optimizer", "adam", "--lr", f"{m['lr']:g}",
            "--beta1", "0.9", "--beta2", "0.999", "--eps", "1e-8",
            "--schedule", "constant", "--warmup", "0",
            "--clip", f"{point['clip']:g}",
            "--max-steps", str(point["steps"]),
            "--val-every", str(point["val_every"]),
            "--validation", str(VALIDATION),
            "--goal", f"{point['goal']:g}",
            "--checkpoint-every", str(point["steps"]),
            f"--seed={spec['model_seed']}", f"--data-seed={spec['data_seed']}",
            "--threads", "1",
            "--out", str(out_dir)]
    return cmd


def run_seqlab(spec, work, log):
    point = spec["point"]
    out_dir = Path(work) / f"{point['name']}-{spec['model']['kind']}-seed{spec['seed']}"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cmd = seqlab_command(spec, out_dir)
    started = time.perf_counter()
    # --goal: seqlab stops itself at the first validation that reaches the goal
    p = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    text = p.stdout
    goal_step = None
    found = re.search(r"([\d,]+) parameters", text)
    if found is None:
        raise RuntimeError(f"seqlab train failed ({p.returncode}):\n{text[-3000:]}")
    params = int(found.group(1).replace(",", ""))
    curve = []
    metrics = out_dir / "metrics.csv"
    if metrics.exists():
        header, *rows = metrics.read_text().splitlines()
        names = header.split(",")
        for row in rows:
            r = dict(zip(names, row.split(",")))
            if r.get("val_loss"):
                val_loss = float(r["val_loss"])
                score = float(r["val_score"]) if r.get("val_score") else val_loss
                curve.append([int(r["step"]), val_loss, score])
    for s, _, score in curve:  # the first validation at the goal, where the run stopped
        if reaches_goal(point, score):
            goal_step = s
            break
    diverged = p.returncode == 3  # TrainCommand.EXIT_DIVERGED
    if goal_step is not None:
        curve = [c for c in curve if c[0] <= goal_step]
        stop = "goal"
    elif diverged:
        stop = "diverged"
    else:
        stop = "cap"
    final = curve[-1] if curve and stop != "diverged" else [None, float("nan"), float("nan")]
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "params": params,
        "stop": stop,
        "steps": final[0] if final[0] is not None else 0,
        "final_val_loss": final[1],
        "final_score": final[2],
        "seconds": round(seconds, 1),
        "curve": curve,
        "command": " ".join(["./seqlab"] + [str(c) for c in cmd[1:-2]]) + " --out DIR",
    }


# ---------------------------------------------------------------------------------------------
# The plan, the runs, the report


def check_against_plan(point, log):
    """Compares the settings with `seqlab run EXPERIMENT --plan`; returns the differences."""
    cmd = [str(SEQLAB), "run", point["experiment"], "--plan",
           "--models", ",".join(m["kind"] for m in point["models"]),
           "--distances", str(point["knob"])]
    if point["task"] == "mqar":
        cmd += ["--hidden", ",".join(sorted({str(m["hidden"]) for m in point["models"]}))]
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        return [f"`{' '.join(cmd[1:])}` failed: {p.stdout[-300:]} {p.stderr[-300:]}"]
    text = p.stdout
    ours = {"--batch": point["batch"], "--clip": point["clip"],
            "--val-every": point["val_every"], "--goal": point["goal"],
            "--steps": point["steps"], "--validation": VALIDATION}
    differences = []
    for option, value in ours.items():
        found = re.search(rf"^\s*{re.escape(option)}\s+(\S+)\s*$", text, re.M)
        if found and float(found.group(1)) != float(value):
            differences.append(f"{option}: the experiment has {found.group(1)}, this check {value:g}")
    for m in point["models"]:
        if series(m) not in text:
            differences.append(f"the experiment's plan has no series {series(m)!r}")
    return differences


def machine():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    java = subprocess.run([str(SEQLAB), "--version"], cwd=REPO, capture_output=True, text=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    import numpy
    import torch
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "seqlab": (java.stdout.strip().splitlines() or ["?"])[-1],
        "seqlab_commit": commit.stdout.strip(),
    }


def no_nan(x):
    """x with every NaN as None: result.json is strict JSON."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: no_nan(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [no_nan(v) for v in x]
    return x


def median(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else float("nan")


def summarize(point, runs):
    """Per implementation and model: solved k/n, median steps to goal, median final score."""
    rows = []
    for impl in ("seqlab", "pytorch"):
        for m in point["models"]:
            mine = [r for r in runs if r["impl"] == impl and r["model"] == m["kind"]]
            solved = [r for r in mine if solves(point, r["final_score"])]
            to_goal = [r["steps"] for r in solved if r["stop"] == "goal"]
            rows.append({
                "impl": impl,
                "model": m["kind"],
                "label": label(m),
                "params": sorted({r["params"] for r in mine}),
                "seeds": len(mine),
                "solved": len(solved),
                "at_goal": len([r for r in mine if r["stop"] == "goal"]),
                "capped": len([r for r in mine if r["stop"] == "cap" and r not in solved]),
                "diverged": len([r for r in mine if r["stop"] == "diverged"]),
                "median_steps_to_goal": median(to_goal),
                "median_final_score": median([r["final_score"] for r in mine]),
            })
    return rows


def more(rows, impl, point):
    """Which model solves more seeds in `impl` ("tie" when none does)."""
    a, b = point["models"][0]["kind"], point["models"][1]["kind"]
    sa = next(r for r in rows if r["impl"] == impl and r["model"] == a)
    sb = next(r for r in rows if r["impl"] == impl and r["model"] == b)
    if sa["solved"] == sb["solved"]:
        return "tie", sa, sb
    return (a if sa["solved"] > sb["solved"] else b), sa, sb


def finding(point, rows, runs):
    """One sentence from the counts: do the implementations agree on which model solves more?"""
    a, b = (LABELS[m["kind"]] for m in point["models"])
    parts = []
    winners = {}
    for impl, name in (("seqlab", "seqlab"), ("pytorch", "PyTorch")):
        w, sa, sb = more(rows, impl, point)
        winners[impl] = w
        counts = f"{a} {sa['solved']}/{sa['seeds']}, {b} {sb['solved']}/{sb['seeds']}"
        parts.append(f"in {name} " + (f"{LABELS[w]} solves more seeds" if w != "tie"
                                       else "both solve as many seeds") + f" ({counts})")
    agree = winners["seqlab"] == winners["pytorch"]
    sentence = ("The implementations agree" if agree else "The implementations disagree") + \
        " on which model solves more seeds: " + "; ".join(parts) + "."
    claim = point.get("claim")
    if claim:
        verdicts = []
        for impl, name in (("seqlab", "seqlab"), ("pytorch", "PyTorch")):
            learns = next(r for r in rows if r["impl"] == impl and r["model"] == claim["learns"])
            fails = next(r for r in rows if r["impl"] == impl and r["model"] == claim["fails"])
            holds = 2 * learns["solved"] > learns["seeds"] and 2 * fails["solved"] < fails["seeds"]
            verdicts.append(f"{'holds' if holds else 'does not hold'} in {name}")
        sentence += f" The claim that {claim['words']} " + " and ".join(verdicts) + \
            " (it holds where more than half the seeds of the one and fewer than half of the other" \
            " solved)."
    gaps = []
    pairs = []
    for m in point["models"]:
        s = next(r for r in rows if r["impl"] == "seqlab" and r["model"] == m["kind"])
        t = next(r for r in rows if r["impl"] == "pytorch" and r["model"] == m["kind"])
        pairs.append(f"{LABELS[m['kind']]} {fmt_score(point, s['median_final_score'])} against "
                     f"{fmt_score(point, t['median_final_score'])}")
        gaps.append(abs(s["median_final_score"] - t["median_final_score"]))
    score_name = "accuracy" if point["metric"] == "accuracy" else "MSE"
    sentence += (f" Median final {score_name}, seqlab against PyTorch: " + ", ".join(pairs) +
                 f" (the larger gap {fmt_score(point, max(gaps))}).")
    return sentence


def summarize_point(entry, point, runs):
    """Fills a point's entry of result.json from its runs: counts, parameters, the sentence."""
    rows = summarize(point, runs)
    counts = []
    for m in point["models"]:
        s = sorted({r["params"] for r in runs if r["model"] == m["kind"] and r["impl"] == "seqlab"})
        t = sorted({r["params"] for r in runs if r["model"] == m["kind"] and r["impl"] == "pytorch"})
        counts.append(f"{label(m)}: seqlab {', '.join(map(str, s))}, PyTorch "
                      f"{', '.join(map(str, t))} ({'equal' if s == t else 'DIFFERENT'})")
    entry["summary"] = rows
    entry["parameter_counts"] = counts
    entry["params_sentence"] = "Parameters, seqlab against PyTorch: " + "; ".join(counts) + "."
    entry["finding"] = finding(point, rows, runs)
    entry["runs"] = sorted(runs, key=lambda r: (r["impl"], r["model"], r["seed"]))


def fmt_score(point, x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.3f}" if point["metric"] == "accuracy" else f"{x:.4f}"


def seeds_note(settings):
    """Why a point has fewer seeds than the agreement point's 5, where the defaults set it."""
    if settings.get("seeds_given") or settings.get("quick") or settings["seeds"] >= 5:
        return ""
    return (" (fewer than 5: this point's runs are the costliest, and the whole check is to fit"
            " well inside an hour on a shared 2-core machine)")


def fmt_steps(x):
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:g}"


def report_md(result):
    lines = ["# PyTorch cross-check of seqlab's experiments", ""]
    lines.append(
        "Each point trains the same model on the same task with the same settings in seqlab "
        "(`./seqlab train`, every setting a flag) and in PyTorch (`nn.Embedding` → `nn.LSTM` / "
        "`nn.GRU` / `nn.RNN` → `nn.Linear`, the task generator re-implemented in numpy). Made by "
        "`scripts/crosscheck/pytorch_crosscheck.py`; every number below is computed by it, "
        "the per-seed numbers are in `result.json`.")
    lines.append("")
    env = result["machine"]
    lines.append(f"Machine: {env['cpu']} ({env['cores']} cores, shared); torch {env['torch']}, "
                 f"numpy {env['numpy']}, {env['seqlab']} (commit {env['seqlab_commit'][:10]}); "
                 f"every process on one thread. Run time {result['minutes']:.1f} min"
                 f" ({result['jobs']} runs side by side). Command: `{result['command']}`.")
    lines.append("")
    lines.append(
        f"A run stops at its goal or its step cap (no plateau rule). Solved: a final validation "
        f"accuracy ≥ {LEARNED_ACCURACY:g}, or a mean squared error ≤ {LOSS_LEARNED:g} × the "
        f"baseline's. Steps to goal: the median over the solving runs that stopped at the goal "
        f"(– where none did). Final score: the median over the seeds of the last validation "
        f"({VALIDATION} sequences in both implementations).")
    if result.get("quick"):
        lines += ["", "**--quick: one seed and short caps, a smoke test; nothing here is a result.**"]
    for name, point in result["points"].items():
        settings = point["settings"]
        lines += ["", f"## {name}: {settings['title']}", ""]
        emb = (f"embedding {settings['embedding']}, " if settings["embedding"] is not None
               else "the 2 features read directly, ")
        lines.append(
            f"{emb}batch {settings['batch']}, Adam at each model's rate, constant, clip "
            f"{settings['clip']:g}, validation every {settings['val_every']} steps, goal "
            f"{'accuracy' if settings['metric'] == 'accuracy' else 'MSE'} {settings['goal']:g}, "
            f"cap {settings['steps']} steps, {settings['seeds']} seed"
            f"{'' if settings['seeds'] == 1 else 's'}{seeds_note(settings)}; baseline "
            f"{fmt_score(settings, settings['baseline'])}; settings of `seqlab run "
            f"{settings['experiment']}`" +
            (": same as its plan" if not point["plan_differences"] else
             ", except: " + "; ".join(point["plan_differences"])) + ".")
        if point.get("seqlab_command_example"):
            lines += ["", ("seqlab's run of the first model at seed 0 (the other model changes `--model`, "
                      "`--hidden`, `--forget-bias`; the other seeds `--seed` and `--data-seed`):"), "",
                      f"    {point['seqlab_command_example']}"]
        lines.append("")
        score_name = "accuracy" if settings["metric"] == "accuracy" else "MSE"
        lines.append(f"| implementation | model | params | solved | median steps to goal | "
                     f"median final {score_name} |")
        lines.append("|---|---|---|---|---|---|")
        for r in point["summary"]:
            impl = "seqlab" if r["impl"] == "seqlab" else "PyTorch"
            params = ", ".join(str(p) for p in r["params"])
            lines.append(f"| {impl} | {r['label']} | {params} | {r['solved']}/{r['seeds']} | "
                         f"{fmt_steps(r['median_steps_to_goal'])} | "
                         f"{fmt_score(settings, r['median_final_score'])} |")
        lines.append("")
        lines.append(point["params_sentence"])
        lines.append("")
        lines.append(point["finding"])
    lines += ["", "## What differs between the two implementations", ""]
    lines += [f"- {d}" for d in result["differences"]]
    lines.append("")
    return "\n".join(lines)


DIFFERENCES = [
    "The data: the numpy generators follow the Java tasks' distributions (sentence shapes, "
    "lexemes, attractors, prefix lengths, padding and the verb's position; the marked halves of "
    "the adding problem; MQAR's distinct keys, uniform values and shuffled queries) but draw other "
    "bits; the initial weights are PyTorch's draws from the same seed number, not seqlab's.",
    f"The validation set has {VALIDATION} sequences in both, as in `seqlab run`; agreement's "
    "alternates singular and plural subjects in both.",
    "Both stop at the first validation that reaches the goal (`seqlab train --goal`). Neither "
    "applies the experiments' plateau rule, so a run that does not reach its goal uses its whole "
    "cap.",
    "PyTorch validates the whole validation set as one batch; seqlab in batches of the training "
    "batch size. The models are causal, so padding after a sentence's end changes no prediction.",
    "Everything else is the same by construction: one recurrent layer between an embedding "
    "(N(0, 1)) and a linear head, PyTorch's default U(±1/√H) draws, the LSTM's forget-gate bias "
    "as b_if = B, b_hf = 0, no dropout, Adam (β 0.9, 0.999, ε 1e-8) at a constant rate, global "
    "gradient-norm clipping as clip_grad_norm_ (clip / (norm + 1e-6)), the loss the mean over the "
    "asked positions only, accuracy the argmax over the whole vocabulary at those positions.",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 seed, short caps: a smoke test")
    ap.add_argument("--points", default="agreement,adding,mqar",
                    help="comma-separated: agreement, adding, mqar (default all)")
    ap.add_argument("--seeds", type=int, help="seeds per point (default 5, 3, 3)")
    ap.add_argument("--out", help="output directory (default docs/experiments/pytorch-crosscheck)")
    ap.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    ap.add_argument("--report-only", action="store_true",
                    help="train nothing: recompute the counts and the sentences from the runs in"
                         " DIR/result.json and rewrite DIR/report.md")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        print(json.dumps(torch_run(json.loads(args.worker))))
        return
    if args.report_only:
        out = Path(args.out) if args.out else REPO / "docs/experiments/pytorch-crosscheck"
        result = json.loads((out / "result.json").read_text())
        result["differences"] = DIFFERENCES
        for name, point in result["points"].items():
            # settings this version of the script knows and the file may not hold
            point["settings"] = dict(POINTS.get(name, {}), **point["settings"])
            summarize_point(point, point["settings"], point["runs"])
        (out / "result.json").write_text(json.dumps(no_nan(result), indent=1) + "\n")
        (out / "report.md").write_text(report_md(result))
        print(f"rewrote {out / 'report.md'}")
        return

    if os.nice(0) == 0:
        os.nice(10)  # a shared machine
    names = [p.strip() for p in args.points.split(",") if p.strip()]
    for n in names:
        if n not in POINTS:
            ap.error(f"unknown point {n!r}; choose from {', '.join(POINTS)}")
    out = Path(args.out) if args.out else (
        REPO / ("runs/pytorch-crosscheck-quick" if args.quick else
                "docs/experiments/pytorch-crosscheck"))
    out.mkdir(parents=True, exist_ok=True)

    print("building / checking seqlab ...", flush=True)
    env = machine()  # `./seqlab --version` builds the jar once, before runs start side by side
    print(f"{env['cpu']}, torch {env['torch']}, {env['seqlab']}", flush=True)

    points = {}
    for n in names:
        p = dict(POINTS[n], name=n)
        if args.seeds:
            p["seeds"] = args.seeds
            p["seeds_given"] = True
        p["quick"] = args.quick
        plan_differences = check_against_plan(p, print)
        if args.quick:
            p["seeds"] = 1
            p["steps"] = QUICK_STEPS[n]
        for d in plan_differences:
            print(f"  {n}: differs from `seqlab run {p['experiment']}`: {d}", flush=True)
        points[n] = {"settings": p, "plan_differences": plan_differences}

    specs = []
    for n, pt in points.items():
        p = pt["settings"]
        for seed in range(p["seeds"]):
            for m in p["models"]:
                for impl in ("seqlab", "pytorch"):
                    specs.append({"impl": impl, "point": p, "model": m, "seed": seed,
                                  "data_seed": data_seed(seed), "model_seed": model_seed(seed)})

    # the costliest first, so that the last runs side by side are short ones
    cost = {("adding", "lstm"): 4, ("adding", "rnn"): 2, ("mqar", "lstm"): 3, ("mqar", "gru"): 3,
            ("agreement", "lstm"): 1, ("agreement", "gru"): 1}
    specs.sort(key=lambda s: -cost.get((s["point"]["name"], s["model"]["kind"]), 1)
               * s["point"]["steps"])

    work = tempfile.mkdtemp(prefix="seqlab-crosscheck-")
    started = time.perf_counter()
    lock = threading.Lock()
    done = [0]

    def one(spec):
        r = (run_seqlab(spec, work, print) if spec["impl"] == "seqlab"
             else run_torch(spec, print))
        r.update({"impl": spec["impl"], "point": spec["point"]["name"],
                  "model": spec["model"]["kind"], "label": label(spec["model"]),
                  "seed": spec["seed"], "data_seed": spec["data_seed"],
                  "model_seed": spec["model_seed"]})
        r["solved"] = solves(spec["point"], r["final_score"])
        with lock:
            done[0] += 1
            print(f"[{done[0]}/{len(specs)} {(time.perf_counter() - started) / 60:.1f} min] "
                  f"{r['point']} {r['impl']:7s} {r['label']:26s} seed {r['seed']}: "
                  f"{r['params']} params, {r['stop']} at step {r['steps']}, score "
                  f"{fmt_score(spec['point'], r['final_score'])}, "
                  f"{'solved' if r['solved'] else 'not solved'} ({r['seconds']:.0f} s)", flush=True)
        return r

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = list(pool.map(one, specs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60

    command = "nice -n 10 /usr/bin/python3 scripts/crosscheck/pytorch_crosscheck.py" + \
        "".join(f" {a}" for a in sys.argv[1:])
    result = {"created": datetime.datetime.now().isoformat(timespec="seconds"),
              "command": command, "quick": args.quick, "jobs": args.jobs,
              "minutes": round(minutes, 2), "machine": env, "differences": DIFFERENCES,
              "points": {}}
    for n, pt in points.items():
        p = pt["settings"]
        mine = [r for r in runs if r["point"] == n]
        settings = {k: v for k, v in p.items() if k != "name"}
        settings["validation"] = VALIDATION
        settings["seeds_data"] = [data_seed(i) for i in range(p["seeds"])]
        settings["seeds_model"] = [model_seed(i) for i in range(p["seeds"])]
        seqlab_cmd = next((r["command"] for r in mine if r["impl"] == "seqlab"), None)
        result["points"][n] = {
            "settings": settings,
            "plan_differences": pt["plan_differences"],
            "seqlab_command_example": seqlab_cmd,
        }
        summarize_point(result["points"][n], p, mine)
        for c in result["points"][n]["parameter_counts"]:
            print(f"  {n}: parameters {c}", flush=True)
        print(f"{n}: {result['points'][n]['finding']}", flush=True)
    (out / "result.json").write_text(json.dumps(no_nan(result), indent=1) + "\n")
    (out / "report.md").write_text(report_md(result))
    print(f"wrote {out / 'result.json'} and {out / 'report.md'} ({minutes:.1f} min)", flush=True)


if __name__ == "__main__":
    main()
