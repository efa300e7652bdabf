/* Drivers of the elementwise adds: 1-D tiles of the flat arrays over the pool. */
#include "qkernels/threadpool.h"
#include "qkernels/vadd.h"

/* Big enough to amortize a task hand-off, small enough to balance 2-8 cores;
 * a multiple of every variant's step, so only the last tile has a tail. */
#define VADD_TILE 16384

struct vadd_job {
  const qk_ukernel* ukernel;
  const uint8_t* a;
  const uint8_t* b;
  uint8_t* y; /* int8 or uint8: one byte per element either way */
  const qk_vadd_params* params;
};

static void vadd_tile(void* context, size_t start, size_t count) {
  const struct vadd_job* j = (const struct vadd_job*) context;
  ((qk_vadd_fn) j->ukernel->fn)(count, j->a + start, j->b + start, j->y + start, j->params);
}

void qk_run_vadd(const qk_ukernel* ukernel, size_t n, const void* a, const void* b, void* y,
                 const qk_vadd_params* params, size_t threads) {
  struct vadd_job j = {ukernel, (const uint8_t*) a, (const uint8_t*) b, (uint8_t*) y, params};
  qk_parallelize_1d_tile(vadd_tile, &j, n, VADD_TILE, threads);
}

struct f32_vadd_job {
  const qk_ukernel* ukernel;
  const float* a;
  const float* b;
  float* y;
  const qk_f32_minmax* params;
};

static void f32_vadd_tile(void* context, size_t start, size_t count) {
  const struct f32_vadd_job* j = (const struct f32_vadd_job*) context;
  ((qk_f32_vadd_fn) j->ukernel->fn)(count, j->a + start, j->b + start, j->y + start, j->params);
}

void qk_run_f32_vadd(const qk_ukernel* ukernel, size_t n, const float* a, const float* b, float* y,
                     const qk_f32_minmax* params, size_t threads) {
  struct f32_vadd_job j = {ukernel, a, b, y, params};
  /* 4 bytes per element: a quarter of the elements for the same bytes. */
  qk_parallelize_1d_tile(f32_vadd_tile, &j, n, VADD_TILE / 4, threads);
}
