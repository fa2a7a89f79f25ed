#!/usr/bin/python3
"""Writes what the article's two numpy programs print, for the reproduce command's tests.

Both programs are restated here from their description (same draws in the same order, same
arithmetic, same print format), not copied:

  rnn-vanishing  seed 42; W_x = 0.1·randn(32, 10), then W_h = 0.1·randn(32, 32), b = 0, then 50
                 inputs of randn(10). Forward h_t = tanh(W_x x_t + W_h h_{t-1} + b) from h_0 = 0.
                 Backward from g = ones(32): for t = 50 … 1, g = W_hᵀ((1 - h_t²) ⊙ g), print ‖g‖
                 labelled "step t" with a bar of min(40, int(200‖g‖)) blocks.
  lstm-gates     W = 0.1·randn(128, 42) over [x, h] with gate rows i, f, o, g, b = 0; then 20 steps,
                 each drawing x = randn(10); sigmoid(z) = 1/(1 + exp(-clip(z, -20, 20)));
                 c = f⊙c + i⊙g, h = o⊙tanh(c); every 5th step prints the forget gate mean and ‖c‖.
                 The article sets no seed; the files are for seeds 42 and 7.

Run with the system interpreter that has numpy:  /usr/bin/python3 scripts/golden/article_programs.py
"""
import pathlib

import numpy as np


def rnn_vanishing_lines(seed=42, inputs=10, hidden=32, steps=50):
    rng = np.random.RandomState(seed)
    input_weights = 0.1 * rng.randn(hidden, inputs)
    recurrent_weights = 0.1 * rng.randn(hidden, hidden)
    bias = np.zeros(hidden)
    sequence = [rng.randn(inputs) for _ in range(steps)]

    states = []
    state = np.zeros(hidden)
    for x in sequence:
        state = np.tanh(input_weights @ x + recurrent_weights @ state + bias)
        states.append(state)

    upstream = np.ones(hidden)
    lines = ["Gradient norm at each step (most-recent to oldest):"]
    for t in range(steps, 0, -1):
        local_slope = 1.0 - states[t - 1] ** 2
        upstream = recurrent_weights.T @ (local_slope * upstream)
        norm = np.linalg.norm(upstream)
        lines.append(" step %3d: %.6f %s" % (t, norm, "\u2588" * min(40, int(norm * 200))))
    return lines


def lstm_gates_lines(seed, inputs=10, hidden=32, steps=20):
    rng = np.random.RandomState(seed)
    weights = 0.1 * rng.randn(4 * hidden, inputs + hidden)
    bias = np.zeros(4 * hidden)

    def squash(z):
        return 1.0 / (1.0 + np.exp(-np.clip(z, -20, 20)))

    h = np.zeros(hidden)
    c = np.zeros(hidden)
    lines = []
    for t in range(steps):
        x = rng.randn(inputs)
        pre = weights @ np.concatenate([x, h]) + bias
        input_gate, forget_gate, output_gate = (squash(pre[k * hidden:(k + 1) * hidden]) for k in range(3))
        candidate = np.tanh(pre[3 * hidden:])
        c = forget_gate * c + input_gate * candidate
        h = output_gate * np.tanh(c)
        if t % 5 == 0:
            lines.append("Step %2d | forget gate mean: %.3f | cell norm: %.3f"
                         % (t, forget_gate.mean(), np.linalg.norm(c)))
    return lines


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    golden = root / "app/src/test/resources/golden"
    files = {
        "article_rnn_vanishing.txt": rnn_vanishing_lines(),
        "article_lstm_gates_seed42.txt": lstm_gates_lines(42),
        "article_lstm_gates_seed7.txt": lstm_gates_lines(7),
    }
    for name, lines in files.items():
        (golden / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print("wrote", (golden / name).relative_to(root))


if __name__ == "__main__":
    main()
