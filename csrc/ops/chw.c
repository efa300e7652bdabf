/* Drivers of the fp32 CHW kernels: split one operator call into tiles and
 * run them on the thread pool.  Tiles are sized so each carries a few
 * thousand outputs (enough to amortize a hand-off, small enough to balance
 * 2-8 cores); the microkernels are pure functions of their buffers, so any
 * tiling gives the same bits. */
#include "qkernels/chw.h"
#include "qkernels/threadpool.h"

/* Outputs per tile we aim for. */
#define CHW_TILE_OUTPUTS 4096

static size_t tile_count(size_t per_unit, size_t range) {
  size_t t = per_unit >= CHW_TILE_OUTPUTS ? 1 : CHW_TILE_OUTPUTS / (per_unit ? per_unit : 1);
  return t < 1 ? 1 : (t > range ? range : t);
}

/* ---- depthwise: 2-D tiles over (batch*channel planes, output rows) ---- */

struct dwconv_job {
  qk_f32_dwconv2d_chw_fn fn;
  size_t taps, channels, input_height, input_width, output_height, output_width;
  const float* input;
  const float* weights;
  float* output;
  qk_chw_params params;
};

static void dwconv_task(void* context, size_t plane, size_t y, size_t planes, size_t rows) {
  const struct dwconv_job* j = (const struct dwconv_job*) context;
  for (size_t p = plane; p < plane + planes; p++) {
    j->fn(j->input_height, j->input_width, y, y + rows, j->input + p * j->input_height * j->input_width,
          j->weights + p % j->channels * (1 + j->taps), j->output + p * j->output_height * j->output_width,
          &j->params);
  }
}

void qk_run_f32_dwconv2d_chw(const qk_ukernel* ukernel, size_t kernel_size, size_t stride, size_t padding,
                             size_t batch, size_t channels, size_t input_height, size_t input_width,
                             const float* input, const float* weights, float* output, float output_min,
                             float output_max, size_t threads) {
  struct dwconv_job j;
  j.fn = (qk_f32_dwconv2d_chw_fn) ukernel->fn;
  j.taps = kernel_size * kernel_size;
  j.channels = channels;
  j.input_height = input_height;
  j.input_width = input_width;
  j.output_height = (input_height + 2 * padding - kernel_size) / stride + 1;
  j.output_width = (input_width + 2 * padding - kernel_size) / stride + 1;
  j.input = input;
  j.weights = weights;
  j.output = output;
  j.params.min = output_min;
  j.params.max = output_max;
  const size_t plane = j.output_height * j.output_width;
  /* Small planes (7x7 at the end of MobileNet): several planes per tile;
   * big planes (112x112): bands of rows within a plane. */
  const size_t tile_planes = tile_count(plane, batch * channels);
  const size_t tile_rows = tile_planes > 1 ? j.output_height : tile_count(j.output_width, j.output_height);
  qk_parallelize_2d_tile(dwconv_task, &j, batch * channels, j.output_height, tile_planes, tile_rows, threads);
}

/* ---- stem: 2-D tiles over (batch, output rows); every tile does all output channels ---- */

struct hwc2chw_job {
  qk_f32_conv_hwc2chw_fn fn;
  size_t input_height, input_width, output_channels, output_plane;
  const float* input;
  const float* weights;
  float* output;
  qk_chw_params params;
};

static void hwc2chw_task(void* context, size_t image, size_t y, size_t images, size_t rows) {
  const struct hwc2chw_job* j = (const struct hwc2chw_job*) context;
  for (size_t n = image; n < image + images; n++) {
    j->fn(j->input_height, j->input_width, y, y + rows, j->input + n * j->input_height * j->input_width * 3,
          j->weights, j->output + n * j->output_channels * j->output_plane, j->output_channels, &j->params);
  }
}

void qk_run_f32_conv_hwc2chw(const qk_ukernel* ukernel, size_t batch, size_t input_height, size_t input_width,
                             size_t output_channels, const float* input, const float* packed_weights,
                             float* output, float output_min, float output_max, size_t threads) {
  struct hwc2chw_job j;
  j.fn = (qk_f32_conv_hwc2chw_fn) ukernel->fn;
  j.input_height = input_height;
  j.input_width = input_width;
  j.output_channels = output_channels;
  const size_t output_height = (input_height - 1) / 2 + 1;
  const size_t output_width = (input_width - 1) / 2 + 1;
  j.output_plane = output_height * output_width;
  j.input = input;
  j.weights = packed_weights;
  j.output = output;
  j.params.min = output_min;
  j.params.max = output_max;
  const size_t tile_rows = tile_count(output_width * output_channels, output_height);
  qk_parallelize_2d_tile(hwc2chw_task, &j, batch, output_height, 1, tile_rows, threads);
}

/* ---- global average pooling: 1-D tiles over planes ---- */

struct gavgpool_job {
  qk_f32_gavgpool_chw_fn fn;
  size_t elements;
  const float* input;
  float* output;
  float scale;
  qk_chw_params params;
};

static void gavgpool_task(void* context, size_t start, size_t count) {
  const struct gavgpool_job* j = (const struct gavgpool_job*) context;
  j->fn(count, j->elements, j->input + start * j->elements, j->output + start, j->scale, &j->params);
}

void qk_run_f32_gavgpool_chw(const qk_ukernel* ukernel, size_t planes, size_t elements, const float* input,
                             float* output, float output_min, float output_max, size_t threads) {
  struct gavgpool_job j;
  j.fn = (qk_f32_gavgpool_chw_fn) ukernel->fn;
  j.elements = elements;
  j.input = input;
  j.output = output;
  /* 1/elements rounded once to float32 (the documented scale). */
  j.scale = (float) (1.0 / (double) elements);
  j.params.min = output_min;
  j.params.max = output_max;
  qk_parallelize_1d_tile(gavgpool_task, &j, planes, tile_count(elements, planes), threads);
}

/* ---- transpose: square tiles of each matrix, so a tile's reads and writes
 * both stay within a few KB (cache friendly for any aspect ratio) ---- */

#define TRANSPOSE_TILE 64

struct transpose_job {
  qk_x32_transpose_fn fn;
  size_t rows, cols;
  const uint32_t* input;
  uint32_t* output;
};

static void transpose_task(void* context, size_t r, size_t c, size_t nr, size_t nc) {
  const struct transpose_job* j = (const struct transpose_job*) context;
  j->fn(nr, nc, j->input + r * j->cols + c, j->cols, j->output + c * j->rows + r, j->rows);
}

void qk_run_x32_transpose(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t cols,
                          const uint32_t* input, uint32_t* output, size_t threads) {
  for (size_t n = 0; n < batch; n++) {
    struct transpose_job j = {(qk_x32_transpose_fn) ukernel->fn, rows, cols, input + n * rows * cols,
                              output + n * rows * cols};
    qk_parallelize_2d_tile(transpose_task, &j, rows, cols, TRANSPOSE_TILE, TRANSPOSE_TILE, threads);
  }
}
