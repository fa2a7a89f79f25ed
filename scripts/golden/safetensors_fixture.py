#!/usr/bin/env python3
"""Writes core/src/test/resources/io/golden.safetensors, a fixture for SafetensorsGoldenTest.

The element bytes come from PyTorch (its own float16/bfloat16 rounding, its own integer layouts);
the header and layout are written by hand with struct and json, following the format description,
so the Java reader is checked against a file that no Java code produced. The `safetensors` package
is not needed.

Layout as the reference writer does it: tensors ordered by element size (largest first), then by
name, so every tensor starts aligned to its element size; compact JSON with __metadata__ first;
header padded with spaces to a multiple of 8 bytes.

Run from the repository root: /usr/bin/python3 scripts/golden/safetensors_fixture.py
"""
import json
import math
import pathlib
import struct

import torch

OUT = pathlib.Path("core/src/test/resources/io/golden.safetensors")

TENSORS = {
    "f32": torch.tensor([[1.5, -2.25, 3.0e-38], [1.0 / 3.0, 1.0e30, -0.0]], dtype=torch.float32),
    "f64": torch.tensor([math.pi, -1.0e300, 5.0e-324], dtype=torch.float64),
    "f16": torch.tensor(
        [0.5, -2.0, 65504.0, 2.0**-14, 2.0**-24, math.inf, -0.0, 1.0 / 3.0], dtype=torch.float32
    ).to(torch.float16),
    "bf16": torch.tensor([1.0 / 3.0, -1.0, 3.0e38, 2.0**-130], dtype=torch.float32).to(torch.bfloat16),
    "i64": torch.tensor([[-(2**63), 2**63 - 1], [0, -1]], dtype=torch.int64),
    "i32": torch.tensor([-(2**31), 2**31 - 1, 7], dtype=torch.int32),
    "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 255, 128], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
    "scalar": torch.tensor(2.5, dtype=torch.float32),
    "empty": torch.zeros(0, 3, dtype=torch.float32),
}

DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}

METADATA = {"format": "pt", "source": "scripts/golden/safetensors_fixture.py"}


def raw_bytes(tensor):
    """Little-endian element bytes (numpy has no bfloat16, so view those as int16 first)."""
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    array = tensor.contiguous().numpy()
    return array.astype(array.dtype.newbyteorder("<")).tobytes()


def main():
    order = sorted(TENSORS, key=lambda name: (-TENSORS[name].element_size(), name))
    header = {"__metadata__": METADATA}
    data = bytearray()
    for name in order:
        tensor = TENSORS[name]
        chunk = raw_bytes(tensor)
        assert len(chunk) == tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [len(data), len(data) + len(chunk)],
        }
        data += chunk
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + bytes(data))
    print(f"wrote {OUT}: {len(order)} tensors, header {len(header_bytes)} bytes, data {len(data)} bytes")


if __name__ == "__main__":
    main()
