#!/usr/bin/python3
"""Golden files for seqlab's minGRU and minLSTM layers (Feng et al. 2024, "Were RNNs All We
Needed?"), computed by PyTorch in float64 with the paper's log-space parallel scan.

For each of min_gru and min_lstm (num_layers=2, T=5, B=3, I=4, H=6), with a positive h0, runs the
stack and backpropagates the loss

    L = sum(output * dOutput) + sum(h_n * dhN)

whose upstream gradients are the fixed random tensors dOutput, dhN. Per layer, from the input x
(the layer below's h above layer 0):

    k = x W_ih^T + b_ih, split into G blocks of H   (min_gru: z, h~; min_lstm: f, i, h~)
    min_gru:  log a = -softplus(k_z),  log b = -softplus(-k_z) + log g(k_h)
    min_lstm: d = softplus(-k_f) - softplus(-k_i),
              log a = -softplus(d),    log b = -softplus(-d) + log g(k_h)
    g(x) = x + 0.5 (x >= 0), sigmoid(x) (x < 0)

and h_t = a_t h_{t-1} + b_t by Heinsen's scan, h0 folded in as the term s = -1:

    a*_t = sum_{s<=t} log a_s,   log h_t = a*_t + logcumsumexp_{s<=t}(log b_s - a*_s)

Before writing, the script checks the scan against the plain recurrence in linear space.

Weights and inputs are drawn, rounded to float32 and then computed in float64, so a float32
implementation starts from exactly the same numbers. The parameters are named as in seqlab and
registered in its order: weight_ih_l{k} [G*H, in_k], bias_ih_l{k} [G*H]. Every tensor is stored as
F64 in safetensors format, written with struct and json. Run from the repository root:

    /usr/bin/python3 scripts/golden/make_min_recurrent_goldens.py
"""

import json
import os
import struct

import torch
import torch.nn.functional as F

GENERATOR = "scripts/golden/make_min_recurrent_goldens.py"
OUT_DIR = os.path.join("core", "src", "test", "resources", "golden")
SEQ_LEN, BATCH, INPUT_SIZE, HIDDEN_SIZE, NUM_LAYERS = 5, 3, 4, 6, 2
GATES = {"min_gru": 2, "min_lstm": 3}


def write_safetensors(path, tensors, metadata):
    """Writes {name: float64 tensor} and string metadata in safetensors format."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        values = tensor.detach().contiguous().reshape(-1).tolist()
        blob = struct.pack("<%dd" % len(values), *values)
        header[name] = {"dtype": "F64", "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def float32_random(*shape, scale=1.0):
    """Standard normal values times scale, rounded to float32, returned as float64."""
    return (torch.randn(*shape, dtype=torch.float64) * scale).float().double()


def g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x):
    # relu keeps the branch that torch.where discards finite, so its gradient is 0, not NaN
    return torch.where(x >= 0, (F.relu(x) + 0.5).log(), -F.softplus(-x))


def heinsen_scan(log_a, log_b, log_h0):
    """h_t from log a, log b [T, B, H] and log h0 [B, H], in log space, parallel over time."""
    a_star = F.pad(torch.cumsum(log_a, dim=0), (0, 0, 0, 0, 1, 0))
    log_values = torch.cat([log_h0.unsqueeze(0), log_b], dim=0)
    log_h = a_star + torch.logcumsumexp(log_values - a_star, dim=0)
    return log_h[1:].exp()


def log_coefficients(name, k):
    if name == "min_gru":
        k_z, k_h = k.chunk(2, dim=-1)
        return -F.softplus(k_z), -F.softplus(-k_z) + log_g(k_h)
    k_f, k_i, k_h = k.chunk(3, dim=-1)
    d = F.softplus(-k_f) - F.softplus(-k_i)
    return -F.softplus(d), -F.softplus(-d) + log_g(k_h)


def sequential(name, k, h0):
    """The plain recurrence h_t = a_t h_{t-1} + b_t, straight from the paper's equations."""
    h, out = h0, []
    for k_t in k:
        if name == "min_gru":
            k_z, k_h = k_t.chunk(2, dim=-1)
            z = torch.sigmoid(k_z)
            h = (1 - z) * h + z * g(k_h)
        else:
            k_f, k_i, k_h = k_t.chunk(3, dim=-1)
            f, i = torch.sigmoid(k_f), torch.sigmoid(k_i)
            h = f / (f + i) * h + i / (f + i) * g(k_h)
        out.append(h)
    return torch.stack(out)


