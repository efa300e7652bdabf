/* Sparse fp32 1x1 conv microkernel, aarch64 NEON with FMA: 32 pixels x groups of 1/2/4.
 *
 * aarch64 only (armv7 has neither vfma by lane on every core nor 32 vector
 * registers; it uses 16x4-neon.c).  Per column of a single channel: 8 q loads
 * (paired into ldp), one weight broadcast (ld1r), the increment load and add,
 * and 8 fmla: ~19 instructions for 32 multiply-accumulates.  32 registers hold
 * 8 accumulators + 8 inputs for one channel, 16 + 8 for a pair (weights in a
 * d register, fmla by lane); a 4-channel group runs as two 16-pixel halves
 * (16 accumulators + 4 inputs + one q of weights).  FMA rounds once, so results
 * agree with the scalar twin within float rounding, not bit for bit.
 * Tails 16/8/4 use q vectors, 2/1 d vectors with exact-size loads and stores:
 * nothing outside the pixels given is read or written. */
#include "qkernels/spmm.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

ALWAYS_INLINE float32x4_t fma_q(float32x4_t acc, float32x4_t x, size_t S, size_t j, float32x4_t vw) {
  if (S == 1) return vfmaq_laneq_f32(acc, x, vw, 0);
  if (S == 2) return j == 0 ? vfmaq_lane_f32(acc, x, vget_low_f32(vw), 0) : vfmaq_lane_f32(acc, x, vget_low_f32(vw), 1);
  switch (j) {
    case 0: return vfmaq_laneq_f32(acc, x, vw, 0);
    case 1: return vfmaq_laneq_f32(acc, x, vw, 1);
    case 2: return vfmaq_laneq_f32(acc, x, vw, 2);
    default: return vfmaq_laneq_f32(acc, x, vw, 3);
  }
}

ALWAYS_INLINE float32x2_t fma_d(float32x2_t acc, float32x2_t x, size_t S, size_t j, float32x4_t vw) {
  if (S == 2) return j == 0 ? vfma_lane_f32(acc, x, vget_low_f32(vw), 0) : vfma_lane_f32(acc, x, vget_low_f32(vw), 1);
  switch (j) {
    case 0: return vfma_laneq_f32(acc, x, vw, 0);
    case 1: return vfma_laneq_f32(acc, x, vw, 1);
    case 2: return vfma_laneq_f32(acc, x, vw, 2);
    default: return vfma_laneq_f32(acc, x, vw, 3);
  }
}

/* Exactly the group's S weights of one column (never past the values array). */
ALWAYS_INLINE float32x4_t load_w(const float* w, size_t S) {
  if (S == 4) return vld1q_f32(w);
  /* Only the low half is used (fmla by lane of a d register). */
  if (S == 2) {
    const float32x2_t w2 = vld1_f32(w);
    return vcombine_f32(w2, w2);
  }
  return vld1q_dup_f32(w);
}

ALWAYS_INLINE const float* group_q(size_t NV, size_t S, size_t k, const float* w, const int32_t* d,
                                   const float* x, char* y, size_t stride, float32x4_t vmin, float32x4_t vmax) {
  float32x4_t acc[4][8];
  UNROLL for (size_t j = 0; j < S; j++) {
    const float32x4_t b = vld1q_dup_f32(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  for (; k != 0; k--) {
    float32x4_t xi[8];
    UNROLL for (size_t v = 0; v < NV; v++) xi[v] = vld1q_f32(x + 4 * v);
    x = (const float*) ((const char*) x + *d++);
    const float32x4_t vw = load_w(w, S);
    w += S;
    UNROLL for (size_t j = 0; j < S; j++) {
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = fma_q(acc[j][v], xi[v], S, j, vw);
    }
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    UNROLL for (size_t v = 0; v < NV; v++) vst1q_f32(out + 4 * v, vminq_f32(vmaxq_f32(acc[j][v], vmin), vmax));
  }
  return x;
}

ALWAYS_INLINE const float* group_d(size_t W, size_t S, size_t k, const float* w, const int32_t* d,
                                   const float* x, char* y, size_t stride, float32x4_t vmin, float32x4_t vmax) {
  float32x2_t acc[4];
  UNROLL for (size_t j = 0; j < S; j++) acc[j] = vld1_dup_f32(w + j);
  w += S;
  for (; k != 0; k--) {
    const float32x2_t xi = W == 2 ? vld1_f32(x) : vld1_dup_f32(x);
    x = (const float*) ((const char*) x + *d++);
    const float32x4_t vw = load_w(w, S);
    w += S;
    UNROLL for (size_t j = 0; j < S; j++) acc[j] = fma_d(acc[j], xi, S, S == 1 ? 0 : j, vw);
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    const float32x2_t r = vmin_f32(vmax_f32(acc[j], vget_low_f32(vmin)), vget_low_f32(vmax));
    if (W == 2) {
      vst1_f32(out, r);
    } else {
      vst1_lane_f32(out, r, 0);
    }
  }
  return x;
}

/* Every group for one tile: NV q vectors, or (NV == 0) one d vector of W pixels. */
ALWAYS_INLINE void tile(size_t NV, size_t W, size_t groups, const float* x, const float* w, const int32_t* d,
                        const uint32_t* desc, char* y, size_t stride, float32x4_t vmin, float32x4_t vmax) {
  for (size_t g = 0; g < groups; g++) {
    const uint32_t dsc = desc[g];
    const size_t k = QK_SPMM_GROUP_COLUMNS(dsc);
    const size_t S = QK_SPMM_GROUP_SIZE(dsc);
    if (NV == 0) {
      switch (S) {
        case 1: x = group_d(W, 1, k, w, d, x, y, stride, vmin, vmax); break;
        case 2: x = group_d(W, 2, k, w, d, x, y, stride, vmin, vmax); break;
        default: x = group_d(W, 4, k, w, d, x, y, stride, vmin, vmax); break;
      }
    } else {
      switch (S) {
        case 1: x = group_q(NV, 1, k, w, d, x, y, stride, vmin, vmax); break;
        case 2: x = group_q(NV, 2, k, w, d, x, y, stride, vmin, vmax); break;
        default:
          if (NV > 4) {
            group_q(NV - 4, 4, k, w, d, x + 16, y + 16 * sizeof(float), stride, vmin, vmax);
            x = group_q(4, 4, k, w, d, x, y, stride, vmin, vmax);
          } else {
            x = group_q(NV, 4, k, w, d, x, y, stride, vmin, vmax);
          }
          break;
      }
    }
    w += S * (k + 1);
    y += S * stride;
    d += k;
  }
}

void f32_spmm_ukernel_32x4__neon(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  const float32x4_t vmin = vld1q_dup_f32(&params->min), vmax = vld1q_dup_f32(&params->max);
  for (; pixels >= 32; pixels -= 32, input += 32, output += 32) {
    tile(8, 4, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
  }
  if (pixels & 16) {
    tile(4, 4, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 16;
    output += 16;
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
    tile(0, 2, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 2;
    output += 2;
  }
  if (pixels & 1) tile(0, 1, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
}

#else
typedef int qk_f32_spmm_32x4_neon_needs_aarch64; /* armv7: see 16x4-neon.c */
#endif
