//===- ThreadPoolTest.cpp - The thread pool behind parallel loops ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using kiln::detail::RunThreadsScope;
using kiln::detail::ThreadPool;

namespace {

/// What a loop's chunks did: how often each iteration ran, the chunks'
/// bounds and the threads that ran them.
struct Coverage {
  int64_t lb, step;
  std::vector<std::atomic<int>> hits;
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  std::set<std::thread::id> threads;
  /// Microseconds each chunk sleeps, so that the workers get a share.
  int sleepMicros = 0;

  Coverage(int64_t lb, int64_t ub, int64_t step)
      : lb(lb), step(step), hits(ub > lb ? (ub - lb + step - 1) / step : 0) {}

  static void body(void *context, int64_t begin, int64_t end) {
    auto &self = *static_cast<Coverage *>(context);
    for (int64_t i = begin; i < end; i += self.step)
      ++self.hits[(i - self.lb) / self.step];
    if (self.sleepMicros)
      std::this_thread::sleep_for(std::chrono::microseconds(self.sleepMicros));
    std::lock_guard<std::mutex> lock(self.mutex);
    self.chunks.push_back({begin, end});
    self.threads.insert(std::this_thread::get_id());
  }

  bool eachOnce() const {
    for (const std::atomic<int> &hit : hits)
      if (hit != 1)
        return false;
    return true;
  }
};

// Every iteration runs exactly once, in chunks whose bounds are the lower
// bound plus multiples of the step, for ranges the step does not divide.
TEST(ThreadPoolTest, ChunksCoverTheRangeOnce) {
  ThreadPool pool;
  struct Case {
    int64_t lb, ub, step;
    int threads;
  } cases[] = {{0, 1000, 1, 4}, {3, 1000, 7, 3},     {0, 256, 64, 2},
               {-50, 50, 3, 8}, {0, 5, 1, 16},       {10, 11, 1, 4},
               {0, 10, 20, 4},  {0, 1 << 20, 256, 5}};
  for (const Case &c : cases) {
    Coverage coverage(c.lb, c.ub, c.step);
    pool.parallelFor(Coverage::body, &coverage, c.lb, c.ub, c.step, c.threads);
    EXPECT_TRUE(coverage.eachOnce())
        << "[" << c.lb << ", " << c.ub << ") step " << c.step;
    for (auto [begin, end] : coverage.chunks) {
      EXPECT_EQ((begin - c.lb) % c.step, 0) << begin;
      EXPECT_TRUE(end == c.ub || (end - c.lb) % c.step == 0) << end;
      EXPECT_LT(begin, end);
    }
  }
}

// The chunks of a loop differ by at most one iteration: 33 iterations on
// 4 threads are 32 chunks, one of 2 and 31 of 1, not 16 of 2 and one of 1.
TEST(ThreadPoolTest, ChunksAreEven) {
  ThreadPool pool;
  for (auto [ub, threads] :
       {std::pair<int64_t, int>{14, 2}, {7, 2}, {1000, 3}, {33, 4}}) {
    Coverage coverage(0, ub, 1);
    pool.parallelFor(Coverage::body, &coverage, 0, ub, 1, threads);
    ASSERT_TRUE(coverage.eachOnce()) << ub;
    int64_t least = ub, most = 0;
    for (auto [begin, end] : coverage.chunks) {
      least = std::min(least, end - begin);
      most = std::max(most, end - begin);
    }
    EXPECT_LE(most - least, 1)
        << ub << " iterations, " << threads << " threads";
    EXPECT_EQ(coverage.chunks.size(),
              std::min<size_t>(ub, 8 * static_cast<size_t>(threads)));
  }
}

// An empty range runs nothing; one thread, or a non-positive step, runs the
// whole range as one chunk on the caller.
TEST(ThreadPoolTest, SerialCases) {
  ThreadPool pool;
  Coverage empty(5, 5, 1);
  pool.parallelFor(Coverage::body, &empty, 5, 5, 1, 4);
  EXPECT_TRUE(empty.chunks.empty());
  for (auto [threads, step] : {std::pair{1, 1}, std::pair{4, 0}}) {
    Coverage coverage(0, 100, 1);
    pool.parallelFor(Coverage::body, &coverage, 0, 100, step, threads);
    ASSERT_EQ(coverage.chunks.size(), 1u);
    EXPECT_EQ(coverage.chunks[0], (std::pair<int64_t, int64_t>{0, 100}));
    EXPECT_EQ(*coverage.threads.begin(), std::this_thread::get_id());
  }
  EXPECT_EQ(pool.numWorkers(), 0);
}

// N threads: the caller and N - 1 workers, never more.
TEST(ThreadPoolTest, UsesAtMostTheThreadsAsked) {
  ThreadPool pool;
  Coverage coverage(0, 64, 1);
  coverage.sleepMicros = 2000;
  pool.parallelFor(Coverage::body, &coverage, 0, 64, 1, 3);
  EXPECT_TRUE(coverage.eachOnce());
  EXPECT_EQ(pool.numWorkers(), 2);
  EXPECT_LE(coverage.threads.size(), 3u);
  // Chunks that sleep leave time for the workers to take some.
  EXPECT_GE(coverage.threads.size(), 2u);

  Coverage two(0, 64, 1);
  two.sleepMicros = 1000;
  pool.parallelFor(Coverage::body, &two, 0, 64, 1, 2);
  EXPECT_TRUE(two.eachOnce());
  EXPECT_LE(two.threads.size(), 2u);
}

/// A loop whose first chunk, on the caller, waits until a worker has started
/// a chunk, and which records the chunks in the order they started.
struct FirstWaits {
  std::mutex mutex;
  std::condition_variable started;
  std::vector<std::pair<int64_t, std::thread::id>> order;
  std::thread::id caller = std::this_thread::get_id();

