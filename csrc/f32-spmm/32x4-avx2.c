/* Sparse fp32 1x1 conv microkernel, AVX2 + FMA3: 32 pixels x groups of 1/2/4.
 *
 * Same walk as the SSE2 variant with 8-float vectors and fused multiply-add:
 * per column, 4 loads of 8 pixels and one vfmadd per vector and channel.
 * Fusing rounds once instead of twice, so results agree with the scalar twin
 * within float rounding (not bit for bit).  Why 32: 4 independent FMA chains
 * per channel cover the FMA latency x throughput product of current cores
 * (4 cycles x 2 per cycle would like 8; pairs and 4-groups give 8 chains),
 * and a larger tile would only grow the remainder work at 7x7 and 14x14.
 * A 4-channel group runs as two 16-pixel halves (8 accumulators each, 16
 * ymm registers in all).  Tails 16/8 use full vectors, 4/2/1 128-bit partial
 * loads/stores: nothing outside the given pixels is touched. */
#include <immintrin.h>

#include "qkernels/spmm.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define ALWAYS_INLINE static __forceinline
#define UNROLL
#else
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")
#endif

/* NV vectors of 8 pixels. */
ALWAYS_INLINE const float* group8(size_t NV, size_t S, size_t k, const float* w, const int32_t* d, const float* x,
                                  char* y, size_t stride, __m256 vmin, __m256 vmax) {
  __m256 acc[4][4];
  UNROLL for (size_t j = 0; j < S; j++) {
    const __m256 b = _mm256_broadcast_ss(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  for (; k != 0; k--) {
    __m256 xi[4];
    UNROLL for (size_t v = 0; v < NV; v++) xi[v] = _mm256_loadu_ps(x + 8 * v);
    x = (const float*) ((const char*) x + *d++);
    UNROLL for (size_t j = 0; j < S; j++) {
      const __m256 vw = _mm256_broadcast_ss(w + j);
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = _mm256_fmadd_ps(vw, xi[v], acc[j][v]);
    }
    w += S;
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    UNROLL for (size_t v = 0; v < NV; v++) {
      _mm256_storeu_ps(out + 8 * v, _mm256_min_ps(vmax, _mm256_max_ps(vmin, acc[j][v])));
    }
  }
  return x;
}

/* One vector of W = 4, 2 or 1 pixels. */
ALWAYS_INLINE __m128 load_px(const float* p, size_t W) {
  if (W == 4) return _mm_loadu_ps(p);
  if (W == 2) return _mm_castpd_ps(_mm_load_sd((const double*) p));
  return _mm_load_ss(p);
}

ALWAYS_INLINE void store_px(float* p, __m128 v, size_t W) {
  if (W == 4) {
    _mm_storeu_ps(p, v);
  } else if (W == 2) {
    _mm_store_sd((double*) p, _mm_castps_pd(v));
  } else {
    _mm_store_ss(p, v);
  }
}

ALWAYS_INLINE const float* group4(size_t W, size_t S, size_t k, const float* w, const int32_t* d, const float* x,
                                  char* y, size_t stride, __m128 vmin, __m128 vmax) {
  __m128 acc[4];
  UNROLL for (size_t j = 0; j < S; j++) acc[j] = _mm_broadcast_ss(w + j);
  w += S;
  for (; k != 0; k--) {
    const __m128 xi = load_px(x, W);
    x = (const float*) ((const char*) x + *d++);
    UNROLL for (size_t j = 0; j < S; j++) acc[j] = _mm_fmadd_ps(_mm_broadcast_ss(w + j), xi, acc[j]);
    w += S;
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    store_px((float*) (y + j * stride), _mm_min_ps(vmax, _mm_max_ps(vmin, acc[j])), W);
  }
  return x;
}

/* Every group for one tile: NV 8-pixel vectors, or (NV == 0) one W-pixel vector. */
ALWAYS_INLINE void tile(size_t NV, size_t W, size_t groups, const float* x, const float* w, const int32_t* d,
                        const uint32_t* desc, char* y, size_t stride, const qk_f32_minmax* params) {
  const __m256 vmin8 = _mm256_set1_ps(params->min), vmax8 = _mm256_set1_ps(params->max);
  const __m128 vmin4 = _mm_set1_ps(params->min), vmax4 = _mm_set1_ps(params->max);
  for (size_t g = 0; g < groups; g++) {
    const uint32_t dsc = desc[g];
    const size_t k = QK_SPMM_GROUP_COLUMNS(dsc);
    const size_t S = QK_SPMM_GROUP_SIZE(dsc);
    if (NV == 0) {
      switch (S) {
        case 1: x = group4(W, 1, k, w, d, x, y, stride, vmin4, vmax4); break;
        case 2: x = group4(W, 2, k, w, d, x, y, stride, vmin4, vmax4); break;
        default: x = group4(W, 4, k, w, d, x, y, stride, vmin4, vmax4); break;
      }
    } else {
      switch (S) {
        case 1: x = group8(NV, 1, k, w, d, x, y, stride, vmin8, vmax8); break;
        case 2: x = group8(NV, 2, k, w, d, x, y, stride, vmin8, vmax8); break;
        default:
          if (NV > 2) {
            group8(NV - 2, 4, k, w, d, x + 16, y + 16 * sizeof(float), stride, vmin8, vmax8);
            x = group8(2, 4, k, w, d, x, y, stride, vmin8, vmax8);
          } else {
            x = group8(NV, 4, k, w, d, x, y, stride, vmin8, vmax8);
          }
          break;
      }
    }
    w += S * (k + 1);
    y += S * stride;
    d += k;
  }
}

void f32_spmm_ukernel_32x4__avx2(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  for (; pixels >= 32; pixels -= 32, input += 32, output += 32) {
    tile(4, 8, groups, input, values, diffs, desc, (char*) output, output_stride, params);
  }
  if (pixels & 16) {
    tile(2, 8, groups, input, values, diffs, desc, (char*) output, output_stride, params);
    input += 16;
    output += 16;
  }
  if (pixels & 8) {
    tile(1, 8, groups, input, values, diffs, desc, (char*) output, output_stride, params);
    input += 8;
    output += 8;
  }
  if (pixels & 4) {
    tile(0, 4, groups, input, values, diffs, desc, (char*) output, output_stride, params);
    input += 4;
    output += 4;
  }
  if (pixels & 2) {
    tile(0, 2, groups, input, values, diffs, desc, (char*) output, output_stride, params);
    input += 2;
    output += 2;
  }
  if (pixels & 1) tile(0, 1, groups, input, values, diffs, desc, (char*) output, output_stride, params);
}
