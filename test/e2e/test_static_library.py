"""`kilnc --emit=static` makes an archive and a C header that a C program
links with the Kiln runtime; the program binds the model through the
header's symbols and runs it through the runtime's C API. Checked against
onnxruntime on the MLP of the real-model suite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
MODEL = ROOT / "test" / "e2e" / "models" / "mlp-opset17.onnx"

PROGRAM = r"""
#include "mlp.h"
#include "kiln/runtime/kiln_runtime.h"
#include <stdio.h>

int main(void) {
  kiln_module *module = NULL;
  kiln_error *error = NULL;
  if (kiln_module_from_symbols(&kiln_abi_version, kiln_signature_main,
                               kiln_entry_main, &module, &error)) {
    fprintf(stderr, "%s\n", kiln_error_message(error));
    return 1;
  }
  float x[2 * 64];
  for (int i = 0; i < 2 * 64; ++i)
    x[i] = (float)((i % 13) - 6) / 7.0f;
  int64_t dims[2] = {2, 64};
  kiln_tensor *input = NULL, *output = NULL;
  if (kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, x, sizeof x, &input, &error) ||
      kiln_module_run(module, (const kiln_tensor *const *)&input, 1, &output,
                      1, &error)) {
    fprintf(stderr, "%s\n", kiln_error_message(error));
    return 1;
  }
  const float *y = (const float *)kiln_tensor_data(output);
  for (size_t i = 0; i < kiln_tensor_num_elements(output); ++i)
    printf("%.9g\n", y[i]);
  kiln_tensor_destroy(input);
  kiln_tensor_destroy(output);
  kiln_module_unload(module);
  return 0;
}
"""


def test_static_library_links_into_a_c_program(tmp_path):
    archive = tmp_path / "mlp.a"
    done = subprocess.run([str(BUILD / "bin" / "kilnc"), str(MODEL),
                           "--emit=static", "-o", str(archive)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    header = (tmp_path / "mlp.h").read_text()
    assert "void kiln_entry_main(void **args);" in header
    assert "input input f32 2 -1 64" in header
    source = tmp_path / "main.c"
    source.write_text(PROGRAM)
    program = tmp_path / "program"
    done = subprocess.run(
        ["clang++-22", "-x", "c", str(source), "-x", "none",
         f"-I{tmp_path}", f"-I{ROOT / 'runtime' / 'include'}", str(archive),
         str(BUILD / "lib" / "libKilnRuntime.a"), "-lz", "-ldl", "-lm",
         "-o", str(program)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(program)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    got = np.array([float(v) for v in done.stdout.split()], np.float32)
    x = (((np.arange(128) % 13) - 6) / 7.0).astype(np.float32).reshape(2, 64)
    session = ort.InferenceSession(str(MODEL),
                                   providers=["CPUExecutionProvider"])
    want = session.run(None, {"input": x})[0].reshape(-1)
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
