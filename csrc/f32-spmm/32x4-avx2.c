/* Sparse fp32 1x1 conv microkernel, AVX2 + FMA3: 32 pixels x groups of 1/2/4.
 *
 * Same walk as the SSE2 variant with 8-float vectors and fused multiply-add
 * (loads folded into vfmadd231ps where possible).  Fusing rounds once, so
 * results agree with the scalar twin within float rounding, not bit for bit.
 * - The pixel remainder (pixels % 32) is ONE pass of up to 4 vectors whose
 *   last one is masked (vmaskmovps: masked-off lanes are neither read nor
 *   written and cannot fault), instead of a 16/8/4/2/1 cascade: every pass
 *   walks all the nonzeros again whatever its width, and a 7x7 image would
 *   otherwise take 4 passes (32 + 16 + 1) instead of 2 (32 + 17).
 * - A single channel keeps two accumulator sets (even / odd columns), so 8
 *   FMA chains are in flight instead of 4; pairs and 4-groups (run as two
 *   16-pixel halves, 8 accumulators each within 16 ymm registers) have 8.
 * Measured against the plain 32-pixel cascade and a 64-pixel variant
 * (bench/spmm.py, interleaved runs on the development machine, Zen 4): this
 * one was as fast or faster on all five MobileNet v2 layers, though the
 * differences (0-20%) were of the size code placement alone produced. */
#include <immintrin.h>

#include "qkernels/spmm.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define ALWAYS_INLINE static __forceinline
#define UNROLL
#else
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")
#endif

/* Vector v of a tile of NV vectors: the last one is masked when MASKED. */
ALWAYS_INLINE __m256 load_v(const float* x, size_t v, size_t NV, int MASKED, __m256i mask) {
  if (MASKED && v == NV - 1) return _mm256_maskload_ps(x + 8 * v, mask);
  return _mm256_loadu_ps(x + 8 * v);
}

ALWAYS_INLINE void store_v(float* y, size_t v, size_t NV, int MASKED, __m256i mask, __m256 r) {
  if (MASKED && v == NV - 1) {
    _mm256_maskstore_ps(y + 8 * v, mask, r);
  } else {
    _mm256_storeu_ps(y + 8 * v, r);
  }
}

ALWAYS_INLINE const float* step(const float* x, int32_t diff) {
  return (const float*) ((const char*) x + diff);
}

/* One channel: even columns into acc, odd columns into acc2. */
ALWAYS_INLINE const float* group1(size_t NV, int MASKED, __m256i mask, size_t k, const float* w, const int32_t* d,
                                  const float* x, char* y, __m256 vmin, __m256 vmax) {
  __m256 acc[4], acc2[4];
  const __m256 b = _mm256_broadcast_ss(w);
  w += 1;
  UNROLL for (size_t v = 0; v < NV; v++) {
    acc[v] = b;
    acc2[v] = _mm256_setzero_ps();
  }
  for (; k >= 2; k -= 2) {
    const float* xa = x;
    const float* xb = step(x, d[0]);
    x = step(xb, d[1]);
    d += 2;
    const __m256 wa = _mm256_broadcast_ss(w), wb = _mm256_broadcast_ss(w + 1);
    w += 2;
    UNROLL for (size_t v = 0; v < NV; v++) {
      acc[v] = _mm256_fmadd_ps(wa, load_v(xa, v, NV, MASKED, mask), acc[v]);
      acc2[v] = _mm256_fmadd_ps(wb, load_v(xb, v, NV, MASKED, mask), acc2[v]);
    }
  }
  if (k != 0) {
    const __m256 wa = _mm256_broadcast_ss(w);
    UNROLL for (size_t v = 0; v < NV; v++) acc[v] = _mm256_fmadd_ps(wa, load_v(x, v, NV, MASKED, mask), acc[v]);
    x = step(x, d[0]);
  }
  UNROLL for (size_t v = 0; v < NV; v++) {
    const __m256 r = _mm256_add_ps(acc[v], acc2[v]);
    store_v((float*) y, v, NV, MASKED, mask, _mm256_min_ps(vmax, _mm256_max_ps(vmin, r)));
  }
  return x;
}

