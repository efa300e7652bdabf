/* Persistent pthread pool; see qkernels/threadpool.h for the contract. */
#define _GNU_SOURCE
#include "qkernels/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

/* A parallel-for is a range of task indices [0, n); task i is a tile. */
typedef void (*task_fn)(void* job, size_t index);

static struct {
  pthread_mutex_t call_lock; /* owned by the caller using the pool */
  pthread_mutex_t lock;      /* protects everything below */
  pthread_cond_t wake;       /* workers wait here for a new generation */
  pthread_cond_t done;       /* the caller waits here for the stragglers */
  size_t workers;            /* threads alive */
  size_t generation;         /* bumped for every job */
  size_t wanted;             /* workers taking part in the current job */
  task_fn fn;
  void* job;
  size_t count;
  atomic_size_t next; /* next task index to hand out */
  size_t default_threads;
  size_t born[QK_MAX_THREADS + 1]; /* generation at each worker's creation */
  /* Lock-free: `published` mirrors generation for the workers' spin phase;
   * `state` is generation * 2 + 1 while the current job admits workers,
   * generation * 2 once its caller has closed it; `active` counts the
   * workers inside a job (see parallel_for). */
  atomic_size_t published;
  atomic_size_t state;
  atomic_size_t active;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* Spin before sleeping.  A network calls the pool once per layer, 50-100
 * times per inference, with 10-50 us of Python between calls; waking a
 * sleeping worker through the condition variable costs about as much as a
 * small layer on a virtual machine, so 2 threads ran no faster than 1.
 * Workers therefore poll for the next job for a while (QK_SPIN pause
 * iterations, tens of microseconds) before they sleep, and the caller polls
 * for the stragglers before it waits.  Spinning only shortcuts the wait: the
 * lock/condition-variable protocol below decides everything. */
#define QK_SPIN 4000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield");
#endif
}

static void run_tasks(task_fn fn, void* job, size_t count) {
  for (;;) {
    const size_t i = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed);
    if (i >= count) return;
    fn(job, i);
  }
}

/* A worker leaves a job (or gives up joining one); the last one out wakes a
 * caller that went to sleep waiting for it. */
static void leave_job(void) {
  if (atomic_fetch_sub(&pool.active, 1) == 1) {
    pthread_mutex_lock(&pool.lock);
    pthread_cond_signal(&pool.done);
    pthread_mutex_unlock(&pool.lock);
  }
}

static void* worker_main(void* arg) {
  const size_t id = (size_t) arg; /* 1-based: the caller is thread 0 */
  pthread_mutex_lock(&pool.lock);
  /* Not the current generation: a worker created for a job must not miss it. */
  size_t seen = pool.born[id];
  for (;;) {
    if (pool.generation == seen) {
      pthread_mutex_unlock(&pool.lock);
      for (int spin = 0; spin < QK_SPIN; spin++) {
        if (atomic_load_explicit(&pool.published, memory_order_acquire) != seen) break;
        cpu_relax();
      }
      pthread_mutex_lock(&pool.lock);
    }
    while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
    seen = pool.generation;
    if (id >= pool.wanted) continue; /* not needed for this job */
    task_fn fn = pool.fn;
    void* job = pool.job;
    const size_t count = pool.count;
    pthread_mutex_unlock(&pool.lock);
    /* Join job `seen` only if it is still open: entering first, then
     * checking (both sequentially consistent), means that either the caller
     * sees us in `active` when it closes the job, or we see it closed and
     * never touch the job (whose data lives on the caller's stack). */
    atomic_fetch_add(&pool.active, 1);
    if (atomic_load(&pool.state) == 2 * seen + 1) run_tasks(fn, job, count);
    leave_job();
    pthread_mutex_lock(&pool.lock);
  }
  return NULL;
}

/* fork(): the child has only the forking thread.  Hold both locks across the
 * fork so no job is half set up, then give the child a fresh, empty pool. */
static void atfork_prepare(void) {
  pthread_mutex_lock(&pool.call_lock);
  pthread_mutex_lock(&pool.lock);
}
static void atfork_parent(void) {
  pthread_mutex_unlock(&pool.lock);
  pthread_mutex_unlock(&pool.call_lock);
}
static void atfork_child(void) {
  pthread_mutex_init(&pool.call_lock, NULL);
  pthread_mutex_init(&pool.lock, NULL);
  pthread_cond_init(&pool.wake, NULL);
  pthread_cond_init(&pool.done, NULL);
  pool.workers = 0;
  pool.wanted = 0;
  atomic_store(&pool.active, 0);
  atomic_store(&pool.state, 2 * pool.generation);
  atomic_store(&pool.published, pool.generation);
}

static void pool_init(void) {
  pool.default_threads = qk_available_cpus();
  if (pool.default_threads > QK_MAX_THREADS) pool.default_threads = QK_MAX_THREADS;
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

size_t qk_available_cpus(void) {
#if defined(__linux__) && defined(CPU_COUNT)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return (size_t) n;
  }
#endif
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (size_t) n : 1;
}

