/* Driver of the standalone requantization kernels: 1-D tiles over the pool. */
#include "qkernels/ops.h"
#include "qkernels/threadpool.h"

/* Big enough to amortize a task hand-off, small enough to balance 2-8 cores. */
#define REQUANT_TILE 16384

struct requant_job {
  const qk_ukernel* ukernel;
  const int32_t* input;
  uint8_t* output; /* int8 or uint8: one byte per value either way */
  float scale;
  int32_t multiplier;
  uint32_t shift;
  const qk_qparams* params;
};

static void fp32_tile(void* context, size_t start, size_t count) {
  const struct requant_job* j = (const struct requant_job*) context;
  ((qk_requant_fp32_fn) j->ukernel->fn)(count, j->input + start, j->output + start, j->scale, j->params);
}

static void gemmlowp_tile(void* context, size_t start, size_t count) {
  const struct requant_job* j = (const struct requant_job*) context;
  ((qk_requant_gemmlowp_fn) j->ukernel->fn)(count, j->input + start, j->output + start, j->multiplier, j->shift,
                                            j->params);
}

void qk_run_requant_fp32(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output, float scale,
                         const qk_qparams* params, size_t threads) {
  struct requant_job j = {ukernel, input, (uint8_t*) output, scale, 0, 0, params};
  qk_parallelize_1d_tile(fp32_tile, &j, n, REQUANT_TILE, threads);
}

void qk_run_requant_gemmlowp(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output,
                             int32_t multiplier, uint32_t shift, const qk_qparams* params, size_t threads) {
  struct requant_job j = {ukernel, input, (uint8_t*) output, 0.0f, multiplier, shift, params};
  qk_parallelize_1d_tile(gemmlowp_tile, &j, n, REQUANT_TILE, threads);
}
