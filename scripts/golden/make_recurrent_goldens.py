#!/usr/bin/python3
"""Golden files for seqlab's float32 layers, computed by PyTorch in float64.

For each of rnn_tanh, rnn_relu, lstm and gru (num_layers=2, T=5, B=3, I=4, H=6), with non-zero h0
(and c0), runs the model and backpropagates the loss

    L = sum(output * dOutput) + sum(h_n * dhN) (+ sum(c_n * dcN) for LSTM)

whose upstream gradients are the fixed random tensors dOutput, dhN, dcN. Weights and inputs are
drawn, rounded to float32 and then computed in float64, so a float32 implementation starts from
exactly the same numbers and differs only by its own rounding. Also a Linear (leading dimensions
[2, 4]) and an Embedding golden.

Bidirectional, variable-length batches: for lstm, gru and rnn_tanh (bidirectional=True,
num_layers=2, T=5, B=4, I=4, H=5) the padded input is packed with
pack_padded_sequence(input, lengths, enforce_sorted=False) for the unsorted lengths [3, 5, 1, 4],
run from non-zero h0 (and c0) [L*2, B, H], and unpacked with pad_packed_sequence (padding 0). dOutput
is random at the padded steps too: a layer must ignore it there, because the padded outputs are
constants. Written to <kind>_bidirectional.safetensors with `lengths` (I64) beside the tensors above.

For `seqlab infer`, PyTorch's own float32 run of a bidirectional 2-layer LSTM and GRU over a
ragged batch: the model's bare state_dict as safetensors.torch.save_file writes it (F32, no
metadata), an input file with `input`, `h0` (`c0`) and `lengths` (I64), and PyTorch's float32
`output`, `h_n` (`c_n`), in app/src/test/resources/interop/.

Every tensor is stored as F64 (ids as I64) in safetensors format, written here with struct and json
so that the script needs only torch. Run from the repository root:

    /usr/bin/python3 scripts/golden/make_recurrent_goldens.py
"""

import json
import os
import struct

import torch

GENERATOR = "scripts/golden/make_recurrent_goldens.py"
OUT_DIR = os.path.join("core", "src", "test", "resources", "golden")
INTEROP_DIR = os.path.join("app", "src", "test", "resources", "interop")
SEQ_LEN, BATCH, INPUT_SIZE, HIDDEN_SIZE, NUM_LAYERS = 5, 3, 4, 6, 2
# Bidirectional, ragged: unsorted lengths, the shortest 1 and the longest T.
PACKED_LENGTHS = [3, 5, 1, 4]
PACKED_HIDDEN_SIZE = 5

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


def write_torch_safetensors(path, tensors):
    """Writes {name: tensor} as safetensors.torch.save_file(tensors, path) would: no __metadata__,
    tensors ordered by dtype (I64 before F32), then by name, compact JSON padded with spaces to a
    multiple of 8 bytes. The safetensors package is not needed."""
    formats = {torch.float32: ("F32", "f", 4), torch.int64: ("I64", "q", 8)}
    order = sorted(tensors, key=lambda n: (-formats[tensors[n].dtype][2], n))
    header, blobs, offset = {}, [], 0
    for name in order:
        tensor = tensors[name]
        dtype, fmt, _ = formats[tensor.dtype]
        values = tensor.detach().contiguous().reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def float32_random(*shape, scale=1.0):
    """Standard normal values times scale, rounded to float32, returned as float64."""
    return (torch.randn(*shape, dtype=torch.float64) * scale).float().double()


def make_model(name, **args):
    if name == "rnn_tanh":
        model = torch.nn.RNN(nonlinearity="tanh", **args)
    elif name == "rnn_relu":
        model = torch.nn.RNN(nonlinearity="relu", **args)
    elif name == "lstm":
        model = torch.nn.LSTM(**args)
    else:
        model = torch.nn.GRU(**args)
    return model


def recurrent_golden(name, seed):
    torch.manual_seed(seed)
    args = dict(input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE, num_layers=NUM_LAYERS)
    model = make_model(name, **args)
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


