#!/usr/bin/env python3
"""seqlab's recurrent inference against ONNX Runtime and PyTorch, on the same weights and inputs.

For each configuration, a PyTorch nn.LSTM / nn.GRU is built from a fixed seed, exported with
torch.onnx.export, and its state_dict, an input and PyTorch's own output are written as safetensors.
Then, for each of --rounds rounds, one Java process (the benchmark harness, `mvn -Pbench`) loads the
state_dict into seqlab and the ONNX graph into ONNX Runtime (Java API, --ort-threads intra-op
threads), checks both outputs against PyTorch's before timing anything, warms both up, and times
them alternately, also measuring the machine's vector FMA peak; right after it, PyTorch is timed in
this process (set_num_threads 1 and all cores, its better kept). Medians over the rounds are printed
with the ratios and each side's matrix-product GFLOP/s as a share of the measured peak.

ONNX Runtime is on the class path of the benchmark harness only (the `bench` profile), never in the
product.

Run from the repository root:
  /usr/bin/python3 scripts/bench/compare_onnx.py                 # the configurations of BENCHMARKS.md
  /usr/bin/python3 scripts/bench/compare_onnx.py --quick         # small sizes, a smoke test
  /usr/bin/python3 scripts/bench/compare_onnx.py --stream        # one step per call: RecurrentStream
                                                                 # against one ONNX Runtime call and
                                                                 # nn.LSTMCell / GRUCell per step
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import warnings

import torch

# torch.onnx.export warns about shape inference of constants it folds; the check before timing is
# what says whether the exported graph computes the same thing.
warnings.filterwarnings("ignore")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import compare_pytorch  # noqa: E402  (flops, torch timing)
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JAVA = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"

FULL = [("lstm", 256, 64, 100), ("lstm", 512, 64, 50), ("gru", 256, 64, 100)]
QUICK = [("lstm", 64, 8, 20), ("gru", 64, 8, 20)]
# One step at a time: model, input, hidden, batch, steps per timed run.
STREAM = [("lstm", 64, 128, 1, 1000), ("gru", 64, 128, 1, 1000)]


class OutputOnly(torch.nn.Module):
    """The layer's output sequence alone, as the exported graph's one output."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


def prepare(model, hidden, batch, steps, where):
    torch.manual_seed(0)
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[model](hidden, hidden, 1).eval()
    x = torch.randn(steps, batch, hidden)
    with torch.no_grad():
        y = layer(x)[0]
    torch.onnx.export(OutputOnly(layer), (x,), os.path.join(where, "model.onnx"), input_names=["x"],
                      output_names=["y"], opset_version=14)
    save_case(where, layer, x, y)


def save_case(where, layer, x, y):
    """The layer's state_dict, the input sequence and PyTorch's output over it, for the harness."""
    safetensors_io.save(os.path.join(where, "weights.safetensors"),
                        {k: v.detach().contiguous() for k, v in layer.state_dict().items()})
    safetensors_io.save(os.path.join(where, "input.safetensors"), {"input": x.contiguous()})
    safetensors_io.save(os.path.join(where, "reference.safetensors"), {"output": y.contiguous()})


