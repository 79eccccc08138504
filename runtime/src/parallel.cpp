//===- parallel.cpp - The thread pool behind compiled parallel loops ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "parallel.h"

#include <sched.h>

#include <algorithm>
#include <chrono>

using namespace kiln::detail;

namespace {

/// Chunks per thread: more than one, so that a thread the machine delays
/// leaves its share to the others. ResNet-18 at 2 threads ran 2% faster
/// with 8 than with 4.
constexpr int64_t kChunksPerThread = 8;

/// The most workers the pool starts.
constexpr int kMaxWorkers = 255;

/// How long a worker out of work, or a caller waiting for the workers,
/// spins before it sleeps: waking a sleeping thread costs tens of
/// microseconds, as much as a small loop. The serial stretches between a
/// model's parallel loops last up to a millisecond or so: 2 ms of spinning
/// keeps the workers awake through a whole run (MobileNetV2 at 2 threads
/// measured 7.2 ms with 100 us, 6.6 ms with 2 ms), and costs at most 2 ms
/// of one CPU per worker once the runs stop.
constexpr std::chrono::microseconds kSpin(2000);

/// Spins until `done()` or kSpin has passed; returns `done()`.
template <typename Done> bool spinUntil(Done done) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1;; ++i) {
    if (done())
      return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline)
      return done();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

thread_local int runThreads = 1;

} // namespace

/// One call of parallelFor: its chunks, split into one contiguous range per
/// thread that may take part (a slot: the caller's is 0, each worker that
/// joins takes the next). A thread runs its own range from the front, then
/// takes the chunks still left in the others' from their back. Two loops in
/// a row over the same range then give each thread the same iterations when
/// none is delayed, so that a thread reads what it wrote itself, in its own
/// core's cache; a delayed thread leaves its chunks to the others. Lives on
/// the caller's stack; the caller leaves only once no worker is in it.
struct ThreadPool::Job {
  ParallelBody body;
  void *context;
  int64_t lb, ub, step;
  /// The loop's iterations, and the chunks they are split into: the first
  /// `iterations % numChunks` chunks take one iteration more than the others,
  /// so that 14 iterations in 8 chunks are 6 chunks of 2 and 2 of 1, which
  /// two threads share 7 and 7, where chunks of 2 and a last one of 0 would
  /// leave them 8 and 6.
  int64_t iterations, numChunks;
  /// Each slot's chunks not yet claimed, [front, back), as front << 32 |
  /// back; chunks number at most kChunksPerThread * (kMaxWorkers + 1).
  std::atomic<uint64_t> ranges[kMaxWorkers + 1];
  /// Threads in the job, the caller included, and the most it takes: the
  /// slots. Guarded by the pool's mutex.
  int participants = 1, maxParticipants;
  /// Workers in the job: they join under the pool's mutex, and leave by
  /// decrementing it, their last touch of the job.
  std::atomic<int> attached{0};

  /// Splits the chunks between `slots` threads.
  void split(int slots) {
    maxParticipants = slots;
    for (int slot = 0; slot < slots; ++slot)
      ranges[slot].store(uint64_t(evenStart(slot, numChunks, slots)) << 32 |
                             uint64_t(evenStart(slot + 1, numChunks, slots)),
                         std::memory_order_relaxed);
  }

  /// The first of `total` items that part `part` of `parts` even parts
  /// starts at; never above total.
  static int64_t evenStart(int64_t part, int64_t total, int64_t parts) {
    return part * (total / parts) + std::min(part, total % parts);
  }

  bool exhausted() const {
    for (int slot = 0; slot < maxParticipants; ++slot) {
      uint64_t range = ranges[slot].load(std::memory_order_relaxed);
      if ((range >> 32) < (range & 0xffffffff))
        return false;
    }
    return true;
  }

  /// Claims the front chunk of `slot`'s range (`front`), or its back one;
  /// -1 when the range is empty.
  int64_t claim(int slot, bool front) {
    uint64_t range = ranges[slot].load(std::memory_order_relaxed);
    for (;;) {
      uint64_t first = range >> 32, end = range & 0xffffffff;
      if (first >= end)
        return -1;
      uint64_t claimed =
          front ? (first + 1) << 32 | end : first << 32 | (end - 1);
      if (ranges[slot].compare_exchange_weak(range, claimed,
                                             std::memory_order_relaxed))
        return static_cast<int64_t>(front ? first : end - 1);
    }
  }

