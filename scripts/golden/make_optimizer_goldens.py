#!/usr/bin/env python3
"""Golden file for Adam and gradient clipping: PyTorch's own optimizer on fixed parameters.

Three steps of torch.optim.Adam(lr=0.01) on two float32 tensors, with fixed gradients given per
step after torch.nn.utils.clip_grad_norm_(max_norm=1.0). Stores the parameters before, the raw
gradients of each step, the clipped-gradient norm PyTorch returns, and the parameters after each step.

Run from the repository root:  /usr/bin/python3 scripts/golden/make_optimizer_goldens.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "test", "resources", "golden", "adam.safetensors")


def main():
    g = torch.Generator().manual_seed(5)
    a = torch.randn(3, 4, generator=g)
    b = torch.randn(5, generator=g)
    params = [torch.nn.Parameter(a.clone()), torch.nn.Parameter(b.clone())]
    opt = torch.optim.Adam(params, lr=0.01)
    tensors = {"a": a, "b": b}
    for step in range(3):
        ga = torch.randn(3, 4, generator=g) * (0.3 if step != 1 else 3.0)  # step 1 gets clipped
        gb = torch.randn(5, generator=g) * (0.3 if step != 1 else 3.0)
        tensors[f"grad{step}.a"], tensors[f"grad{step}.b"] = ga, gb
        params[0].grad, params[1].grad = ga.clone(), gb.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)
        tensors[f"norm{step}"] = norm.reshape(1).double()
        opt.step()
        tensors[f"after{step}.a"] = params[0].detach().clone()
        tensors[f"after{step}.b"] = params[1].detach().clone()
    safetensors_io.save(OUT, tensors, {"generator": "make_optimizer_goldens.py", "torch": torch.__version__})


if __name__ == "__main__":
    main()
