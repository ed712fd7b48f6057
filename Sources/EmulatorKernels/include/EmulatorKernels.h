/*
 * The emulator's two hot loops in C, compiled once per instruction set (AVX-512, AVX2 and
 * the portable baseline, from the same source) so the emulator can use the best one the CPU
 * has and the portable build stays portable: the project's own code, like swift-nio's C
 * shims, not a dependency. The tests run every set this CPU can execute.
 *
 * Both are exactly the arithmetic of Sources/LoihiArithmetic (CompartmentDynamics,
 * FixedPoint): EmulatorTests/KernelTests check them against it, lane by lane, on edge and
 * random values; the conformance fixtures check the whole emulator.
 */
#ifndef NEUROMESH_EMULATOR_KERNELS_H
#define NEUROMESH_EMULATOR_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most dense rows one call of nm_add_rows takes. */
#define NM_MAX_GROUPED_ROWS 8

/* The parameters a core's compartments share when they share one profile. */
typedef struct {
  int32_t current_factor, voltage_factor, threshold, refractory_delay;
} nm_profile;

/*
 * One core's compartment parameters (read-only) and state (read and written). The four
 * profile arrays are either all given (one value per compartment) or all NULL, and then
 * every compartment uses `profile` (the common case: one layer slice, one profile; it saves
 * 16 bytes per compartment and their reads every step).
 */
typedef struct {
  const int32_t *current_factor; /* 4095 - decay_u, 0 ... 4095 */
  const int32_t *voltage_factor; /* 4096 - decay_v, 1 ... 4096 */
  const int32_t *bias;           /* 24-bit signed, per compartment always */
  const int32_t *threshold;      /* vth_mant << 6, positive */
  const int32_t *refractory_delay;
  nm_profile profile; /* when the arrays are NULL */
  int32_t vmin, vmax;
  int16_t *input;      /* accumulator, read and cleared */
  int32_t *current;    /* u, 24-bit signed */
  int32_t *voltage;    /* v, vmin ... vmax */
  int32_t *refractory; /* steps still held */
  uint8_t *spiked;     /* 1 if the compartment spiked this step */
  int32_t *spike_totals;
} nm_compartments;

/*
 * One synapse list of an input axon, as the delivery loop reads it (16 bytes, four to a
 * cache line): weights[weight_offset + k] << shift synaptic units go to compartment
 * first + k (dense, target_offset < 0) or sparse_targets[target_offset + k] (sparse), for
 * k in 0 ..< count. shift (0 ... 15) is kept in the top four bits of count_shift, count
 * (below 2^28) in the rest.
 */
typedef struct {
  int32_t first;
  uint32_t count_shift;
  int32_t weight_offset;
  int32_t target_offset;
} nm_segment;

#define NM_SEGMENT_COUNT(s) ((int64_t)((s).count_shift & 0x0FFFFFFFu))
#define NM_SEGMENT_SHIFT(s) ((int32_t)((s).count_shift >> 28))

/* One core's synapses (read-only): segments of input axon a are
 * segments[axon_segment_start[a] ..< axon_segment_start[a + 1]]. */
typedef struct {
  const int32_t *axon_segment_start;
  const nm_segment *segments;
  const int8_t *weights;
  /* The targets of sparse lists: 16-bit when the core has at most 65,536 compartments (the
   * usual case; 2 bytes per synapse instead of 4), else 32-bit. Exactly one is non-NULL
   * when the core has sparse lists. */
  const uint16_t *sparse_targets16;
  const int32_t *sparse_targets;
} nm_synapses;

/* Both loops, built for one instruction set. */
typedef struct {
  /* "avx512", "avx2" or "portable". */
  const char *isa;
  /*
   * dst[k] += (rows[0][k] + ... + rows[count-1][k]) << shift, for k in 0 ..< n, in wrapping
   * 16-bit arithmetic (the dendritic accumulator in synaptic units; 16-bit wrap is the
   * chip's 22-bit wrap of 64-times larger values). Wrapping addition is associative, so
   * summing the rows first gives the same bits as adding them one at a time.
   * count is 1 ... NM_MAX_GROUPED_ROWS; shift is 0 ... 15; rows do not overlap dst.
   */
  void (*add_rows)(int16_t *dst, const int8_t *const *rows, int32_t count, int64_t n, int32_t shift);
  /*
   * Advances compartments lo ..< hi by one step (CompartmentDynamics.step for each), clears
   * their inputs, writes the indices of those that spiked to spikes_out (room for hi - lo) in
   * ascending order,
   * adds 1 (wrapping) to their spike totals, and returns how many spiked. *active receives
   * the number whose input, current, voltage, bias or refractory count was nonzero before
   * the step (the chip's active updates).
   */
  int64_t (*update_compartments)(const nm_compartments *c, int64_t lo, int64_t hi, int32_t *spikes_out,
                                 int64_t *active);
  /*
   * Phase 1 on compartments lo ..< hi: for each of the inbox_count input axons in inbox,
   * adds every synapse of its lists whose target lies in lo ..< hi to q (wrapping 16-bit
   * adds, so the order is free: dense rows with the same targets and shift are summed up to
   * NM_MAX_GROUPED_ROWS at a time). Returns the synapses reached (synaptic ops).
   * Sparse lists are only allowed when lo ..< hi is the whole core.
   */
  int64_t (*deliver)(const nm_synapses *s, const int32_t *inbox, int64_t inbox_count, int64_t lo, int64_t hi,
                     int16_t *q);
  /*
   * dst[k] += src[k] (wrapping 16-bit) and src[k] = 0, for k in 0 ..< n: a core whose inbox
   * was delivered in parts, into one accumulator each, gathers them before its update.
   */
  void (*merge_inputs)(int16_t *dst, int16_t *src, int64_t n);
} nm_kernels;

/* The sets this CPU can run, best first, into out[0 ..< capacity]; returns how many. */
int32_t nm_kernel_sets(const nm_kernels **out, int32_t capacity);

/* The set named isa if this CPU can run it; the best set for NULL or ""; NULL otherwise. */
const nm_kernels *nm_kernels_named(const char *isa);

/*
 * A pool of worker threads for the parallel phase of a step (WorkerPool.c). The calling
 * thread takes part, so a pool of `threads` workers runs items on threads + 1 threads.
 * Workers spin for about 0.2 ms between jobs, then sleep until the next.
 */
typedef struct nm_pool nm_pool;

/* A pool of `threads` worker threads (0 is allowed: every item then runs on the caller);
 * NULL if memory runs out. Fewer threads start if the system refuses some. */
nm_pool *nm_pool_create(int32_t threads);

/* The number of worker threads that started. */
int32_t nm_pool_threads(const nm_pool *pool);

/* Calls fn(ctx, k) once for every k in 0 ..< items (at most INT32_MAX), on the pool's
 * threads and the caller, and returns when every call has returned. One caller at a time. */
void nm_pool_run(nm_pool *pool, void (*fn)(void *ctx, int64_t item), void *ctx, int64_t items);

/* Stops and joins the workers and frees the pool (NULL is ignored). */
void nm_pool_destroy(nm_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
