#!/usr/bin/python3
"""Writes the golden values NumpyRandomTest compares bit for bit with org.seqlab.tensor.NumpyRandom.

For each seed, one np.random.RandomState runs a fixed list of calls in order, so the file also
pins down how the calls share the stream: a Gaussian cached by an odd-length randn survives a
rand() in between, a randint with an empty range draws nothing, 32-bit ranges draw one word per
try and wider ranges two.

Run with the system interpreter that has numpy:  /usr/bin/python3 scripts/golden/numpy_random.py
"""
import json
import pathlib

import numpy as np

SEEDS = [0, 1, 42, 2**32 - 1]

# (method, arguments, size). size None means the scalar form of the call.
CALLS = [
    ("randint", [0, 2**32], 20),  # range of exactly 2**32 values: the raw 32-bit words
    ("rand", [], 10),
    ("randn", [], 7),  # odd: leaves the second value of a polar pair cached
    ("rand", [], 3),  # uniform draws must not disturb the cached Gaussian
    ("randn", [], 5),
    ("randn", [], 988),  # 7 + 5 + 988 = 1000 Gaussians in all
    ("randint", [0, 10], 20),  # small range, mask 15 rejects 10..15
    ("randint", [0, 16], 20),  # power of two: no rejection
    ("randint", [0, 2**31], 20),
    ("randint", [0, 2**31 + 1], 20),  # mask 2**32-1, rejects about half
    ("randint", [0, 2**32 + 1], 20),  # just past 32 bits: 64-bit draws
    ("randint", [0, 2**40], 20),
    ("randint", [-5, 5], 20),  # negative low
    ("randint", [-(2**40), 2**35], 10),
    ("randint", [-(2**63), 2**63 - 1], 10),  # widest range the int64 form accepts
    ("randint", [3, 4], 5),  # a single value: no draw at all
    ("randint", [0, 7], None),
    ("randn", [], 3),
    ("uniform", [-2.0, 3.0], None),
    ("uniform", [10.0, 10.5], None),
    ("rand", [], 5),
]


def run(seed):
    rs = np.random.RandomState(seed)
    records = []
    for method, args, size in CALLS:
        if method == "randint":
            got = rs.randint(args[0], args[1], size=size)  # default dtype: int64 on this platform
            values = [int(v) for v in np.atleast_1d(got)]
        elif method == "rand":
            values = [float(v) for v in rs.rand(size)]
        elif method == "randn":
            values = [float(v) for v in rs.randn(size)]
        elif method == "uniform":
            values = [float(rs.uniform(args[0], args[1]))]
        else:
            raise ValueError(method)
        records.append({"method": method, "args": args, "size": size, "values": values})
    return {"seed": seed, "calls": records}


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    out = root / "core/src/test/resources/golden/numpy_random.json"
    doc = {
        "generator": "numpy.random.RandomState (legacy MT19937), numpy " + np.__version__,
        "seeds": [run(s) for s in SEEDS],
    }
    # json writes floats with repr: the shortest decimal that reads back as the same double.
    # One call per line keeps the file small and its diffs readable.
    lines = ["{", ' "generator": ' + json.dumps(doc["generator"]) + ",", ' "seeds": [']
    for i, entry in enumerate(doc["seeds"]):
        lines.append('  {"seed": %d, "calls": [' % entry["seed"])
        calls = [json.dumps(c) for c in entry["calls"]]
        lines.extend("   " + c + ("," if j < len(calls) - 1 else "") for j, c in enumerate(calls))
        lines.append("  ]}" + ("," if i < len(doc["seeds"]) - 1 else ""))
    lines += [" ]", "}"]
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    out.write_text(text)
    print("wrote", out.relative_to(root))


if __name__ == "__main__":
    main()
