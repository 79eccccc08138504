//===- parallel.h - The thread pool behind parallel loops ------*- C++ -*-===//
//-*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Compiled modules run their parallel loops through a hook the runtime
// installs (`kiln_set_parallel_hook`, docs/abi.md): the hook splits a
// loop's range into chunks and runs them on a process-wide pool of worker
// threads and on the calling thread. How many threads a loop may use is set
// per run (RunThreadsScope): kiln_module_run sets its module's count on the
// calling thread for the length of the call, so modules with different
// counts can run at the same time; code running on a worker, and compiled
// code entered without kiln_module_run, runs its loops serially.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SRC_PARALLEL_H
#define KILN_RUNTIME_SRC_PARALLEL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::detail {

/// A compiled loop's body over the iterations [begin, end).
using ParallelBody = void (*)(void *context, int64_t begin, int64_t end);

/// Worker threads that run the chunks of parallel loops. Each call brings
/// its own work and runs every chunk no worker took, so a call never waits
/// for a busy pool: calls from several threads, and calls from inside a
/// chunk, always finish. A worker out of work, and a caller waiting for the
/// workers' last chunks, spin for a moment (kSpin in parallel.cpp) before
/// they sleep: a model's parallel loops come in quick succession.
class ThreadPool {
public:
  ThreadPool() = default;
  /// Stops and joins the workers; no call may be running.
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Runs `body(context, b, e)` over chunks that cover [lb, ub) exactly
  /// once, each chunk's bounds `lb` plus a multiple of `step` (or `ub`), on
  /// at most `threads` threads: the caller and up to `threads - 1` workers,
  /// started as needed. Returns when every chunk is done. With `threads` <=
  /// 1, one iteration, or a `step` <= 0, `body` runs once over [lb, ub) on
  /// the caller. Never throws: without workers, the caller runs every chunk.
  void parallelFor(ParallelBody body, void *context, int64_t lb, int64_t ub,
                   int64_t step, int threads) noexcept;

  /// The number of workers started so far.
  int numWorkers();

  /// The pool the hook uses; it lives as long as the process.
  static ThreadPool &global();

private:
  struct Job;
  void ensureWorkers(int count);
  void work();
  /// The first job a worker may join, or null. Needs `mutex`.
  Job *findJob();
  /// Spins until a job is posted after `seen` jobs, the pool stops, or the
  /// spin time is up.
  void spinForJob(uint64_t seen);

  std::mutex mutex;
  /// Signalled when a job is posted or the pool stops.
  std::condition_variable posted;
  /// Signalled when the last worker leaves a job.
  std::condition_variable left;
  std::deque<Job *> jobs;
  std::vector<std::thread> workers;
  /// Workers asleep on `posted`. Guarded by `mutex`.
  int sleepers = 0;
  /// Jobs posted so far, and whether the pool stops; written under `mutex`,
  /// read by spinning workers without it.
  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stopping{false};
};

/// The threads the parallel loops of compiled code running on this thread
/// may use: 1 unless a RunThreadsScope is active.
int currentRunThreads();

/// Sets currentRunThreads() on this thread for its lifetime.
class RunThreadsScope {
public:
  explicit RunThreadsScope(int threads);
  ~RunThreadsScope();
  RunThreadsScope(const RunThreadsScope &) = delete;
  RunThreadsScope &operator=(const RunThreadsScope &) = delete;

private:
  int saved;
};

/// The number of CPUs this process may run on (at least 1).
int availableCPUs();

/// The hook installed in compiled modules: the global pool's parallelFor
/// with currentRunThreads() threads.
void kilnRuntimeParallelHook(ParallelBody body, void *context, int64_t lb,
                             int64_t ub, int64_t step);

/// Installs kilnRuntimeParallelHook through a module's
/// `kiln_set_parallel_hook`; nothing for null.
void installParallelHook(void (*setHook)(void *));

} // namespace kiln::detail

#endif // KILN_RUNTIME_SRC_PARALLEL_H
