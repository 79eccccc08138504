# -*- Python -*-
# lit configuration of Kiln's FileCheck tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "KILN"
# The internal shell: the same behaviour on every lit version.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "unittests", "e2e", "fuzz", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.kiln_tools_dir, config.llvm_tools_dir]
tools = ["kiln-opt", "kiln-run", "kiln-translate", "kilnc"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The virtual environment's Python (with numpy; lit's own %python has none),
# for tests that make or check .npy/.npz files; and the hand-written modules
# of test/unittests/Runtime.
config.substitutions.append(
    ("%kiln_python",
     os.path.join(os.environ.get("KILN_VENV", "/opt/kiln/venv"), "bin",
                  "python")))
config.substitutions.append(
    ("%kiln_test_modules",
     os.path.join(config.kiln_obj_root, "lib", "kiln-test-modules")))
