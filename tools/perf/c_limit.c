/*
 * The one-core limit of synapse delivery on this machine, for comparison with Neuromesh's
 * emulator (issue 11): a plain C loop doing the same arithmetic work per synaptic event
 * and nothing else.
 *
 *   clang -O3 tools/perf/c_limit.c -o /tmp/c_limit                 # the portable baseline (SSE2 on x86-64)
 *   clang -O3 -march=native tools/perf/c_limit.c -o /tmp/c_limit_native
 *   /tmp/c_limit W LAYERS ACTIVE_PERCENT STEPS
 *
 * Per step and layer, ACTIVE_PERCENT of the W source rows (int8 weights, one row of W
 * targets per source, as a dense core stores them) are added to W int32 accumulators:
 * four rows at a time into int16 (4 x 127 fits), then into int32. One event is one
 * weight added to one target, as Neuromesh and NengoLoihi count them. The active rows
 * are a fixed pseudo-random set per step; the weights are random. Prints events/s.
 * The accumulators are checked against a plain sum so the work cannot be optimised away.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int w = argc > 1 ? atoi(argv[1]) : 1024;
  int layers = argc > 2 ? atoi(argv[2]) : 3;
  int percent = argc > 3 ? atoi(argv[3]) : 10;
  int steps = argc > 4 ? atoi(argv[4]) : 1000;
  if (w < 4 || w > 65536 || layers < 1 || layers > 64 || percent < 1 || percent > 100 || steps < 1) {
    fprintf(stderr, "usage: c_limit W(4..65536) LAYERS(1..64) ACTIVE_PERCENT(1..100) STEPS\n");
    return 64;
  }
  size_t n = (size_t)w * w;
  int8_t **weights = malloc(sizeof(int8_t *) * layers);
  for (int l = 0; l < layers; l++) {
    weights[l] = aligned_alloc(64, n);
    for (size_t k = 0; k < n; k++) weights[l][k] = (int8_t)((int)(next() % 256) - 128);
  }
  int32_t *acc = aligned_alloc(64, sizeof(int32_t) * w);
  int16_t *part = aligned_alloc(64, sizeof(int16_t) * w);
  int active = w * percent / 100;
  active -= active % 4;
  if (active < 4) active = 4;
  int *rows = malloc(sizeof(int) * active * steps);
  for (int s = 0; s < steps; s++)
    for (int a = 0; a < active; a++) rows[s * active + a] = (int)(next() % (uint64_t)w);
  int64_t check = 0;
  double start = now();
  for (int s = 0; s < steps; s++) {
    const int *r = rows + (size_t)s * active;
    for (int l = 0; l < layers; l++) {
      const int8_t *m = weights[l];
      memset(acc, 0, sizeof(int32_t) * w);
      for (int a = 0; a < active; a += 4) {
        /* restrict: int8 pointers may alias anything, which would keep the loop scalar. */
        const int8_t *restrict r0 = m + (size_t)r[a] * w, *restrict r1 = m + (size_t)r[a + 1] * w;
        const int8_t *restrict r2 = m + (size_t)r[a + 2] * w, *restrict r3 = m + (size_t)r[a + 3] * w;
        int16_t *restrict p = part;
        int32_t *restrict sums = acc;
        for (int j = 0; j < w; j++) p[j] = (int16_t)(r0[j] + r1[j] + r2[j] + r3[j]);
        for (int j = 0; j < w; j++) sums[j] += p[j];
      }
      check += acc[s % w];
    }
  }
  double seconds = now() - start;
  /* The same sums the plain way, for the last step's last layer, as a check. */
  const int *r = rows + (size_t)(steps - 1) * active;
  for (int j = 0; j < w; j++) {
    int32_t sum = 0;
    for (int a = 0; a < active; a++) sum += weights[layers - 1][(size_t)r[a] * w + j];
    if (sum != acc[j]) { fprintf(stderr, "mismatch at %d\n", j); return 1; }
  }
  double events = (double)active * w * layers * steps;
  printf("W %d, %d layers, %d active rows per layer and step, %d steps: %.3f s, %.3g events/s (check %lld)\n",
         w, layers, active, steps, seconds, events / seconds, (long long)check);
  return 0;
}
