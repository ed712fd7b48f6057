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

/* One core's compartment parameters (read-only) and state (read and written). */
typedef struct {
  const int32_t *current_factor; /* 4095 - decay_u, 0 ... 4095 */
  const int32_t *voltage_factor; /* 4096 - decay_v, 1 ... 4096 */
  const int32_t *bias;           /* 24-bit signed */
  const int32_t *threshold;      /* vth_mant << 6, positive */
  const int32_t *refractory_delay;
  int32_t vmin, vmax;
  int16_t *input;      /* accumulator, read and cleared */
  int32_t *current;    /* u, 24-bit signed */
  int32_t *voltage;    /* v, vmin ... vmax */
  int32_t *refractory; /* steps still held */
  uint8_t *spiked;     /* 1 if the compartment spiked this step */
  int32_t *spike_totals;
} nm_compartments;

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
   * their inputs, writes the indices of those that spiked to spikes_out in ascending order,
   * adds 1 (wrapping) to their spike totals, and returns how many spiked. *active receives
   * the number whose input, current, voltage, bias or refractory count was nonzero before
   * the step (the chip's active updates).
   */
  int64_t (*update_compartments)(const nm_compartments *c, int64_t lo, int64_t hi, int32_t *spikes_out,
                                 int64_t *active);
} nm_kernels;

/* The sets this CPU can run, best first, into out[0 ..< capacity]; returns how many. */
int32_t nm_kernel_sets(const nm_kernels **out, int32_t capacity);

/* The set named isa if this CPU can run it; the best set for NULL or ""; NULL otherwise. */
const nm_kernels *nm_kernels_named(const char *isa);

#ifdef __cplusplus
}
#endif

#endif
