#include "EmulatorKernels.h"

#include <string.h>

#define NM_INLINE static inline __attribute__((always_inline))

/* ---- dense rows -------------------------------------------------------------------- */

/* Row k's contribution as the unsigned 16-bit value its sign extension has. */
#define W(r) ((uint16_t)(int16_t)(r)[k])

#define NM_ADD(N, SUM)                                                                       \
  NM_INLINE void add##N(int16_t *restrict dst, const int8_t *const *rows, int64_t n,         \
                        int32_t shift) {                                                     \
    const int8_t *restrict r0 = rows[0];                                                     \
    const int8_t *restrict r1 = rows[N > 1 ? 1 : 0];                                         \
    const int8_t *restrict r2 = rows[N > 2 ? 2 : 0];                                         \
    const int8_t *restrict r3 = rows[N > 3 ? 3 : 0];                                         \
    const int8_t *restrict r4 = rows[N > 4 ? 4 : 0];                                         \
    const int8_t *restrict r5 = rows[N > 5 ? 5 : 0];                                         \
    const int8_t *restrict r6 = rows[N > 6 ? 6 : 0];                                         \
    const int8_t *restrict r7 = rows[N > 7 ? 7 : 0];                                         \
    (void)r1; (void)r2; (void)r3; (void)r4; (void)r5; (void)r6; (void)r7;                    \
    uint16_t *restrict d = (uint16_t *)dst;                                                  \
    for (int64_t k = 0; k < n; k++) {                                                        \
      uint16_t s = (uint16_t)(SUM);                                                          \
      d[k] = (uint16_t)(d[k] + (uint16_t)(s << shift));                                      \
    }                                                                                        \
  }

NM_ADD(1, W(r0))
NM_ADD(2, W(r0) + W(r1))
NM_ADD(3, W(r0) + W(r1) + W(r2))
NM_ADD(4, W(r0) + W(r1) + W(r2) + W(r3))
NM_ADD(5, W(r0) + W(r1) + W(r2) + W(r3) + W(r4))
NM_ADD(6, W(r0) + W(r1) + W(r2) + W(r3) + W(r4) + W(r5))
NM_ADD(7, W(r0) + W(r1) + W(r2) + W(r3) + W(r4) + W(r5) + W(r6))
NM_ADD(8, W(r0) + W(r1) + W(r2) + W(r3) + W(r4) + W(r5) + W(r6) + W(r7))

NM_INLINE void add_rows(int16_t *dst, const int8_t *const *rows, int32_t count, int64_t n, int32_t shift) {
  switch (count) {
  case 1: add1(dst, rows, n, shift); break;
  case 2: add2(dst, rows, n, shift); break;
  case 3: add3(dst, rows, n, shift); break;
  case 4: add4(dst, rows, n, shift); break;
  case 5: add5(dst, rows, n, shift); break;
  case 6: add6(dst, rows, n, shift); break;
  case 7: add7(dst, rows, n, shift); break;
  case 8: add8(dst, rows, n, shift); break;
  default: break;
  }
}

/* ---- delivery of one step's input spikes ---------------------------------------------- */

/* add_rows is passed in (an instruction set's own, not inlined): inlined here, the compiler
 * chose 32-bit lanes for the rows and ran at half the speed. */
typedef void (*nm_add_rows_fn)(int16_t *, const int8_t *const *, int32_t, int64_t, int32_t);