/* S = 2 or 4 channels over NV vectors (S * NV <= 8 accumulators). */
ALWAYS_INLINE const float* groupn(size_t NV, size_t S, int MASKED, __m256i mask, size_t k, const float* w,
                                  const int32_t* d, const float* x, char* y, size_t stride, __m256 vmin,
                                  __m256 vmax) {
  __m256 acc[4][4];
  UNROLL for (size_t j = 0; j < S; j++) {
    const __m256 b = _mm256_broadcast_ss(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  for (; k != 0; k--) {
    __m256 xi[4];
    UNROLL for (size_t v = 0; v < NV; v++) xi[v] = load_v(x, v, NV, MASKED, mask);
    x = step(x, *d++);
    UNROLL for (size_t j = 0; j < S; j++) {
      const __m256 vw = _mm256_broadcast_ss(w + j);
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = _mm256_fmadd_ps(vw, xi[v], acc[j][v]);
    }
    w += S;
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    UNROLL for (size_t v = 0; v < NV; v++) {
      store_v(out, v, NV, MASKED, mask, _mm256_min_ps(vmax, _mm256_max_ps(vmin, acc[j][v])));
    }
  }
  return x;
}

/* Every group for one tile of NV vectors (the last one masked when MASKED). */
ALWAYS_INLINE void tile(size_t NV, int MASKED, __m256i mask, size_t groups, const float* x, const float* w,
                        const int32_t* d, const uint32_t* desc, char* y, size_t stride, __m256 vmin, __m256 vmax) {
  for (size_t g = 0; g < groups; g++) {
    const uint32_t dsc = desc[g];
    const size_t k = QK_SPMM_GROUP_COLUMNS(dsc);
    const size_t S = QK_SPMM_GROUP_SIZE(dsc);
    switch (S) {
      case 1: x = group1(NV, MASKED, mask, k, w, d, x, y, vmin, vmax); break;
      case 2: x = groupn(NV, 2, MASKED, mask, k, w, d, x, y, stride, vmin, vmax); break;
      default:
        if (NV > 2) {
          /* Upper half (vectors 2..NV-1, holding the masked one if any) first;
           * the lower half's walk gives the next x. */
          groupn(NV - 2, 4, MASKED, mask, k, w, d, x + 16, y + 16 * sizeof(float), stride, vmin, vmax);
          x = groupn(2, 4, 0, mask, k, w, d, x, y, stride, vmin, vmax);
        } else {
          x = groupn(NV, 4, MASKED, mask, k, w, d, x, y, stride, vmin, vmax);
        }
        break;
    }
    w += S * (k + 1);
    y += S * stride;
    d += k;
  }
}

/* mask_table + 8 - n: n all-ones lanes, then zeros. */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

void f32_spmm_ukernel_32x4__avx2(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
  const __m256i none = _mm256_setzero_si256();
  for (; pixels >= 32; pixels -= 32, input += 32, output += 32) {
    tile(4, 0, none, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
  }
  if (pixels != 0) {
    const size_t nv = (pixels + 7) / 8;
    const __m256i mask = _mm256_loadu_si256((const __m256i*) (mask_table + 8 - (pixels - 8 * (nv - 1))));
    char* y = (char*) output;
    switch (nv) {
      case 1: tile(1, 1, mask, groups, input, values, diffs, desc, y, output_stride, vmin, vmax); break;
      case 2: tile(2, 1, mask, groups, input, values, diffs, desc, y, output_stride, vmin, vmax); break;
      case 3: tile(3, 1, mask, groups, input, values, diffs, desc, y, output_stride, vmin, vmax); break;
      default: tile(4, 1, mask, groups, input, values, diffs, desc, y, output_stride, vmin, vmax); break;
    }
  }
}