  /// Runs chunks until none is left: `slot`'s own, then the others'.
  void run(int slot) {
    for (int i = 0; i < maxParticipants; ++i) {
      int victim = (slot + i) % maxParticipants;
      for (int64_t chunk; (chunk = claim(victim, i == 0)) >= 0;) {
        // No overflow: a chunk's start is at most iterations, so the offset
        // is below ub - lb + step.
        int64_t begin = lb + evenStart(chunk, iterations, numChunks) * step;
        int64_t end =
            chunk + 1 == numChunks
                ? ub
                : lb + evenStart(chunk + 1, iterations, numChunks) * step;
        body(context, begin, end);
      }
    }
  }
};

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true);
  }
  posted.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

ThreadPool &ThreadPool::global() {
  // Never destroyed: workers may still wait on it while the process exits.
  static ThreadPool *pool = new ThreadPool;
  return *pool;
}

int ThreadPool::numWorkers() {
  std::lock_guard<std::mutex> lock(mutex);
  return static_cast<int>(workers.size());
}

void ThreadPool::ensureWorkers(int count) {
  count = std::min(count, kMaxWorkers);
  std::lock_guard<std::mutex> lock(mutex);
  try {
    while (static_cast<int>(workers.size()) < count)
      workers.emplace_back([this] { work(); });
  } catch (...) {
    // Fewer workers: the callers run more chunks themselves.
  }
}

ThreadPool::Job *ThreadPool::findJob() {
  for (Job *job : jobs)
    if (!job->exhausted() && job->participants < job->maxParticipants)
      return job;
  return nullptr;
}

void ThreadPool::spinForJob(uint64_t seen) {
  spinUntil([&] {
    return generation.load(std::memory_order_acquire) != seen ||
           stopping.load(std::memory_order_relaxed);
  });
}

void ThreadPool::work() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    if (stopping.load())
      return;
    Job *job = findJob();
    if (!job) {
      uint64_t seen = generation.load();
      lock.unlock();
      spinForJob(seen);
      lock.lock();
      job = findJob();
    }
    if (!job) {
      ++sleepers;
      posted.wait(lock, [&] { return stopping.load() || (job = findJob()); });
      --sleepers;
      if (stopping.load())
        return;
    }
    int slot = job->participants++;
    job->attached.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    job->run(slot);
    bool last = job->attached.fetch_sub(1, std::memory_order_acq_rel) == 1;
    lock.lock();
    if (last)
      left.notify_all();
  }
}

void ThreadPool::parallelFor(ParallelBody body, void *context, int64_t lb,
                             int64_t ub, int64_t step, int threads) noexcept {
  if (ub <= lb)
    return;
  if (step <= 0 || threads <= 1 || ub - lb <= step) {
    body(context, lb, ub);
    return;
  }
  int64_t iterations = (ub - lb - 1) / step + 1;
  threads = static_cast<int>(std::min<int64_t>(threads, iterations));
  Job job;
  job.body = body;
  job.context = context;
  job.lb = lb;
  job.ub = ub;
  job.step = step;
  job.iterations = iterations;
  job.numChunks = std::min<int64_t>(iterations, threads * kChunksPerThread);
  job.split(threads);
  ensureWorkers(threads - 1);
  int wake = 0;
  try {
    std::lock_guard<std::mutex> lock(mutex);
    jobs.push_back(&job);
    generation.fetch_add(1, std::memory_order_release);
    wake = std::min(sleepers, threads - 1);
  } catch (...) {
    // Not queued: the caller runs every chunk.
    job.run(0);
    return;
  }
  for (int i = 0; i < wake; ++i)
    posted.notify_one();
  job.run(0);
  // Every chunk is claimed: no worker joins from now on, once the job is out
  // of the queue; those in it are finishing their chunks.
  std::unique_lock<std::mutex> lock(mutex);
  jobs.erase(std::find(jobs.begin(), jobs.end(), &job));
  lock.unlock();
  if (spinUntil(
          [&] { return job.attached.load(std::memory_order_acquire) == 0; }))
    return;
  lock.lock();
  left.wait(lock, [&] { return job.attached.load() == 0; });
}

int kiln::detail::currentRunThreads() { return runThreads; }

RunThreadsScope::RunThreadsScope(int threads) : saved(runThreads) {
  runThreads = std::max(threads, 1);
}

RunThreadsScope::~RunThreadsScope() { runThreads = saved; }

int kiln::detail::availableCPUs() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0)
      return count;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void kiln::detail::kilnRuntimeParallelHook(ParallelBody body, void *context,
                                           int64_t lb, int64_t ub,
                                           int64_t step) {
  ThreadPool::global().parallelFor(body, context, lb, ub, step,
                                   currentRunThreads());
}

void kiln::detail::installParallelHook(void (*setHook)(void *)) {
  if (setHook)
    setHook(reinterpret_cast<void *>(&kilnRuntimeParallelHook));
}