NM_INLINE int64_t deliver(const nm_synapses *syn, const int32_t *inbox, int64_t inbox_count, int64_t lo, int64_t hi,
                          int16_t *q, nm_add_rows_fn add_rows) {
  const int32_t *seg_start = syn->axon_segment_start;
  const nm_segment *segments = syn->segments;
  const int8_t *weights = syn->weights;
  const int32_t *targets = syn->sparse_targets;
  const uint16_t *targets16 = syn->sparse_targets16;
  const int8_t *group[NM_MAX_GROUPED_ROWS];
  int32_t grouped = 0;
  int64_t g_start = 0, g_end = 0;
  int32_t g_shift = 0;
  int64_t ops = 0;
  for (int64_t i = 0; i < inbox_count; i++) {
    /* The inbox is in arrival order, so the lists it names are scattered: fetch ahead, the
     * list descriptor eight entries ahead and, once it has arrived, the start of the
     * weights (and sparse targets) four entries ahead. */
    if (i + 8 < inbox_count) __builtin_prefetch(&segments[seg_start[inbox[i + 8]]]);
    if (i + 4 < inbox_count) {
      const nm_segment *ahead = &segments[seg_start[inbox[i + 4]]];
      __builtin_prefetch(weights + ahead->weight_offset);
      if (ahead->target_offset >= 0) {
        if (targets16) __builtin_prefetch(targets16 + ahead->target_offset);
        else __builtin_prefetch(targets + ahead->target_offset);
      }
    }
    int32_t a = inbox[i];
    for (int32_t k = seg_start[a], last = seg_start[a + 1]; k < last; k++) {
      const nm_segment seg = segments[k];
      int64_t count = NM_SEGMENT_COUNT(seg);
      if (count == 0) continue; /* (its weights may be empty) */
      const int8_t *w = weights + seg.weight_offset;
      int32_t shift = NM_SEGMENT_SHIFT(seg);
      if (seg.target_offset < 0) {
        int64_t first = seg.first;
        int64_t start = first > lo ? first : lo;
        int64_t end = first + count < hi ? first + count : hi;
        if (start >= end) continue;
        ops += end - start;
        if (grouped > 0 && (start != g_start || end != g_end || shift != g_shift)) {
          add_rows(q + g_start, group, grouped, g_end - g_start, g_shift);
          grouped = 0;
        }
        if (grouped == 0) {
          g_start = start;
          g_end = end;
          g_shift = shift;
        }
        group[grouped++] = w + (start - first);
        if (grouped == NM_MAX_GROUPED_ROWS) {
          add_rows(q + g_start, group, grouped, g_end - g_start, g_shift);
          grouped = 0;
        }
      } else {
        uint16_t *d = (uint16_t *)q;
        if (targets16) {
          const uint16_t *idx = targets16 + seg.target_offset;
          for (int64_t j = 0; j < count; j++) d[idx[j]] = (uint16_t)(d[idx[j]] + (uint16_t)((uint16_t)(int16_t)w[j] << shift));
        } else {
          const int32_t *idx = targets + seg.target_offset;
          for (int64_t j = 0; j < count; j++) d[idx[j]] = (uint16_t)(d[idx[j]] + (uint16_t)((uint16_t)(int16_t)w[j] << shift));
        }
        ops += count;
      }
    }
  }
  if (grouped > 0) add_rows(q + g_start, group, grouped, g_end - g_start, g_shift);
  return ops;
}

NM_INLINE void merge_inputs(int16_t *restrict dst, int16_t *restrict src, int64_t n) {
  uint16_t *restrict d = (uint16_t *)dst;
  uint16_t *restrict s = (uint16_t *)src;
  for (int64_t k = 0; k < n; k++) {
    d[k] = (uint16_t)(d[k] + s[k]);
    s[k] = 0;
  }
}

/* ---- compartment update -------------------------------------------------------------- */

/* sign(x) * floor(|x| * f / 4096) for 0 <= f <= 4096, in 32-bit lanes: with |x| = 4096 h + l,
 * |x| f / 4096 = h f + l f / 4096 and h f is whole, so the floor is h f + floor(l f / 4096);
 * h f <= 2^31 and l f < 2^24, so nothing wraps (FixedPoint.decay computes it in 64 bits). */
NM_INLINE int32_t decay(int32_t x, int32_t f) {
  uint32_t m = x < 0 ? 0u - (uint32_t)x : (uint32_t)x;
  uint32_t uf = (uint32_t)f;
  uint32_t r = (m >> 12) * uf + (((m & 4095u) * uf) >> 12);
  return (int32_t)(x < 0 ? 0u - r : r);
}

