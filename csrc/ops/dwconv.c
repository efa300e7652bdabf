/* Depthwise convolution driver: the indirection buffer and the row loop.
 * Layout of the indirection buffer: qkernels/dwconv.h. */
#include "qkernels/dwconv.h"
#include "qkernels/threadpool.h"

static int compact_layout(const qk_dwconv_geometry* g) {
  /* Neighbouring pixels share columns only with unit column dilation and a
   * stride no larger than the kernel; the kernel must fill every tap so the
   * column height equals KH for every pixel. */
  return g->kh == g->kw && g->kh * g->kw == g->taps && g->dilation_w == 1 && g->stride_w <= g->kw;
}

void qk_dwconv_indirection_layout(const qk_dwconv_geometry* g, size_t* step, size_t* row_entries) {
  if (compact_layout(g)) {
    *step = g->stride_w * g->kh;
    *row_entries = g->kh * (g->kw + (g->out_width - 1) * g->stride_w);
  } else {
    *step = g->taps;
    *row_entries = g->taps * g->out_width;
  }
}

static size_t entry(const qk_dwconv_geometry* g, size_t oy, size_t ky, ptrdiff_t x) {
  const ptrdiff_t y = (ptrdiff_t) (oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t) g->pad_top;
  if (y < 0 || y >= (ptrdiff_t) g->height || x < 0 || x >= (ptrdiff_t) g->width) return QK_DWCONV_ZERO;
  return ((size_t) y * g->width + (size_t) x) * g->channels;
}

void qk_dwconv_indirection_init(const qk_dwconv_geometry* g, size_t* out) {
  size_t step, row_entries;
  qk_dwconv_indirection_layout(g, &step, &row_entries);
  for (size_t oy = 0; oy < g->out_height; oy++) {
    size_t* row = out + oy * row_entries;
    if (compact_layout(g)) {
      const size_t columns = row_entries / g->kh;
      for (size_t j = 0; j < columns; j++) {
        for (size_t ky = 0; ky < g->kh; ky++) {
          row[j * g->kh + ky] = entry(g, oy, ky, (ptrdiff_t) j - (ptrdiff_t) g->pad_left);
        }
      }
    } else {
      for (size_t ox = 0; ox < g->out_width; ox++) {
        for (size_t t = 0; t < g->taps; t++) {
          size_t e = QK_DWCONV_ZERO;
          if (t < g->kh * g->kw) {
            const size_t kx = t / g->kh, ky = t % g->kh;
            const ptrdiff_t x = (ptrdiff_t) (ox * g->stride_w + kx * g->dilation_w) - (ptrdiff_t) g->pad_left;
            e = entry(g, oy, ky, x);
          }
          row[ox * g->taps + t] = e;
        }
      }
    }
  }
}

struct dwconv_job {
  qk_dwconv_fn fn;
  const qk_dwconv_geometry* g;
  const size_t* indirection;
  size_t step, row_entries;
  const uint8_t* input;
  const void* zero;
  const void* packed;
  uint8_t* output;
  const qk_dwconv_params* params;
};

static void rows_task(void* context, size_t start, size_t count) {
  const struct dwconv_job* j = (const struct dwconv_job*) context;
  const qk_dwconv_geometry* g = j->g;
  const size_t image_in = g->height * g->width * g->channels;
  const size_t row_out = g->out_width * g->channels;
  for (size_t r = start; r < start + count; r++) {
    const size_t n = r / g->out_height, oy = r % g->out_height;
    j->fn(g->channels, g->out_width, j->indirection + oy * j->row_entries, j->step, j->input + n * image_in,
          j->zero, j->packed, j->output + r * row_out, g->channels, j->params);
  }
}

/* A task of about this many MACs amortizes the hand-off; rows are the unit. */
#define DWCONV_TASK_MACS 65536

void qk_run_dwconv(const qk_ukernel* ukernel, const qk_dwconv_geometry* g, size_t batch, const size_t* indirection,
                   const void* input, const void* zero, const void* packed, void* output,
                   const qk_dwconv_params* params, size_t threads) {
  struct dwconv_job j = {(qk_dwconv_fn) ukernel->fn, g, indirection, 0, 0, (const uint8_t*) input, zero, packed,
                         (uint8_t*) output, params};
  qk_dwconv_indirection_layout(g, &j.step, &j.row_entries);
  const size_t rows = batch * g->out_height;
  const size_t row_macs = g->out_width * g->channels * g->taps;
  size_t tile = row_macs >= DWCONV_TASK_MACS ? 1 : DWCONV_TASK_MACS / (row_macs ? row_macs : 1);
  /* keep at least a few tiles per thread so the pool can balance */
  if (threads > 1 && tile * threads * 4 > rows) tile = QK_MAX(rows / (threads * 4), 1);
  qk_parallelize_1d_tile(rows_task, &j, rows, tile, threads);
}
