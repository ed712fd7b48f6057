/*
 * Memory read bandwidth of this machine, on 1 and 2 threads: the ceiling for synapse
 * delivery when the active weight rows do not fit in the caches (dense-4096: 48 MB of
 * weights against 32 MB of L3). Each thread sums the bytes of its own 256 MB buffer with
 * wide vector loads, several passes; prints GB/s. (Issue 11: the reason a W = 4096 ratio
 * is bounded by memory, not by the loop.)
 *
 *   cc -O3 -march=native -pthread tools/perf/read_bandwidth.c -o /tmp/read_bandwidth
 *   /tmp/read_bandwidth [MB per thread] [passes]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t bytes = (size_t)256 << 20;
static int passes = 4;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
  uint64_t sum;
  double seconds; /* of the read passes alone (the buffer is written and faulted in first) */
} result;

static void *reader(void *arg) {
  result *r = arg;
  uint64_t *buffer = aligned_alloc(64, bytes);
  memset(buffer, 1, bytes);
  uint64_t sum = 0;
  double start = now();
  for (int p = 0; p < passes; p++)
    for (size_t k = 0; k < bytes / 8; k++) sum += buffer[k];
  r->seconds = now() - start;
  r->sum = sum;
  free(buffer);
  return NULL;
}

static double run(int threads) {
  pthread_t t[2];
  result r[2];
  for (int k = 0; k < threads; k++) pthread_create(&t[k], NULL, reader, &r[k]);
  for (int k = 0; k < threads; k++) pthread_join(t[k], NULL);
  double gbs = 0;
  for (int k = 0; k < threads; k++) gbs += (double)bytes * passes / r[k].seconds / 1e9;
  return gbs;
}

int main(int argc, char **argv) {
  if (argc > 1) bytes = (size_t)atoi(argv[1]) << 20;
  if (argc > 2) passes = atoi(argv[2]);
  if (bytes < ((size_t)1 << 20) || passes < 1) {
    fprintf(stderr, "usage: read_bandwidth [MB per thread >= 1] [passes >= 1]\n");
    return 64;
  }
  printf("1 thread: %.1f GB/s\n", run(1));
  printf("2 threads: %.1f GB/s\n", run(2));
  return 0;
}
