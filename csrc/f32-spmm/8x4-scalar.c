/* Sparse fp32 1x1 conv microkernel, portable C: the reference twin of every
 * SIMD variant (format and contract: qkernels/spmm.h).
 *
 * Per output element the arithmetic is: acc = bias; for each column in packed
 * order, acc = acc + w * x (a rounded multiply, then a rounded add); then
 * clamp.  The SSE2 and armv7 NEON variants do exactly the same operations in
 * the same order and so equal this bit for bit; the FMA variants (AVX2,
 * aarch64) fuse the multiply-add and agree within float rounding.
 * 8 pixels per tile: enough independent accumulators to hide add latency
 * while a 4-channel group (32 accumulators) still fits on a 32-register FPU. */
#include "qkernels/spmm.h"

#if defined(__clang__)
/* clang contracts a + b * c into an FMA by default; the twin must not. (gcc
 * does not fuse in ISO C mode, -std=c11, which the build uses.) */
#pragma STDC FP_CONTRACT OFF
#endif

void f32_spmm_ukernel_8x4__scalar(size_t pixels, size_t groups, const float* input, const float* values,
                                  const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                  const qk_f32_minmax* params) {
  const float vmin = params->min, vmax = params->max;
  while (pixels != 0) {
    const size_t m = pixels < 8 ? pixels : 8;
    const float* w = values;
    const int32_t* d = diffs;
    const float* x = input;
    char* y = (char*) output;
    for (size_t g = 0; g < groups; g++) {
      const size_t s = QK_SPMM_GROUP_SIZE(desc[g]);
      float acc[4][8];
      for (size_t j = 0; j < s; j++) {
        for (size_t i = 0; i < m; i++) acc[j][i] = w[j];
      }
      w += s;
      for (size_t k = QK_SPMM_GROUP_COLUMNS(desc[g]); k != 0; k--) {
        for (size_t j = 0; j < s; j++) {
          for (size_t i = 0; i < m; i++) acc[j][i] = acc[j][i] + w[j] * x[i];
        }
        w += s;
        /* Only pixels [0, m) of this slice were read; move to the next column. */
        x = (const float*) ((const char*) x + *d++);
      }
      for (size_t j = 0; j < s; j++) {
        float* out = (float*) (y + j * output_stride);
        for (size_t i = 0; i < m; i++) {
          float v = acc[j][i];
          /* Written so that NaN passes through, like maxps(min, v) / vmaxq. */
          v = v < vmin ? vmin : v;
          v = v > vmax ? vmax : v;
          out[i] = v;
        }
      }
      y += s * output_stride;
    }
    input += m;
    output += m;
    pixels -= m;
  }
}