def run_packed(model, lstm, inputs, lengths, h0, c0):
    """PyTorch's variable-length run: pack (unsorted lengths), run, unpack with padding 0."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(inputs, lengths, enforce_sorted=False)
    if lstm:
        packed_output, (h_n, c_n) = model(packed, (h0, c0))
    else:
        packed_output, h_n = model(packed, h0)
        c_n = None
    output, _ = torch.nn.utils.rnn.pad_packed_sequence(
        packed_output, padding_value=0.0, total_length=inputs.shape[0])
    return output, h_n, c_n


def bidirectional_golden(name, seed):
    torch.manual_seed(seed)
    hidden = PACKED_HIDDEN_SIZE
    batch = len(PACKED_LENGTHS)
    model = make_model(name, input_size=INPUT_SIZE, hidden_size=hidden, num_layers=NUM_LAYERS,
                       bidirectional=True).double()
    with torch.no_grad():
        bound = 2.0 / hidden ** 0.5
        for p in model.parameters():
            p.copy_(((torch.rand_like(p) * 2 - 1) * bound).float().double())
    lstm = name == "lstm"
    shape = (NUM_LAYERS * 2, batch, hidden)
    lengths = torch.tensor(PACKED_LENGTHS, dtype=torch.int64)
    inputs = float32_random(SEQ_LEN, batch, INPUT_SIZE).requires_grad_()
    h0 = float32_random(*shape, scale=0.5).requires_grad_()
    c0 = float32_random(*shape, scale=0.5).requires_grad_() if lstm else None
    d_output = float32_random(SEQ_LEN, batch, 2 * hidden)
    dh_n = float32_random(*shape)
    dc_n = float32_random(*shape) if lstm else None

    output, h_n, c_n = run_packed(model, lstm, inputs, lengths, h0, c0)
    loss = (output * d_output).sum() + (h_n * dh_n).sum()
    if lstm:
        loss = loss + (c_n * dc_n).sum()
    loss.backward()

    tensors = {}
    for pname, p in model.named_parameters():
        tensors[pname] = p
    tensors["input"] = inputs
    tensors["lengths"] = lengths
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
    metadata = dict(model=name, input_size=INPUT_SIZE, hidden_size=hidden,
                    num_layers=NUM_LAYERS, bidirectional="true", seq_len=SEQ_LEN,
                    batch_size=batch, seed=seed, generator=GENERATOR,
                    torch_version=torch.__version__)
    write_safetensors(os.path.join(OUT_DIR, name + "_bidirectional.safetensors"), tensors, metadata)


def interop_fixture(name, seed):
    """PyTorch's float32 inference of a bidirectional 2-layer model over a ragged batch."""
    torch.manual_seed(seed)
    steps, batch, input_size, hidden, layers = 6, 3, 3, 5, 2
    lengths = torch.tensor([4, 6, 2], dtype=torch.int64)
    model = make_model(name, input_size=input_size, hidden_size=hidden, num_layers=layers,
                       bidirectional=True)  # float32, PyTorch's default initialisation
    lstm = name == "lstm"
    inputs = torch.randn(steps, batch, input_size)
    h0 = torch.randn(layers * 2, batch, hidden) * 0.5
    c0 = torch.randn(layers * 2, batch, hidden) * 0.5 if lstm else None
    with torch.no_grad():
        output, h_n, c_n = run_packed(model, lstm, inputs, lengths, h0, c0)
    prefix = os.path.join(INTEROP_DIR, name + "_bidirectional_")
    write_torch_safetensors(prefix + "state_dict.safetensors", dict(model.state_dict()))
    given = {"input": inputs, "h0": h0, "lengths": lengths}
    expected = {"output": output, "h_n": h_n}
    if lstm:
        given["c0"] = c0
        expected["c_n"] = c_n
    write_torch_safetensors(prefix + "input.safetensors", given)
    write_torch_safetensors(prefix + "expected.safetensors", expected)


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
    for seed, name in enumerate(["rnn_tanh", "lstm", "gru"], start=21):
        bidirectional_golden(name, seed)
    os.makedirs(INTEROP_DIR, exist_ok=True)
    interop_fixture("lstm", 31)
    interop_fixture("gru", 32)


if __name__ == "__main__":
    main()
