#!/usr/bin/python3
"""Golden files for the training engine, computed by PyTorch.

optimizers.safetensors: four steps of torch.optim.SGD(momentum=0.9, weight_decay=0.01),
Adam(weight_decay=0.01) and AdamW(weight_decay=0.1) on the same two float32 tensors, with fixed
gradients per step and a learning rate that changes every step (as a schedule makes it). Stores the
parameters before, the gradients and rate of every step, and the parameters after every step.

char_lm_lstm.safetensors, char_lm_gru.safetensors: one training step of seqlab's recurrent language
model (embedding -> 2-layer LSTM/GRU -> linear head -> cross entropy over every step), in float64,
with a carried initial state (truncated BPTT: no gradient to it) and inverted dropout on the
embedding, between the layers and before the head. The dropout masks come from uniform draws u
(stored, so the Java test can replay them): an element is kept, scaled by 1/(1-p), where u >= p.
Stores weights, tokens, targets, the draws, the loss, the logits, the final state and every
parameter's gradient.

regression_lstm.safetensors, regression_gru.safetensors: one step of a recurrent model that reads
feature vectors (as the adding problem's two features) straight into nn.LSTM / nn.GRU, a linear
head to one value per step, and the mean squared error over the steps that ask for a value (the
others hold NaN), in float64. Stores weights, features, values, outputs, loss and gradients.

Run from the repository root:  /usr/bin/python3 scripts/golden/make_training_goldens.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "test", "resources", "golden")
GENERATOR = "scripts/golden/make_training_goldens.py"


def optimizers():
    g = torch.Generator().manual_seed(11)
    a = torch.randn(3, 5, generator=g)
    b = torch.randn(4, generator=g)
    tensors = {"a": a, "b": b}
    steps = 4
    rates = [0.05, 0.02, 0.1, 0.01]
    grads = []
    for step in range(steps):
        ga, gb = torch.randn(3, 5, generator=g), torch.randn(4, generator=g)
        grads.append((ga, gb))
        tensors[f"grad{step}.a"], tensors[f"grad{step}.b"] = ga, gb
    tensors["lr"] = torch.tensor(rates, dtype=torch.float64)
    makers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=rates[0], momentum=0.9, weight_decay=0.01),
        "adam": lambda p: torch.optim.Adam(p, lr=rates[0], weight_decay=0.01),
        "adamw": lambda p: torch.optim.AdamW(p, lr=rates[0], weight_decay=0.1),
    }
    for name, make in makers.items():
        params = [torch.nn.Parameter(a.clone()), torch.nn.Parameter(b.clone())]
        opt = make(params)
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = rates[step]
            params[0].grad, params[1].grad = grads[step][0].clone(), grads[step][1].clone()
            opt.step()
            tensors[f"{name}.after{step}.a"] = params[0].detach().clone()
            tensors[f"{name}.after{step}.b"] = params[1].detach().clone()
    safetensors_io.save(os.path.join(OUT, "optimizers.safetensors"), tensors,
                        {"generator": GENERATOR, "torch": torch.__version__})


def f32(t):
    """Rounded to float32, kept as float64: both sides start from the same numbers."""
    return t.float().double()


def char_lm(kind, seed):
    torch.manual_seed(seed)
    V, E, H, L, T, B, p = 7, 5, 6, 2, 4, 3, 0.25
    embedding = torch.nn.Embedding(V, E).double()
    rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(E, H, L).double()
    head = torch.nn.Linear(H, V).double()
    modules = {"embedding.": embedding, "rnn.": rnn, "head.": head}
    with torch.no_grad():
        for m in modules.values():
            for q in m.parameters():
                q.copy_(f32(q))
    tokens = torch.randint(0, V, (T, B))
    targets = torch.randint(0, V, (T, B))
    h0 = f32(torch.randn(L, B, H) * 0.5)
    c0 = f32(torch.randn(L, B, H) * 0.5)
    # The draws, in the order seqlab's model makes them: the embedded input, the dropout between
    # the layers (inside the recurrent stack), then the head's input.
    u_input = torch.rand(T, B, E, dtype=torch.float64)
    u_between = torch.rand(L - 1, T, B, H, dtype=torch.float64)
    u_output = torch.rand(T, B, H, dtype=torch.float64)
    mask = lambda u: (u >= p).double() / (1 - p)  # noqa: E731

    def stack(x, masks_between):
        """The recurrent stack layer by layer (PyTorch's equations), dropout between layers."""
        layer_input, h_n, c_n = x, [], []
        for k in range(L):
            w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
            b_ih, b_hh = getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")
            h, c, outputs = h0[k], c0[k], []
            for t in range(T):
                a = layer_input[t] @ w_ih.T + b_ih
                u = h @ w_hh.T + b_hh
                if kind == "lstm":
                    i, f, g, o = (a + u).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                else:
                    a_r, a_z, a_n = a.chunk(3, dim=1)
                    u_r, u_z, u_n = u.chunk(3, dim=1)
                    r, z = torch.sigmoid(a_r + u_r), torch.sigmoid(a_z + u_z)
                    h = (1 - z) * torch.tanh(a_n + r * u_n) + z * h
                outputs.append(h)
            out = torch.stack(outputs)
            h_n.append(h)
            c_n.append(c)
            layer_input = out * masks_between[k] if k < L - 1 else out
        return layer_input, torch.stack(h_n), torch.stack(c_n)

    # The hand-written stack is PyTorch's own module when no dropout is applied.
    with torch.no_grad():
        ones = [torch.ones(T, B, H, dtype=torch.float64)] * (L - 1)
        mine, mine_h, _ = stack(embedding(tokens), ones)
        if kind == "lstm":
            theirs, (theirs_h, _) = rnn(embedding(tokens), (h0, c0))
        else:
            theirs, theirs_h = rnn(embedding(tokens), h0)
        assert torch.allclose(mine, theirs, atol=1e-12) and torch.allclose(mine_h, theirs_h, atol=1e-12)

    x = embedding(tokens) * mask(u_input)
    layer_input, h_n, c_n = stack(x, [mask(u_between[k]) for k in range(L - 1)])
    logits = head(layer_input * mask(u_output))
    loss = torch.nn.functional.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))
    loss.backward()

    tensors = {}
    for prefix, m in modules.items():
        for name, q in m.named_parameters():
            tensors[prefix + name] = q.detach().clone()
    tensors["tokens"] = tokens
    tensors["targets"] = targets
    tensors["h0"] = h0
    if kind == "lstm":
        tensors["c0"] = c0
    tensors["draws"] = torch.cat([u_input.reshape(-1), u_between.reshape(-1), u_output.reshape(-1)])
    tensors["loss"] = loss.detach().reshape(1)
    tensors["logits"] = logits.detach()
    tensors["h_n"] = h_n.detach()
    if kind == "lstm":
        tensors["c_n"] = c_n.detach()
    for prefix, m in modules.items():
        for name, q in m.named_parameters():
            tensors["grad." + prefix + name] = q.grad.detach().clone()
    safetensors_io.save(os.path.join(OUT, f"char_lm_{kind}.safetensors"), tensors,
                        {"generator": GENERATOR, "torch": torch.__version__, "dropout": str(p)})


