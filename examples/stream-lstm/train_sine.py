#!/usr/bin/env python3
"""Trains the example's LSTM in PyTorch: read sin(0.1 t) one value at a time, predict the next.

Writes lstm.safetensors (the nn.LSTM's state_dict, PyTorch's names), head.safetensors (the
nn.Linear that reads the hidden state) and expected.safetensors (PyTorch's own predictions over the
first 200 steps, which the Java program must reproduce). Run from this folder with
/usr/bin/python3 train_sine.py.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import safetensors_io  # noqa: E402

torch.manual_seed(0)
lstm, head = torch.nn.LSTM(1, 16), torch.nn.Linear(16, 1)
optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-2)
t = torch.arange(0, 400, dtype=torch.float32)
wave = torch.sin(0.1 * t)
for step in range(300):
    start = torch.randint(0, 300, (1,)).item()
    x = wave[start:start + 80].reshape(80, 1, 1)
    target = wave[start + 1:start + 81].reshape(80, 1, 1)
    prediction = head(lstm(x)[0])
    loss = torch.mean((prediction - target) ** 2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"trained: mean squared error {loss.item():.2e} on the last window")

with torch.no_grad():
    expected = head(lstm(wave[:200].reshape(200, 1, 1))[0]).reshape(200)
safetensors_io.save("lstm.safetensors", {k: v.contiguous() for k, v in lstm.state_dict().items()})
safetensors_io.save("head.safetensors", {k: v.contiguous() for k, v in head.state_dict().items()})
safetensors_io.save("expected.safetensors", {"prediction": expected.contiguous()})
