/* Driver of the sparse fp32 1x1 convolution: pixel tiles over the pool.
 *
 * Every tile covers all output channels for a run of pixels of one image, so
 * tiles never write the same memory and threads need no synchronization;
 * the packed weights are shared read-only. */
#include "qkernels/spmm.h"
#include "qkernels/threadpool.h"

struct spmm_job {
  qk_f32_spmm_fn fn;
  size_t cin, cout, hw, groups;
  const float* input; /* image 0, channel first_channel, pixel 0 */
  const uint32_t* desc;
  const float* values;
  const int32_t* diffs;
  float* output;
  const qk_f32_minmax* params;
};

static void spmm_tile(void* context, size_t n, size_t p, size_t count_n, size_t count_p) {
  const struct spmm_job* j = (const struct spmm_job*) context;
  for (size_t b = n; b < n + count_n; b++) {
    j->fn(count_p, j->groups, j->input + b * j->cin * j->hw + p, j->values, j->diffs, j->desc,
          j->output + b * j->cout * j->hw + p, j->hw * sizeof(float), j->params);
  }
}

void qk_run_f32_spmm(const qk_ukernel* ukernel, size_t batch, size_t cin, size_t cout, size_t hw,
                     const float* input, size_t groups, uint32_t first_channel, const uint32_t* desc,
                     const float* values, const int32_t* diffs, float* output, const qk_f32_minmax* params,
                     size_t threads) {
  if (batch == 0 || hw == 0 || cout == 0) return;
  struct spmm_job j = {(qk_f32_spmm_fn) ukernel->fn, cin, cout, hw, groups, input + (size_t) first_channel * hw,
                       desc, values, diffs, output, params};
  const size_t mr = ukernel->mr ? ukernel->mr : 1;
  size_t tile = hw;
  if (threads > 1) {
    /* About 4 tiles per thread over the whole batch, so uneven tails and a
     * busy core balance out, in multiples of MR: a split MR tile runs the
     * slower remainder code twice, and every tile walks all the weights. */
    const size_t per_image = qk_divide_round_up(4 * threads, batch);
    tile = qk_round_up(qk_divide_round_up(hw, per_image), mr);
    if (tile >= hw && batch < threads) {
      /* A small image (7x7, 14x14) is less than one MR tile per thread:
       * split it evenly over the threads the batch leaves idle instead of
       * running it on one core. */
      const size_t parts = qk_divide_round_up(threads, batch);
      tile = qk_round_up(qk_divide_round_up(hw, parts), 4);
    }
    if (tile > hw) tile = hw;
  }
  qk_parallelize_2d_tile(spmm_tile, &j, batch, hw, 1, tile, threads);
}