def regression(kind, seed):
    torch.manual_seed(seed)
    F, H, T, B = 2, 5, 6, 3
    rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(F, H).double()
    head = torch.nn.Linear(H, 1).double()
    modules = {"rnn.": rnn, "head.": head}
    with torch.no_grad():
        for m in modules.values():
            for q in m.parameters():
                q.copy_(f32(q))
    features = f32(torch.rand(T, B, F, dtype=torch.float64))
    values = torch.full((T, B), float("nan"), dtype=torch.float64)
    values[T - 1] = f32(torch.rand(B, dtype=torch.float64) * 2)
    values[2, 1] = f32(torch.rand(1, dtype=torch.float64))[0]
    outputs = head(rnn(features)[0])
    asked = ~torch.isnan(values)
    loss = torch.nn.functional.mse_loss(outputs[..., 0][asked], values[asked])
    loss.backward()
    tensors = {"features": features, "values": values, "loss": loss.detach().reshape(1),
               "outputs": outputs.detach()}
    for prefix, m in modules.items():
        for name, q in m.named_parameters():
            tensors[prefix + name] = q.detach().clone()
            tensors["grad." + prefix + name] = q.grad.detach().clone()
    safetensors_io.save(os.path.join(OUT, f"regression_{kind}.safetensors"), tensors,
                        {"generator": GENERATOR, "torch": torch.__version__})


if __name__ == "__main__":
    regression("lstm", 5)
    regression("gru", 6)
    optimizers()
    char_lm("lstm", 3)
    char_lm("gru", 4)