/* The low 24 bits of x, sign-extended (FixedPoint.wrap(_, signedBits: 23)). */
NM_INLINE int32_t wrap24(uint32_t x) { return (int32_t)(x << 8) >> 8; }

/* `uniform` is a constant where this is inlined, so each case compiles to its own loop. */
typedef int64_t (*nm_extract_fn)(const uint8_t *, int32_t *, int64_t, int64_t, int32_t *);

NM_INLINE int64_t update_body(const nm_compartments *c, int64_t lo, int64_t hi, int32_t *spikes_out, int64_t *active,
                              const int uniform, nm_extract_fn extract) {
  const int32_t *restrict uf = c->current_factor;
  const int32_t *restrict vf = c->voltage_factor;
  const int32_t *restrict bias = c->bias;
  const int32_t *restrict vth = c->threshold;
  const int32_t *restrict delay = c->refractory_delay;
  const nm_profile profile = c->profile;
  int16_t *restrict q = c->input;
  int32_t *restrict u = c->current;
  int32_t *restrict v = c->voltage;
  int32_t *restrict ref = c->refractory;
  uint8_t *restrict fired = c->spiked;
  const int32_t vmin = c->vmin, vmax = c->vmax;
  int32_t busy = 0; /* per-call count fits: a core has < 2^24 compartments */
  for (int64_t i = lo; i < hi; i++) {
    int32_t q0 = (int32_t)((uint32_t)(int32_t)q[i] << 6);
    q[i] = 0;
    int32_t uo = u[i], vo = v[i], ro = ref[i], b = bias[i];
    busy += ((q0 | uo | vo | b | ro) != 0);
    int32_t ufi = uniform ? profile.current_factor : uf[i];
    int32_t vfi = uniform ? profile.voltage_factor : vf[i];
    int32_t vthi = uniform ? profile.threshold : vth[i];
    int32_t delayi = uniform ? profile.refractory_delay : delay[i];
    int32_t un = wrap24((uint32_t)decay(uo, ufi) + (uint32_t)q0);
    int32_t u2 = wrap24((uint32_t)un + (uint32_t)b);
    int32_t x = (int32_t)((uint32_t)decay(vo, vfi) + (uint32_t)u2);
    x = x < vmin ? vmin : x;
    x = x > vmax ? vmax : x;
    int32_t vn = ro > 0 ? 0 : x;
    int32_t sp = vn > vthi;
    vn = sp ? 0 : vn;
    int32_t r = sp ? delayi : ro;
    ref[i] = r > 0 ? r - 1 : 0;
    v[i] = vn;
    u[i] = un;
    fired[i] = (uint8_t)sp;
  }
  *active = busy;
  return extract(fired, c->spike_totals, lo, hi, spikes_out);
}

/* The spikes of lo ..< hi in order, skipping eight quiet compartments at a time; each adds
 * one (wrapping) to its total. */
NM_INLINE int64_t extract_spikes(const uint8_t *fired, int32_t *totals, int64_t lo, int64_t hi, int32_t *spikes_out) {
  int64_t count = 0;
  int64_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    uint64_t word;
    memcpy(&word, fired + i, 8);
    if (word == 0) continue;
    for (int64_t j = i; j < i + 8; j++) {
      if (fired[j]) {
        totals[j] = (int32_t)((uint32_t)totals[j] + 1u);
        spikes_out[count++] = (int32_t)j;
      }
    }
  }
  for (; i < hi; i++) {
    if (fired[i]) {
      totals[i] = (int32_t)((uint32_t)totals[i] + 1u);
      spikes_out[count++] = (int32_t)i;
    }
  }
  return count;
}

NM_INLINE int64_t update_compartments(const nm_compartments *c, int64_t lo, int64_t hi, int32_t *spikes_out,
                                      int64_t *active, nm_extract_fn extract) {
  return c->current_factor == NULL ? update_body(c, lo, hi, spikes_out, active, 1, extract)
                                   : update_body(c, lo, hi, spikes_out, active, 0, extract);
}

/* ---- one copy of both loops per instruction set -------------------------------------- */

