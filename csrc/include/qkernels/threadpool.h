/* A persistent pthread pool with tiled parallel-for loops.
 *
 * One process-wide pool grows on demand up to QK_MAX_THREADS workers.  A call
 * runs its tiles on the calling thread plus (threads - 1) workers, which take
 * tiles from a shared atomic counter so uneven tiles balance themselves.  If
 * another caller already owns the pool (two Python threads calling operators
 * with the GIL released), the second call runs all its tiles on its own thread
 * instead of waiting: never corrupt, never deadlock.  After fork() the child
 * starts with an empty pool and creates workers again on first use. */
#ifndef QKERNELS_THREADPOOL_H
#define QKERNELS_THREADPOOL_H

#include "qkernels/common.h"

#define QK_MAX_THREADS 256

typedef void (*qk_task_1d_fn)(void* context, size_t start, size_t count);
typedef void (*qk_task_2d_fn)(void* context, size_t start_i, size_t start_j, size_t count_i, size_t count_j);

/* fn(context, start, count) for tiles of `tile` over [0, range). */
void qk_parallelize_1d_tile(qk_task_1d_fn fn, void* context, size_t range, size_t tile, size_t threads);
/* fn over a 2-D grid of tile_i x tile_j tiles covering range_i x range_j. */
void qk_parallelize_2d_tile(qk_task_2d_fn fn, void* context, size_t range_i, size_t range_j,
                            size_t tile_i, size_t tile_j, size_t threads);

/* CPUs available to this process (affinity mask aware), at least 1. */
size_t qk_available_cpus(void);
size_t qk_get_num_threads(void);
void qk_set_num_threads(size_t n); /* 1..QK_MAX_THREADS, caller validates */
/* Workers currently alive (for tests of the fork path). */
size_t qk_pool_workers(void);

#endif