class OneStep(torch.nn.Module):
    """One time step with its state in and out: the graph a token-by-token service calls."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, h0, c0=None):
        if c0 is None:
            y, h = self.layer(x, h0)
            return y, h
        y, (h, c) = self.layer(x, (h0, c0))
        return y, h, c


def prepare_stream(model, input_size, hidden, batch, steps, where):
    torch.manual_seed(0)
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[model](input_size, hidden, 1).eval()
    xs = torch.randn(steps, batch, input_size)
    with torch.no_grad():
        y = layer(xs)[0]
    one = (torch.zeros(1, batch, input_size), torch.zeros(1, batch, hidden))
    names = ["x", "h0"]
    if model == "lstm":
        one = one + (torch.zeros(1, batch, hidden),)
        names.append("c0")
    torch.onnx.export(OneStep(layer), one, os.path.join(where, "model.onnx"), input_names=names,
                      output_names=["y", "hn", "cn"][: len(names)], opset_version=14)
    save_case(where, layer, xs, y)


def stream_main(args, cp):
    print(f"torch {torch.__version__}, ONNX Runtime 1.22 (Java, 1 intra-op thread, one call per step),"
          f" {args.rounds} rounds x median of {args.repeats}; seqlab's RecurrentStream and PyTorch's cell on 1 thread")
    header = (f"{'stream config':<30} {'seqlab us/step':>15} {'ORT us/step':>12} {'PyTorch us/step':>16}"
              f" {'vs ORT':>7} {'vs PyTorch':>10}  max |diff| seqlab/ORT")
    print(header)
    print("-" * len(header))
    for model, input_size, hidden, batch, steps in STREAM:
        with tempfile.TemporaryDirectory() as where:
            prepare_stream(model, input_size, hidden, batch, steps, where)
            ours, theirs, torch_us, check = [], [], [], None
            for _ in range(args.rounds):
                check, timing = java_round(cp, where, model, args.repeats, args.warmup, 1, stream=True)
                ours.append(timing["seqlab_microseconds_per_step"])
                theirs.append(timing["onnxruntime_microseconds_per_step"])
                torch_us.append(compare_pytorch.torch_stream_once(model, input_size, hidden, batch, steps, args.repeats))
        a, b, c = (statistics.median(v) for v in (ours, theirs, torch_us))
        name = f"{model} I={input_size} H={hidden} B={batch} (step)"
        print(f"{name:<30} {a:>15.2f} {b:>12.2f} {c:>16.2f} {b / a:>7.1f} {c / a:>10.1f}"
              f"  {check['seqlab_max_abs_diff']:.1e} / {check['onnxruntime_max_abs_diff']:.1e}", flush=True)


def classpath():
    """Compiles the benchmark harness and returns its class path."""
    env = dict(os.environ, JAVA_HOME=os.path.dirname(os.path.dirname(JAVA)))
    app = os.path.join(ROOT, "app")
    out = os.path.join(app, "target", "bench.classpath")
    # seqlab-core is installed first, so that the application module resolves it on its own.
    for cmd, where in ((["mvn", "-q", "-B", "-DskipTests", "install"], ROOT),
                       (["mvn", "-q", "-B", "-Pbench", "-DskipTests", "compile"], app),
                       (["mvn", "-q", "-B", "-Pbench", "dependency:build-classpath", f"-Dmdep.outputFile={out}"], app)):
        r = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    with open(out) as f:
        return os.path.join(app, "target", "classes") + os.pathsep + f.read().strip()


def java_round(cp, where, model, repeats, warmup, ort_threads, stream=False):
    cmd = [JAVA, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", cp,
           "org.seqlab.bench.OnnxSideBySide", where, model, "1", str(repeats), str(warmup), str(ort_threads)]
    if stream:
        cmd.append("stream")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return lines[0], lines[1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--warmup", type=float, default=5.0, help="seconds of untimed runs per side per round")
    p.add_argument("--ort-threads", type=int, default=os.cpu_count())
    p.add_argument("--quick", action="store_true")
    p.add_argument("--stream", action="store_true", help="one step at a time, as a token-by-token service")
    args = p.parse_args()
    cores = os.cpu_count()
    cp = classpath()
    if args.stream:
        return stream_main(args, cp)
    print(f"torch {torch.__version__}, ONNX Runtime 1.22 (Java, {args.ort_threads} intra-op threads), {cores} cores,"
          f" {args.rounds} rounds x median of {args.repeats}; peak = vector FMAs on {cores} threads, median of the"
          f" rounds")
    header = (f"{'config':<26} {'seqlab tok/s':>13} {'ORT tok/s':>11} {'PyTorch tok/s':>14} {'vs ORT':>7}"
              f" {'vs PyTorch':>10} {'% peak seqlab':>13} {'ORT':>5} {'PyTorch':>8}  max |diff| seqlab/ORT")
    print(header)
    print("-" * len(header))
    rows = []
    for model, hidden, batch, steps in (QUICK if args.quick else FULL):
        with tempfile.TemporaryDirectory() as where:
            prepare(model, hidden, batch, steps, where)
            ours, theirs, torch_s, peaks, check = [], [], [], [], None
            for _ in range(args.rounds):
                check, timing = java_round(cp, where, model, args.repeats, args.warmup, args.ort_threads)
                ours.append(timing["seqlab_seconds"])
                theirs.append(timing["onnxruntime_seconds"])
                peaks.append(timing["peak_gflops"])
                best = min(compare_pytorch.torch_once(model, hidden, batch, steps, "infer", args.repeats, t)[0]
                           for t in sorted({1, cores}))
                torch_s.append(best)
        a, b, c, peak = (statistics.median(v) for v in (ours, theirs, torch_s, peaks))
        tokens = batch * steps
        gf = compare_pytorch.flops(model, hidden, batch, steps, "infer") / 1e9
        name = f"{model} infer H={hidden} B={batch} T={steps}"
        print(f"{name:<26} {tokens / a:>13,.0f} {tokens / b:>11,.0f} {tokens / c:>14,.0f} {b / a:>7.2f}"
              f" {c / a:>10.2f} {100 * gf / a / peak:>12.0f}% {100 * gf / b / peak:>4.0f}%"
              f" {100 * gf / c / peak:>7.0f}%  {check['seqlab_max_abs_diff']:.1e} / {check['onnxruntime_max_abs_diff']:.1e}",
              flush=True)
        rows.append({"config": name, "seqlab_seconds": ours, "onnxruntime_seconds": theirs, "pytorch_seconds": torch_s,
                     "peaks_gflops": peaks, "check": check})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