static int64_t extract_portable(const uint8_t *fired, int32_t *totals, int64_t lo, int64_t hi, int32_t *out) {
  return extract_spikes(fired, totals, lo, hi, out);
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define extract_avx2 extract_portable /* (AVX2 has no compress; the scalar loop it is) */

/* Sixteen compartments at a time: a mask of those that fired, their indices compressed into
 * one register and stored whole (compressing straight to memory is microcoded and slow on
 * some processors), their totals incremented under the mask. The lanes past the spikes are
 * overwritten by the next store and never reach hi - lo: a store at count <= i - lo ends
 * below i - lo + 16 <= hi - lo. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static int64_t extract_avx512(const uint8_t *fired, int32_t *totals,
                                                                                   int64_t lo, int64_t hi, int32_t *out) {
  int64_t count = 0;
  int64_t i = lo;
  __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int32_t)lo),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m512i sixteen = _mm512_set1_epi32(16), one = _mm512_set1_epi32(1);
  for (; i + 16 <= hi; i += 16) {
    __m128i f = _mm_loadu_si128((const __m128i *)(fired + i));
    __mmask16 m = _mm_test_epi8_mask(f, f);
    if (m) {
      _mm512_storeu_si512(out + count, _mm512_maskz_compress_epi32(m, index));
      __m512i t = _mm512_loadu_si512(totals + i);
      _mm512_storeu_si512(totals + i, _mm512_mask_add_epi32(t, m, t, one));
      count += __builtin_popcount(m);
    }
    index = _mm512_add_epi32(index, sixteen);
  }
  return count + extract_spikes(fired, totals, i, hi, out + count);
}
#endif

#define NM_KERNELS(NAME)                                                                     \
  __attribute__((noinline)) static void add_rows_##NAME(int16_t *dst, const int8_t *const *rows, int32_t count,        \
                              int64_t n, int32_t shift) {                                    \
    add_rows(dst, rows, count, n, shift);                                                    \
  }                                                                                          \
  static int64_t update_##NAME(const nm_compartments *c, int64_t lo, int64_t hi,             \
                               int32_t *spikes_out, int64_t *active) {                       \
    return update_compartments(c, lo, hi, spikes_out, active, extract_##NAME);               \
  }                                                                                          \
  static int64_t deliver_##NAME(const nm_synapses *s, const int32_t *inbox, int64_t count,    \
                                int64_t lo, int64_t hi, int16_t *q) {                        \
    return deliver(s, inbox, count, lo, hi, q, add_rows_##NAME);                             \
  }                                                                                          \
  static void merge_##NAME(int16_t *dst, int16_t *src, int64_t n) { merge_inputs(dst, src, n); }

NM_KERNELS(portable)

#if defined(__x86_64__) && defined(__clang__)
#define NM_X86 1
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
NM_KERNELS(avx2)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2"))), apply_to = function)
NM_KERNELS(avx512)
#pragma clang attribute pop
#endif

static const nm_kernels sets[] = {
#ifdef NM_X86
    {"avx512", add_rows_avx512, update_avx512, deliver_avx512, merge_avx512},
    {"avx2", add_rows_avx2, update_avx2, deliver_avx2, merge_avx2},
#endif
    {"portable", add_rows_portable, update_portable, deliver_portable, merge_portable},
};

static int runs_here(const char *isa) {
#ifdef NM_X86
  __builtin_cpu_init();
  if (!strcmp(isa, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  if (!strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2");
#endif
  return !strcmp(isa, "portable");
}

int32_t nm_kernel_sets(const nm_kernels **out, int32_t capacity) {
  int32_t n = 0;
  for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
    if (runs_here(sets[k].isa) && n < capacity) out[n++] = &sets[k];
  return n;
}

const nm_kernels *nm_kernels_named(const char *isa) {
  const nm_kernels *have[8];
  int32_t n = nm_kernel_sets(have, 8);
  if (isa == NULL || isa[0] == 0) return have[0];
  for (int32_t k = 0; k < n; k++)
    if (!strcmp(have[k]->isa, isa)) return have[k];
  return NULL;
}