class MinRecurrent(torch.nn.Module):
    def __init__(self, name, input_size, hidden_size, num_layers):
        super().__init__()
        self.name = name
        rows = GATES[name] * hidden_size
        for k in range(num_layers):
            inputs = input_size if k == 0 else hidden_size
            self.register_parameter(
                "weight_ih_l%d" % k, torch.nn.Parameter(torch.zeros(rows, inputs, dtype=torch.float64)))
            self.register_parameter(
                "bias_ih_l%d" % k, torch.nn.Parameter(torch.zeros(rows, dtype=torch.float64)))
        self.num_layers = num_layers

    def forward(self, x, h0, scan=True):
        finals = []
        for k in range(self.num_layers):
            pre = x @ getattr(self, "weight_ih_l%d" % k).T + getattr(self, "bias_ih_l%d" % k)
            if scan:
                log_a, log_b = log_coefficients(self.name, pre)
                x = heinsen_scan(log_a, log_b, h0[k].log())
            else:
                x = sequential(self.name, pre, h0[k])
            finals.append(x[-1])
        return x, torch.stack(finals)


def min_recurrent_golden(name, seed):
    torch.manual_seed(seed)
    model = MinRecurrent(name, INPUT_SIZE, HIDDEN_SIZE, NUM_LAYERS)
    with torch.no_grad():
        # Twice PyTorch's default bound, so the gates work away from their linear part.
        bound = 2.0 / HIDDEN_SIZE ** 0.5
        for p in model.parameters():
            p.copy_(((torch.rand_like(p) * 2 - 1) * bound).float().double())
    shape = (NUM_LAYERS, BATCH, HIDDEN_SIZE)
    inputs = float32_random(SEQ_LEN, BATCH, INPUT_SIZE).requires_grad_()
    # log-space h0 must be positive
    h0 = (torch.rand(*shape, dtype=torch.float64) * 0.9 + 0.1).float().double().requires_grad_()
    d_output = float32_random(SEQ_LEN, BATCH, HIDDEN_SIZE)
    dh_n = float32_random(*shape)

    output, h_n = model(inputs, h0)
    with torch.no_grad():
        plain, plain_n = model(inputs, h0, scan=False)
        assert torch.allclose(output, plain, rtol=1e-12, atol=1e-12), "scan != recurrence"
        assert torch.allclose(h_n, plain_n, rtol=1e-12, atol=1e-12), "scan != recurrence"
    loss = (output * d_output).sum() + (h_n * dh_n).sum()
    loss.backward()

    tensors = {}
    for pname, p in model.named_parameters():
        tensors[pname] = p
    tensors["input"] = inputs
    tensors["h0"] = h0
    tensors["output"] = output
    tensors["h_n"] = h_n
    tensors["dOutput"] = d_output
    tensors["dhN"] = dh_n
    for pname, p in model.named_parameters():
        tensors["grad." + pname] = p.grad
    tensors["grad.input"] = inputs.grad
    tensors["grad.h0"] = h0.grad
    metadata = dict(model=name, input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE,
                    num_layers=NUM_LAYERS, seq_len=SEQ_LEN, batch_size=BATCH, seed=seed,
                    generator=GENERATOR, torch_version=torch.__version__)
    write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), tensors, metadata)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for seed, name in enumerate(["min_gru", "min_lstm"], start=41):
        min_recurrent_golden(name, seed)


if __name__ == "__main__":
    main()
