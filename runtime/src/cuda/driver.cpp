//===- driver.cpp - Loading the CUDA driver ------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <type_traits>

namespace kiln::cuda {

std::string Driver::describe(CUresult result) const {
  const char *name = nullptr;
  const char *text = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (cuGetErrorString && cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  std::string description =
      name ? std::string(name) : "CUDA error " + std::to_string(result);
  if (text)
    description += " (" + std::string(text) + ")";
  return description;
}

std::string driverPath() {
  const char *path = std::getenv("KILN_CUDA_DRIVER");
  return path && *path ? path : "libcuda.so.1";
}

std::unique_ptr<Driver> openDriver(const std::string &path,
                                   std::string &reason) {
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *error = dlerror();
    reason = "cannot load the CUDA driver '" + path +
             "': " + (error ? error : "dlopen failed");
    return nullptr;
  }
  auto driver = std::make_unique<Driver>();
  driver->library = library;
  driver->path = path;

  std::string missing;
  auto bind = [&](auto &slot, const char *name, bool required = true) {
    void *address = dlsym(library, name);
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(address);
    if (!address && required)
      missing += (missing.empty() ? "" : ", ") + std::string(name);
  };
  Driver &d = *driver;
  bind(d.cuGetErrorName, "cuGetErrorName");
  bind(d.cuGetErrorString, "cuGetErrorString");
  bind(d.cuInit, "cuInit");
  bind(d.cuDeviceGetCount, "cuDeviceGetCount");
  bind(d.cuDeviceGet, "cuDeviceGet");
  bind(d.cuDeviceGetName, "cuDeviceGetName");
  bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  bind(d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
  bind(d.cuCtxSetCurrent, "cuCtxSetCurrent");
  bind(d.cuCtxSynchronize, "cuCtxSynchronize");
  bind(d.cuMemAlloc, "cuMemAlloc_v2");
  bind(d.cuMemAllocManaged, "cuMemAllocManaged");
  bind(d.cuMemFree, "cuMemFree_v2");
  bind(d.cuMemcpyAsync, "cuMemcpyAsync");
  bind(d.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  bind(d.cuMemsetD32Async, "cuMemsetD32Async");
  bind(d.cuMemsetD16Async, "cuMemsetD16Async");
  bind(d.cuMemHostRegister, "cuMemHostRegister_v2");
  bind(d.cuMemHostUnregister, "cuMemHostUnregister");
  bind(d.cuModuleLoadData, "cuModuleLoadData");
  bind(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  bind(d.cuModuleUnload, "cuModuleUnload");
  bind(d.cuModuleGetFunction, "cuModuleGetFunction");
  bind(d.cuFuncSetAttribute, "cuFuncSetAttribute");
  bind(d.cuLaunchKernel, "cuLaunchKernel");
  bind(d.cuLaunchKernelEx, "cuLaunchKernelEx", /*required=*/false);
  bind(d.cuStreamCreate, "cuStreamCreate");
  bind(d.cuStreamDestroy, "cuStreamDestroy_v2");
  bind(d.cuStreamSynchronize, "cuStreamSynchronize");
  bind(d.cuStreamWaitEvent, "cuStreamWaitEvent");
  bind(d.cuEventCreate, "cuEventCreate");
  bind(d.cuEventDestroy, "cuEventDestroy_v2");
  bind(d.cuEventRecord, "cuEventRecord");
  bind(d.cuEventSynchronize, "cuEventSynchronize");
  if (!missing.empty()) {
    reason = "the CUDA driver '" + path + "' lacks " + missing +
             " (a driver for CUDA 12 or later is needed)";
    // Left loaded: unloading a driver is never worth the risk.
    return nullptr;
  }
  return driver;
}

} // namespace kiln::cuda
