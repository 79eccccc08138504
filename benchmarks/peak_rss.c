//===- peak_rss.c - Peak RSS of one command -------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
//   peak-rss REPORT COMMAND [ARG...]
//
// Runs COMMAND and writes its peak resident set size in kilobytes (wait4's
// ru_maxrss) to the file REPORT; exits with COMMAND's status (128 + N when
// signal N ended it). benchmarks/run.py runs every measured process through
// it because Linux carries a process's peak RSS across exec: a child forked
// straight from the Python driver would report at least the driver's own
// RSS. Forked from this small program, the floor is this program's RSS.
//
//===----------------------------------------------------------------------===//

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peak-rss REPORT COMMAND [ARG...]\n");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "peak-rss: error: fork: %s\n", strerror(errno));
    return 2;
  }
  if (child == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "peak-rss: error: cannot run '%s': %s\n", argv[2],
            strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "peak-rss: error: wait4: %s\n", strerror(errno));
      return 2;
    }
  }
  FILE *report = fopen(argv[1], "w");
  if (!report || fprintf(report, "%ld\n", usage.ru_maxrss) < 0 ||
      fclose(report) != 0) {
    fprintf(stderr, "peak-rss: error: cannot write '%s': %s\n", argv[1],
            strerror(errno));
    return 2;
  }
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
