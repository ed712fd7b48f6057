/*
 * A pool of worker threads that run the items of one emulator step together with the
 * calling thread, and keep spinning between steps so that the next step starts within a
 * fraction of a microsecond (Dispatch's concurrentPerform costs several microseconds per
 * call, a large part of a 20-microsecond step). After NM_POOL_SPIN_NS without work a
 * worker sleeps (on a futex on Linux, on a condition variable elsewhere), so an idle
 * emulator burns no processor.
 *
 * Items are dealt out in contiguous runs, one per thread (the caller's first), and a thread
 * that has finished its own run takes what is left of the others'. So in steady state the
 * same thread steps the same slices every step, and their synapses stay in its core's
 * cache; taking from the others keeps the threads balanced when activity is not.
 *
 * Protocol (a sequence lock with Dekker-style flags; every access below is sequentially
 * consistent unless it says otherwise):
 * - `sequence` is odd while the caller writes a job and even once it is published.
 * - A worker that sees an even sequence S stores S in its `active` flag, then reads the
 *   sequence again: only if it is still S does it read the job and claim items (fetch-and-
 *   add on each run's `next`); it clears `active` when it has no more items.
 * - The caller makes the sequence odd, then waits until no worker's flag holds the last
 *   published sequence, and only then rewrites the job and the runs and publishes S + 2.
 *   By the flags' order, a worker either sees the odd sequence and stays out, or the caller
 *   sees its flag and waits for it: no thread ever claims an item from a job being
 *   rewritten.
 * - Each finished item adds one to `completed`; the caller returns when it reaches `items`.
 */
#include "EmulatorKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__) && !defined(NM_POOL_NO_FUTEX)
#define NM_USE_FUTEX 1
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NM_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define NM_PAUSE() __asm__ __volatile__("yield")
#else
#define NM_PAUSE() ((void)0)
#endif

/* How long a worker spins for the next job before it sleeps. */
#define NM_POOL_SPIN_NS 200000

/* One thread's run of items: the next unclaimed one and the end. */
typedef struct {
  _Alignas(64) _Atomic int64_t next;
  int64_t end;
} nm_run;

/* A worker's flag: the sequence of the job it may be claiming from, or 0. */
typedef struct {
  _Alignas(64) _Atomic uint32_t active;
} nm_flag;

/* What a worker is given at start: its pool and its index (its run is runs[index]). */
typedef struct {
  struct nm_pool *pool;
  int32_t index;
} nm_worker;

struct nm_pool {
  _Alignas(64) _Atomic uint32_t sequence; /* also the futex word sleeping workers wait on */
  _Atomic int32_t sleepers;
  _Atomic int32_t stopping;
  _Alignas(64) _Atomic int64_t completed;
  _Alignas(64) void (*fn)(void *, int64_t);
  void *ctx;
  nm_run *runs;   /* thread_count + 1; run 0 is the caller's */
  nm_flag *flags; /* thread_count + 1; flag 0 is unused */
  int32_t thread_count;
  pthread_t *threads;
  nm_worker *workers;
#ifndef NM_USE_FUTEX
  pthread_mutex_t lock;
  pthread_cond_t changed;
#endif
};

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Sleeps while the sequence still reads `seen`. The caller has counted itself in `sleepers`
 * before reading `seen`, and wake_all is called after every change of the sequence while
 * anyone sleeps, so no wake-up is lost. */
