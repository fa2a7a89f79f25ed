#!/usr/bin/env python3
"""Moves recurrent models between seqlab and PyTorch in both directions and compares their outputs.

1. seqlab -> PyTorch: `seqlab init` writes a checkpoint; torch.nn.{RNN,LSTM,GRU}.load_state_dict
   (strict) loads it; both run the same input and initial state; outputs must agree.
2. PyTorch -> seqlab: a PyTorch-initialised model's state_dict is saved as safetensors without
   seqlab's metadata; `seqlab infer --model KIND` runs it; outputs must agree with PyTorch's.

Each kind both unidirectional over full-length sequences and bidirectional over a ragged batch
(int64 `lengths` in the input file; PyTorch runs it packed with enforce_sorted=False and unpacks
with zero padding).

Run from the repository root:  /usr/bin/python3 scripts/interop/pytorch_roundtrip.py
"""
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KINDS = {"rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}),
         "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"}),
         "lstm": (torch.nn.LSTM, {}),
         "gru": (torch.nn.GRU, {})}
TOLERANCE = 1e-5


def seqlab(*args):
    result = subprocess.run([os.path.join(ROOT, "seqlab"), *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"seqlab {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


def torch_run(module, kind, x, h0, c0, lengths=None):
    with torch.no_grad():
        packed = x if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
            x, lengths, enforce_sorted=False)
        if kind == "lstm":
            out, (h_n, c_n) = module(packed, (h0, c0))
        else:
            (out, h_n), c_n = module(packed, h0), None
        if lengths is not None:
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
        result = {"output": out, "h_n": h_n}
        if c_n is not None:
            result["c_n"] = c_n
        return result


def compare(label, ours, theirs):
    worst = 0.0
    ok = True
    for name, expected in theirs.items():
        diff = (ours[name].double() - expected.double()).abs().max().item()
        worst = max(worst, diff)
        good = diff <= TOLERANCE
        ok &= good
        print(f"  {label:<48} {name:<7} max |diff| = {diff:.2e}  {'OK' if good else 'NOT OK'}")
    return ok


def main():
    torch.manual_seed(1234)
    all_ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for (kind, (cls, extra)), bidirectional in [(k, b) for k in KINDS.items() for b in (False, True)]:
            I, H, L, T, B = 5, 7, 2, 9, 3
            D = 2 if bidirectional else 1
            name = kind + ("_bidirectional" if bidirectional else "")
            extra = dict(extra, bidirectional=bidirectional)
            x = torch.randn(T, B, I)
            h0 = torch.randn(L * D, B, H) * 0.5
            c0 = torch.randn(L * D, B, H) * 0.5
            lengths = torch.tensor([T, 4, 1], dtype=torch.int64) if bidirectional else None
            inputs = {"input": x, "h0": h0}
            if kind == "lstm":
                inputs["c0"] = c0
            if lengths is not None:
                inputs["lengths"] = lengths
            x_path = os.path.join(tmp, f"{name}_x.safetensors")
            safetensors_io.save(x_path, inputs)

            # 1. seqlab writes, PyTorch loads.
            w_path = os.path.join(tmp, f"{name}_seqlab.safetensors")
            seqlab("init", "--model", kind, "--input", str(I), "--hidden", str(H), "--layers", str(L),
                   "--seed", "7", "--output", w_path, *(["--bidirectional"] if bidirectional else []))
            state, meta = safetensors_io.load(w_path)
            module = cls(I, H, L, **extra)
            module.load_state_dict(state, strict=True)
            y_path = os.path.join(tmp, f"{name}_y1.safetensors")
            seqlab("infer", "--weights", w_path, "--input", x_path, "--output", y_path)
            ours, _ = safetensors_io.load(y_path)
            all_ok &= compare(f"{name}: seqlab checkpoint in PyTorch", ours,
                              torch_run(module, kind, x, h0, c0, lengths))

            # 2. PyTorch writes (a bare state_dict, no metadata), seqlab runs it.
            module = cls(I, H, L, **extra)
            p_path = os.path.join(tmp, f"{name}_torch.safetensors")
            safetensors_io.save(p_path, module.state_dict())
            y_path = os.path.join(tmp, f"{name}_y2.safetensors")
            seqlab("infer", "--weights", p_path, "--model", kind, "--input", x_path, "--output", y_path)
            ours, _ = safetensors_io.load(y_path)
            all_ok &= compare(f"{name}: PyTorch state_dict in seqlab", ours,
                              torch_run(module, kind, x, h0, c0, lengths))
    print("all OK" if all_ok else "MISMATCH")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
