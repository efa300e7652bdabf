/* Sparse fp32 1x1 conv microkernel, SSE2: 16 pixels x groups of 1/2/4 channels.
 *
 * Per column of a group: load the tile's input pixels of that input channel
 * (4 vectors), then one multiply and one add per vector and channel, with
 * the weight broadcast.  Separate mulps + addps in the scalar twin's order, so
 * the result equals f32_spmm_ukernel_8x4__scalar bit for bit.
 * Registers (16 xmm): a single channel uses 4 accumulators + 4 inputs, a pair
 * 8 + 4; a 4-channel group would need 16 accumulators, so it runs the 16-pixel
 * tile as two 8-pixel halves (8 accumulators each) that walk its columns twice.
 * Pixel tails 8/4/2/1 load and store exactly their pixels (movsd / movss
 * partial loads): nothing past the end of the input or output slice. */
#include <emmintrin.h>

#include "qkernels/spmm.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define ALWAYS_INLINE static __forceinline
#define UNROLL
#else
/* The tile shapes are compile-time constants of these helpers: inlining and
 * full unrolling turn the small accumulator arrays into registers. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")
#endif

/* W pixels (4, 2 or 1) of one vector. */
ALWAYS_INLINE __m128 load_px(const float* p, size_t W) {
  if (W == 4) return _mm_loadu_ps(p);
  if (W == 2) {
    /* movsd through memcpy: p is only 4-byte aligned, and _mm_load_sd would
     * dereference it as a double (undefined behaviour, UBSan flags it). */
    double t;
    memcpy(&t, p, sizeof t);
    return _mm_castpd_ps(_mm_set_sd(t));
  }
  return _mm_load_ss(p);
}

ALWAYS_INLINE void store_px(float* p, __m128 v, size_t W) {
  if (W == 4) {
    _mm_storeu_ps(p, v);
  } else if (W == 2) {
    const double t = _mm_cvtsd_f64(_mm_castps_pd(v));
    memcpy(p, &t, sizeof t);
  } else {
    _mm_store_ss(p, v);
  }
}

/* One group of S channels over NV vectors of W pixels; returns the input
 * pointer after walking the group's k columns. */
ALWAYS_INLINE const float* group(size_t NV, size_t W, size_t S, size_t k, const float* w, const int32_t* d,
                                 const float* x, char* y, size_t stride, __m128 vmin, __m128 vmax) {
  __m128 acc[4][4];
  UNROLL for (size_t j = 0; j < S; j++) {
    const __m128 b = _mm_load1_ps(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  for (; k != 0; k--) {
    __m128 xi[4];
    UNROLL for (size_t v = 0; v < NV; v++) xi[v] = load_px(x + 4 * v, W);
    /* Step to the next column right away: its address is ready long before
     * the next iteration's loads need it. */
    x = (const float*) ((const char*) x + *d++);
    UNROLL for (size_t j = 0; j < S; j++) {
      const __m128 vw = _mm_load1_ps(w + j);
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = _mm_add_ps(acc[j][v], _mm_mul_ps(vw, xi[v]));
    }
    w += S;
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    UNROLL for (size_t v = 0; v < NV; v++) {
      /* min/max with the bound first: a NaN accumulator passes through. */
      const __m128 r = _mm_min_ps(vmax, _mm_max_ps(vmin, acc[j][v]));
      store_px(out + 4 * v, r, W);
    }
  }
  return x;
}

/* Every group for one tile of NV vectors of W pixels. */
ALWAYS_INLINE void tile(size_t NV, size_t W, size_t groups, const float* x, const float* w, const int32_t* d,
                        const uint32_t* desc, char* y, size_t stride, __m128 vmin, __m128 vmax) {
  for (size_t g = 0; g < groups; g++) {
    const uint32_t dsc = desc[g];
    const size_t k = QK_SPMM_GROUP_COLUMNS(dsc);
    switch (dsc & QK_SPMM_DESC_CODE_MASK) {
      case 0:
        x = group(NV, W, 1, k, w, d, x, y, stride, vmin, vmax);
        w += k + 1;
        y += stride;
        break;
      case 1:
        x = group(NV, W, 2, k, w, d, x, y, stride, vmin, vmax);
        w += 2 * (k + 1);
        y += 2 * stride;
        break;
      default:
        if (NV > 2) {
          /* Second half first; the first half's walk gives the next x. */
          group(NV - 2, W, 4, k, w, d, x + 8, y + 8 * sizeof(float), stride, vmin, vmax);
          x = group(2, W, 4, k, w, d, x, y, stride, vmin, vmax);
        } else {
          x = group(NV, W, 4, k, w, d, x, y, stride, vmin, vmax);
        }
        w += 4 * (k + 1);
        y += 4 * stride;
        break;
    }
    d += k;
  }
}

void f32_spmm_ukernel_16x4__sse2(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  const __m128 vmin = _mm_set1_ps(params->min), vmax = _mm_set1_ps(params->max);
  for (; pixels >= 16; pixels -= 16, input += 16, output += 16) {
    tile(4, 4, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
  }
  if (pixels & 8) {
    tile(2, 4, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 8;
    output += 8;
  }
  if (pixels & 4) {
    tile(1, 4, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 4;
    output += 4;
  }
  if (pixels & 2) {
    tile(1, 2, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 2;
    output += 2;
  }
  if (pixels & 1) tile(1, 1, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
}
