#!/usr/bin/python3
"""Golden files for seqlab's float32 layers, computed by PyTorch in float64.

For each of rnn_tanh, rnn_relu, lstm and gru (num_layers=2, T=5, B=3, I=4, H=6), with non-zero h0
(and c0), runs the model and backpropagates the loss

    L = sum(output * dOutput) + sum(h_n * dhN) (+ sum(c_n * dcN) for LSTM)

whose upstream gradients are the fixed random tensors dOutput, dhN, dcN. Weights and inputs are
drawn, rounded to float32 and then computed in float64, so a float32 implementation starts from
exactly the same numbers and differs only by its own rounding. Also a Linear (leading dimensions
[2, 4]) and an Embedding golden.

Every tensor is stored as F64 (ids as I64) in safetensors format, written here with struct and json
so that the script needs only torch. Run from the repository root:

    /usr/bin/python3 scripts/golden/make_recurrent_goldens.py
"""

import json
import os
import struct

import torch

GENERATOR = "scripts/golden/make_recurrent_goldens.py"
OUT_DIR = os.path.join("src", "test", "resources", "golden")
SEQ_LEN, BATCH, INPUT_SIZE, HIDDEN_SIZE, NUM_LAYERS = 5, 3, 4, 6, 2

DTYPES = {torch.float64: ("F64", "<d"), torch.int64: ("I64", "<q")}


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (float64 or int64) and string metadata in safetensors format."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        dtype, fmt = DTYPES[tensor.dtype]
        values = tensor.detach().contiguous().reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(values), fmt[1]), *values)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape),
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


def recurrent_golden(name, seed):
    torch.manual_seed(seed)
    args = dict(input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE, num_layers=NUM_LAYERS)
    if name == "rnn_tanh":
        model = torch.nn.RNN(nonlinearity="tanh", **args)
    elif name == "rnn_relu":
        model = torch.nn.RNN(nonlinearity="relu", **args)
    elif name == "lstm":
        model = torch.nn.LSTM(**args)
    else:
        model = torch.nn.GRU(**args)
    model = model.double()
    with torch.no_grad():
        # Twice PyTorch's default bound, so the nonlinearities work away from their linear part.
        bound = 2.0 / HIDDEN_SIZE ** 0.5
        for p in model.parameters():
            p.copy_(((torch.rand_like(p) * 2 - 1) * bound).float().double())
    lstm = name == "lstm"
    shape = (NUM_LAYERS, BATCH, HIDDEN_SIZE)
    inputs = float32_random(SEQ_LEN, BATCH, INPUT_SIZE).requires_grad_()
    h0 = float32_random(*shape, scale=0.5).requires_grad_()
    c0 = float32_random(*shape, scale=0.5).requires_grad_() if lstm else None
    d_output = float32_random(SEQ_LEN, BATCH, HIDDEN_SIZE)
    dh_n = float32_random(*shape)
    dc_n = float32_random(*shape) if lstm else None

    if lstm:
        output, (h_n, c_n) = model(inputs, (h0, c0))
    else:
        output, h_n = model(inputs, h0)
    loss = (output * d_output).sum() + (h_n * dh_n).sum()
    if lstm:
        loss = loss + (c_n * dc_n).sum()
    loss.backward()

    tensors = {}
    for pname, p in model.named_parameters():
        tensors[pname] = p
    tensors["input"] = inputs
    tensors["h0"] = h0
    if lstm:
        tensors["c0"] = c0
    tensors["output"] = output
    tensors["h_n"] = h_n
    if lstm:
        tensors["c_n"] = c_n
    tensors["dOutput"] = d_output
    tensors["dhN"] = dh_n
    if lstm:
        tensors["dcN"] = dc_n
    for pname, p in model.named_parameters():
        tensors["grad." + pname] = p.grad
    tensors["grad.input"] = inputs.grad
    tensors["grad.h0"] = h0.grad
    if lstm:
        tensors["grad.c0"] = c0.grad
    metadata = dict(model=name, input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE,
                    num_layers=NUM_LAYERS, seq_len=SEQ_LEN, batch_size=BATCH, seed=seed,
                    generator=GENERATOR, torch_version=torch.__version__)
    write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), tensors, metadata)


def linear_golden(seed):
    torch.manual_seed(seed)
    in_features, out_features = 5, 3
    model = torch.nn.Linear(in_features, out_features).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
    inputs = float32_random(2, 4, in_features).requires_grad_()
    d_output = float32_random(2, 4, out_features)
    output = model(inputs)
    (output * d_output).sum().backward()
    tensors = {"weight": model.weight, "bias": model.bias, "input": inputs, "output": output,
               "dOutput": d_output, "grad.weight": model.weight.grad,
               "grad.bias": model.bias.grad, "grad.input": inputs.grad}
    metadata = dict(model="linear", in_features=in_features, out_features=out_features,
                    seed=seed, generator=GENERATOR, torch_version=torch.__version__)
    write_safetensors(os.path.join(OUT_DIR, "linear.safetensors"), tensors, metadata)


def embedding_golden(seed):
    torch.manual_seed(seed)
    num, dim = 7, 3
    model = torch.nn.Embedding(num, dim).double()
    with torch.no_grad():
        model.weight.copy_(model.weight.float().double())
    ids = torch.tensor([[1, 5, 1, 0, 6], [3, 1, 6, 6, 2]], dtype=torch.int64)  # repeats and gaps
    d_output = float32_random(2, 5, dim)
    output = model(ids)
    (output * d_output).sum().backward()
    tensors = {"weight": model.weight, "ids": ids, "output": output, "dOutput": d_output,
               "grad.weight": model.weight.grad}
    metadata = dict(model="embedding", num_embeddings=num, embedding_dim=dim, seed=seed,
                    generator=GENERATOR, torch_version=torch.__version__)
    write_safetensors(os.path.join(OUT_DIR, "embedding.safetensors"), tensors, metadata)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for seed, name in enumerate(["rnn_tanh", "rnn_relu", "lstm", "gru"], start=1):
        recurrent_golden(name, seed)
    linear_golden(11)
    embedding_golden(12)


if __name__ == "__main__":
    main()