  static void body(void *context, int64_t begin, int64_t) {
    auto &self = *static_cast<FirstWaits *>(context);
    std::unique_lock<std::mutex> lock(self.mutex);
    self.order.push_back({begin, std::this_thread::get_id()});
    self.started.notify_all();
    if (begin != 0)
      return;
    // Long enough for any worker to wake, short enough not to hang.
    self.started.wait_for(lock, std::chrono::seconds(20),
                          [&] { return anyOther(self.order, self.caller); });
  }

  static bool
  anyOther(const std::vector<std::pair<int64_t, std::thread::id>> &order,
           std::thread::id caller) {
    for (const auto &[chunk, thread] : order)
      if (thread != caller)
        return true;
    return false;
  }
};

// Each thread first runs its own contiguous part of the chunks: the caller
// the first ones, the worker those from the middle on, so that two loops in
// a row give a thread the same iterations.
TEST(ThreadPoolTest, ThreadsStartOnTheirOwnPart) {
  ThreadPool pool;
  FirstWaits loop;
  pool.parallelFor(FirstWaits::body, &loop, 0, 8, 1, 2);
  ASSERT_EQ(loop.order.size(), 8u);
  EXPECT_EQ(loop.order[0],
            (std::pair<int64_t, std::thread::id>{0, loop.caller}));
  auto worker = std::find_if(
      loop.order.begin(), loop.order.end(),
      [&](const auto &chunk) { return chunk.second != loop.caller; });
  ASSERT_NE(worker, loop.order.end());
  EXPECT_EQ(worker->first, 4);
}

/// A loop whose chunks each run an inner parallel loop on the same pool.
struct Nested {
  ThreadPool *pool;
  std::deque<Coverage> inner;
  static void body(void *context, int64_t begin, int64_t end) {
    auto &self = *static_cast<Nested *>(context);
    for (int64_t i = begin; i < end; ++i)
      self.pool->parallelFor(Coverage::body, &self.inner[i], 0, 100, 1, 4);
  }
};

// Loops inside chunks, and loops from several threads at once, finish: a
// call runs whatever no worker took.
TEST(ThreadPoolTest, NestedAndConcurrentCallsFinish) {
  ThreadPool pool;
  std::vector<std::thread> callers;
  std::vector<Nested> nests(4);
  for (Nested &nest : nests) {
    nest.pool = &pool;
    for (int i = 0; i < 16; ++i)
      nest.inner.emplace_back(0, 100, 1);
  }
  for (Nested &nest : nests)
    callers.emplace_back(
        [&] { pool.parallelFor(Nested::body, &nest, 0, 16, 1, 4); });
  for (std::thread &caller : callers)
    caller.join();
  for (Nested &nest : nests)
    for (Coverage &coverage : nest.inner)
      EXPECT_TRUE(coverage.eachOnce());
}

// The thread count belongs to the run on this thread: 1 outside a run, the
// run's count inside, restored after; at least 1.
TEST(ThreadPoolTest, RunThreadsScope) {
  EXPECT_EQ(kiln::detail::currentRunThreads(), 1);
  {
    RunThreadsScope outer(4);
    EXPECT_EQ(kiln::detail::currentRunThreads(), 4);
    int seen = 0;
    std::thread([&] { seen = kiln::detail::currentRunThreads(); }).join();
    EXPECT_EQ(seen, 1);
    {
      RunThreadsScope inner(0);
      EXPECT_EQ(kiln::detail::currentRunThreads(), 1);
    }
    EXPECT_EQ(kiln::detail::currentRunThreads(), 4);
  }
  EXPECT_EQ(kiln::detail::currentRunThreads(), 1);
  EXPECT_GE(kiln::detail::availableCPUs(), 1);
}

} // namespace
