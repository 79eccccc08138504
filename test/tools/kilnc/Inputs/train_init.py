"""train_init.py MODULE KILN_RUN: prints the init file kilnc --train wrote
beside MODULE, then runs one step with KILN_RUN from it and prints what
came back."""

import os
import subprocess
import sys
import tempfile

import numpy as np

module = sys.argv[1]
init = dict(np.load(module + ".init.npz"))
for name, value in init.items():
    print(name, value.dtype, value.shape, value.min(), value.max())

folder = tempfile.mkdtemp()
inputs = dict(init, x=np.ones((2, 4), np.float32),
              label=np.array([0, 2], np.int64))
np.savez(os.path.join(folder, "in.npz"), **inputs)
subprocess.run([sys.argv[2], module, "--inputs",
                os.path.join(folder, "in.npz"), "--outputs",
                os.path.join(folder, "out.npz")], check=True)
out = np.load(os.path.join(folder, "out.npz"))
print("outputs:", " ".join(out.keys()))
print("step after one:", int(out["step"]))
print("parameters moved:", bool(np.any(out["param:w"] != init["param:w"])))

# The forward pass, `eval`, takes the data and the parameters under the
# step's names and returns the model's outputs.
forward = {k: v for k, v in init.items() if k.startswith("param:")}
forward["x"] = np.ones((2, 4), np.float32)
np.savez(os.path.join(folder, "eval.npz"), **forward)
subprocess.run([sys.argv[2], module, "--function", "eval", "--inputs",
                os.path.join(folder, "eval.npz"), "--outputs",
                os.path.join(folder, "eval_out.npz")], check=True)
y = np.load(os.path.join(folder, "eval_out.npz"))["y"]
w, b = init["param:w"], init["param:b"]
print("eval matches:", y.shape, bool(np.allclose(y, np.ones((2, 4)) @ w + b)))