size_t qk_get_num_threads(void) {
  pthread_once(&pool_once, pool_init);
  pthread_mutex_lock(&pool.lock);
  const size_t n = pool.default_threads;
  pthread_mutex_unlock(&pool.lock);
  return n;
}

void qk_set_num_threads(size_t n) {
  pthread_once(&pool_once, pool_init);
  if (n < 1) n = 1;
  if (n > QK_MAX_THREADS) n = QK_MAX_THREADS;
  pthread_mutex_lock(&pool.lock);
  pool.default_threads = n;
  pthread_mutex_unlock(&pool.lock);
}

size_t qk_pool_workers(void) {
  pthread_once(&pool_once, pool_init);
  pthread_mutex_lock(&pool.lock);
  const size_t n = pool.workers;
  pthread_mutex_unlock(&pool.lock);
  return n;
}

/* Make sure `n` workers exist; returns how many do (thread creation can fail). */
static size_t grow_locked(size_t n) {
  while (pool.workers < n) {
    pthread_t t;
    pthread_attr_t attr;
    pool.born[pool.workers + 1] = pool.generation;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int rc = pthread_create(&t, &attr, worker_main, (void*) (pool.workers + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    pool.workers++;
  }
  return pool.workers < n ? pool.workers : n;
}

static void parallel_for(task_fn fn, void* job, size_t count, size_t threads) {
  if (count == 0) return;
  pthread_once(&pool_once, pool_init);
  if (threads == 0) threads = qk_get_num_threads();
  if (threads > count) threads = count;
  if (threads > QK_MAX_THREADS) threads = QK_MAX_THREADS;
  /* Single-threaded, or the pool is busy with another caller: run inline. */
  if (threads <= 1 || pthread_mutex_trylock(&pool.call_lock) != 0) {
    for (size_t i = 0; i < count; i++) fn(job, i);
    return;
  }
  pthread_mutex_lock(&pool.lock);
  const size_t helpers = grow_locked(threads - 1);
  pool.fn = fn;
  pool.job = job;
  pool.count = count;
  atomic_store_explicit(&pool.next, 0, memory_order_relaxed);
  pool.wanted = helpers + 1;
  pool.generation++;
  atomic_store(&pool.state, 2 * pool.generation + 1);
  atomic_store_explicit(&pool.published, pool.generation, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  run_tasks(fn, job, count);

  /* Every task is claimed.  Close the job and wait only for the workers that
   * joined it (they may still be running a task), not for every worker
   * woken: on a busy machine a woken worker may not get a core for a
   * scheduler time slice, and waiting for it to check in cost milliseconds
   * per layer (2 threads 5x slower than 1 under load). */
  atomic_store(&pool.state, 2 * pool.generation);
  for (int spin = 0; spin < QK_SPIN; spin++) {
    if (atomic_load(&pool.active) == 0) break;
    cpu_relax();
  }
  pthread_mutex_lock(&pool.lock);
  while (atomic_load(&pool.active) != 0) pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  pthread_mutex_unlock(&pool.call_lock);
}

/* ---- tiled front ends ---- */

struct job_1d {
  qk_task_1d_fn fn;
  void* context;
  size_t range, tile;
};

static void task_1d(void* job, size_t index) {
  const struct job_1d* j = (const struct job_1d*) job;
  const size_t start = index * j->tile;
  const size_t count = j->range - start < j->tile ? j->range - start : j->tile;
  j->fn(j->context, start, count);
}

void qk_parallelize_1d_tile(qk_task_1d_fn fn, void* context, size_t range, size_t tile, size_t threads) {
  if (range == 0) return;
  if (tile == 0) tile = 1;
  struct job_1d j = {fn, context, range, tile};
  parallel_for(task_1d, &j, qk_divide_round_up(range, tile), threads);
}

struct job_2d {
  qk_task_2d_fn fn;
  void* context;
  size_t range_i, range_j, tile_i, tile_j, tiles_j;
};

static void task_2d(void* job, size_t index) {
  const struct job_2d* j = (const struct job_2d*) job;
  const size_t start_i = index / j->tiles_j * j->tile_i;
  const size_t start_j = index % j->tiles_j * j->tile_j;
  const size_t count_i = j->range_i - start_i < j->tile_i ? j->range_i - start_i : j->tile_i;
  const size_t count_j = j->range_j - start_j < j->tile_j ? j->range_j - start_j : j->tile_j;
  j->fn(j->context, start_i, start_j, count_i, count_j);
}

void qk_parallelize_2d_tile(qk_task_2d_fn fn, void* context, size_t range_i, size_t range_j, size_t tile_i,
                            size_t tile_j, size_t threads) {
  if (range_i == 0 || range_j == 0) return;
  if (tile_i == 0) tile_i = 1;
  if (tile_j == 0) tile_j = 1;
  struct job_2d j = {fn, context, range_i, range_j, tile_i, tile_j, qk_divide_round_up(range_j, tile_j)};
  parallel_for(task_2d, &j, qk_divide_round_up(range_i, tile_i) * j.tiles_j, threads);
}
