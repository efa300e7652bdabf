/* im2col for 8-bit convolutions with few input channels (the 3-channel stem):
 * out[b][oy*OW + ox][(ky*KW + kx)*C + c] = x[b][iy][ix][c], or the padding
 * byte (the input zero point) where (iy, ix) falls outside the image.  The
 * rows are then one plain GEMM with K = KH*KW*C (OHWI weights are already in
 * this order).  Why not the indirect GEMM: with C = 3 it would run a K tail
 * of 3 once per tap; why not numpy (np.take over index tables): it was most
 * of the stem's time once the GEMM kernels got fast.  Rows are split over the
 * thread pool. */
#include "qkernels/gemm.h"
#include "qkernels/threadpool.h"

#include <string.h>

struct im2col_job {
  const qk_im2col_geometry* g;
  const uint8_t* x;
  uint8_t* out;
  uint8_t pad;
};

/* One output row (oy) of image b: OW pixels of KH*KW*C bytes each. */
static void im2col_rows(void* context, size_t start, size_t count) {
  const struct im2col_job* j = (const struct im2col_job*) context;
  const qk_im2col_geometry* g = j->g;
  const size_t c = g->c, tap_row = g->kw * c, k = g->kh * tap_row;
  for (size_t r = start; r < start + count; r++) {
    const size_t b = r / g->oh, oy = r % g->oh;
    const uint8_t* image = j->x + b * g->h * g->w * c;
    uint8_t* o = j->out + r * g->ow * k;
    for (size_t ox = 0; ox < g->ow; ox++) {
      for (size_t ky = 0; ky < g->kh; ky++) {
        /* unsigned wrap-around makes "negative" coordinates fail the < h test */
        const size_t iy = oy * g->sh + ky * g->dh - g->pt;
        if (iy >= g->h) {
          memset(o, j->pad, tap_row);
          o += tap_row;
          continue;
        }
        const uint8_t* row = image + iy * g->w * c;
        for (size_t kx = 0; kx < g->kw; kx++) {
          const size_t ix = ox * g->sw + kx * g->dw - g->pl;
          if (ix >= g->w) {
            for (size_t i = 0; i < c; i++) o[i] = j->pad;
          } else {
            const uint8_t* p = row + ix * c;
            for (size_t i = 0; i < c; i++) o[i] = p[i]; /* C is small: a byte loop beats memcpy calls */
          }
          o += c;
        }
      }
    }
  }
}

void qk_im2col(const qk_im2col_geometry* g, size_t batch, const void* x, uint8_t pad, void* out, size_t threads) {
  struct im2col_job j = {g, (const uint8_t*) x, (uint8_t*) out, pad};
  qk_parallelize_1d_tile(im2col_rows, &j, batch * g->oh, 1, threads);
}
