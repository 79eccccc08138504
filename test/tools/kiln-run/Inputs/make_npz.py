"""Writes the .npz inputs of the kiln-run tests into the folder argv[1].

np.savez writes stored entries with ZIP64 extra fields; np.savez_compressed
writes deflated ones: the runtime must read both.
"""

import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


a = np.arange(6, dtype=np.float32).reshape(2, 3)
b = 10 * a
np.savez(path("add.npz"), a=a, b=b)
np.savez_compressed(path("add_compressed.npz"), a=a, b=b)
np.savez(path("expected_add.npz"), y=a + b)
big = np.arange(12, dtype=np.float32).reshape(4, 3)
np.savez(path("big.npz"), a=big, b=10 * big)
np.savez(path("add_missing.npz"), a=a)
np.savez(path("add_extra.npz"), a=a, b=b, c=a)
np.savez(path("add_f64.npz"), a=a.astype(np.float64), b=b)
np.savez(path("add_wide.npz"), a=np.zeros((2, 4), np.float32), b=b)

x = np.array([[1, -2, 3], [-4, 5, -6]], dtype=np.float32)
np.savez(path("shapes.npz"), **{"in put": x})
np.savez(path("expected_shapes.npz"), shape=np.array(x.shape, np.int64),
         xt=np.ascontiguousarray(x.T), pos=x > 0)

with open(path("garbage.npz"), "wb") as f:
    f.write(b"this is not a zip archive, only some text" * 3)
