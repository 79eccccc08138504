"""Exits 0 when the .npz files argv[1] and argv[2] hold the same arrays:
the same names, dtypes, shapes and values (bit for bit)."""

import sys

import numpy as np

actual = np.load(sys.argv[1])
expected = np.load(sys.argv[2])
if sorted(actual.files) != sorted(expected.files):
    sys.exit(f"names differ: {sorted(actual.files)} != "
             f"{sorted(expected.files)}")
for name in expected.files:
    got, want = actual[name], expected[name]
    if got.dtype != want.dtype or got.shape != want.shape:
        sys.exit(f"{name}: {got.dtype}{got.shape} != {want.dtype}{want.shape}")
    if got.tobytes() != want.tobytes():
        sys.exit(f"{name}: values differ: {got} != {want}")
print("same")
