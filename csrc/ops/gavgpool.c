/* Driver of quantized global average pooling: a 2-D grid of (image, channel
 * slice) tiles over the pool.  Each tile is one microkernel call over all
 * H*W rows of its channels, so every output is reduced by a single call and
 * the result does not depend on the tiling or the thread count. */
#include "qkernels/gavgpool.h"
#include "qkernels/threadpool.h"

/* Aim for at least this many input bytes per tile (task hand-off costs about
 * as much as summing a few KB), in whole blocks of the variant's channels. */
#define GAVGPOOL_TILE_BYTES 16384

struct gavgpool_job {
  const qk_ukernel* ukernel;
  size_t rows, channels;
  const uint8_t* input; /* int8 or uint8: one byte per element either way */
  uint8_t* output;
  const qk_gavgpool_params* params;
};

static void gavgpool_tile(void* context, size_t n, size_t c, size_t count_n, size_t count_c) {
  const struct gavgpool_job* j = (const struct gavgpool_job*) context;
  for (size_t i = n; i < n + count_n; i++) {
    ((qk_gavgpool_fn) j->ukernel->fn)(j->rows, count_c, j->input + (i * j->rows) * j->channels + c, j->channels,
                                      j->output + i * j->channels + c, j->params);
  }
}

void qk_run_gavgpool(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t channels, const void* input,
                     void* output, const qk_gavgpool_params* params, size_t threads) {
  struct gavgpool_job j = {ukernel, rows, channels, (const uint8_t*) input, (uint8_t*) output, params};
  const size_t block = ukernel->nr > 16 ? ukernel->nr : 16;
  size_t tile = qk_round_up(QK_MAX(GAVGPOOL_TILE_BYTES / rows, 1), block);
  if (tile > channels) tile = channels;
  qk_parallelize_2d_tile(gavgpool_tile, &j, batch, channels, 1, tile, threads);
}