static void sleep_on(nm_pool *p, uint32_t seen) {
#ifdef NM_USE_FUTEX
  syscall(SYS_futex, (uint32_t *)&p->sequence, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
#else
  pthread_mutex_lock(&p->lock);
  while (atomic_load(&p->sequence) == seen) pthread_cond_wait(&p->changed, &p->lock);
  pthread_mutex_unlock(&p->lock);
#endif
}

static void wake_all(nm_pool *p) {
#ifdef NM_USE_FUTEX
  syscall(SYS_futex, (uint32_t *)&p->sequence, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
#else
  /* Under the lock: a sleeper between its check and its wait holds it. */
  pthread_mutex_lock(&p->lock);
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
#endif
}

/* Claims and runs items, from run `first` on, until none is left. */
static void work(nm_pool *p, int32_t first) {
  int32_t runs = p->thread_count + 1;
  void (*fn)(void *, int64_t) = p->fn;
  void *ctx = p->ctx;
  for (int32_t k = 0; k < runs; k++) {
    nm_run *run = &p->runs[(first + k) % runs];
    int64_t end = run->end;
    if (atomic_load_explicit(&run->next, memory_order_relaxed) >= end) continue;
    for (int64_t i; (i = atomic_fetch_add_explicit(&run->next, 1, memory_order_relaxed)) < end;) {
      fn(ctx, i);
      atomic_fetch_add_explicit(&p->completed, 1, memory_order_release);
    }
  }
}

static void *worker_main(void *arg) {
  nm_worker *me = arg;
  nm_pool *p = me->pool;
  nm_flag *flag = &p->flags[me->index];
  uint32_t done = 0; /* the last sequence this worker worked on */
  for (;;) {
    /* Spin for a newly published job, then sleep until the sequence changes. */
    uint64_t start = now_ns();
    uint32_t s;
    for (unsigned spins = 1;; spins++) {
      if (atomic_load_explicit(&p->stopping, memory_order_relaxed)) return NULL;
      s = atomic_load_explicit(&p->sequence, memory_order_relaxed);
      if (s != done && (s & 1) == 0) break;
      NM_PAUSE();
      /* Now and then give the processor away: if the scheduler has put this worker on the
       * caller's processor, the caller runs its share of the step meanwhile (measured: with
       * pure spinning, some runs on 2 processors were slower on 2 threads than on 1). */
      if ((spins & 63) == 0) sched_yield();
      if ((spins & 255) == 0 && now_ns() - start > NM_POOL_SPIN_NS) {
        atomic_fetch_add(&p->sleepers, 1);
        s = atomic_load(&p->sequence);
        if ((s == done || (s & 1)) && !atomic_load(&p->stopping)) sleep_on(p, s);
        atomic_fetch_sub(&p->sleepers, 1);
        start = now_ns();
      }
    }
    atomic_store(&flag->active, s);
    if (atomic_load(&p->sequence) == s) {
      work(p, me->index);
      done = s;
    }
    atomic_store_explicit(&flag->active, 0, memory_order_release);
  }
}

nm_pool *nm_pool_create(int32_t threads) {
  if (threads < 0) threads = 0;
  if (threads > 4096) threads = 4096;
  nm_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  size_t n = (size_t)threads + 1;
  p->threads = calloc(n, sizeof(pthread_t));
  p->workers = calloc(n, sizeof(nm_worker));
  p->runs = aligned_alloc(64, sizeof(nm_run) * n);
  p->flags = aligned_alloc(64, sizeof(nm_flag) * n);
  if (p->threads == NULL || p->workers == NULL || p->runs == NULL || p->flags == NULL) {
    free(p->threads);
    free(p->workers);
    free(p->runs);
    free(p->flags);
    free(p);
    return NULL;
  }
#ifndef NM_USE_FUTEX
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->changed, NULL);
#endif
  for (size_t k = 0; k < n; k++) {
    atomic_init(&p->runs[k].next, 0);
    p->runs[k].end = 0;
    atomic_init(&p->flags[k].active, 0);
  }
  /* The runs are sized by thread_count + 1 at every job; a worker reads thread_count only
   * inside a job, and jobs start after nm_pool_create has returned. */
  for (int32_t k = 0; k < threads; k++) {
    p->workers[k] = (nm_worker){p, k + 1};
    if (pthread_create(&p->threads[k], NULL, worker_main, &p->workers[k]) != 0) break;
    p->thread_count = k + 1;
  }
  return p;
}

int32_t nm_pool_threads(const nm_pool *p) { return p->thread_count; }

void nm_pool_run(nm_pool *p, void (*fn)(void *ctx, int64_t item), void *ctx, int64_t items) {
  if (items <= 0) return;
  int32_t runs = p->thread_count + 1;
  /* Close the last job: no worker may still be claiming from it when it is rewritten. */
  uint32_t published = atomic_load_explicit(&p->sequence, memory_order_relaxed);
  atomic_store(&p->sequence, published + 1);
  for (int32_t k = 1; k < runs; k++)
    for (unsigned spins = 1; atomic_load(&p->flags[k].active) == published && published != 0; spins++) {
      NM_PAUSE();
      if ((spins & 1023) == 0) sched_yield();
    }
  p->fn = fn;
  p->ctx = ctx;
  atomic_store_explicit(&p->completed, 0, memory_order_relaxed);
  for (int32_t k = 0; k < runs; k++) {
    atomic_store_explicit(&p->runs[k].next, items * k / runs, memory_order_relaxed);
    p->runs[k].end = items * (k + 1) / runs;
  }
  uint32_t next = published + 2;
  if (next == 0) next = 2; /* 0 means "nothing published yet" to the workers and the flags */
  atomic_store(&p->sequence, next); /* publishes the job */
  if (atomic_load(&p->sleepers) > 0) wake_all(p);
  work(p, 0);
  /* Every item is claimed; wait for the ones other threads still run (a worker that was
   * descheduled mid-item gets the processor back through sched_yield). */
  for (unsigned spins = 1; atomic_load_explicit(&p->completed, memory_order_acquire) < items; spins++) {
    NM_PAUSE();
    if ((spins & 1023) == 0) sched_yield();
  }
}

void nm_pool_destroy(nm_pool *p) {
  if (p == NULL) return;
  atomic_store(&p->stopping, 1);
  atomic_fetch_add(&p->sequence, 1); /* odd: no job, but a change that wakes sleepers */
  wake_all(p);
  for (int32_t k = 0; k < p->thread_count; k++) pthread_join(p->threads[k], NULL);
  free(p->threads);
  free(p->workers);
  free(p->runs);
  free(p->flags);
#ifndef NM_USE_FUTEX
  pthread_cond_destroy(&p->changed);
  pthread_mutex_destroy(&p->lock);
#endif
  free(p);
}
