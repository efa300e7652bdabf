/* Sparse fp32 1x1 conv microkernel, NEON with vmla: 16 pixels x groups of 1/2/4.
 *
 * The armv7 variant (also built for aarch64, where it is the exact fallback).
 * vmla does a rounded multiply and then a rounded add, the scalar twin's
 * arithmetic, in the same order, so results equal f32_spmm_ukernel_8x4__scalar
 * bit for bit (armv7 NEON flushes denormals to zero: identical only for
 * normal numbers).  Registers: armv7 has 16 q registers, so one channel
 * uses 4 accumulators + 4 inputs, a pair 8 + 4 (weights in one d register,
 * multiplied by lane), and a 4-channel group runs as two 8-pixel halves
 * (8 accumulators, weights in one q register) walking its columns twice.
 * Tails 8/4 use q vectors, 2/1 d vectors with exact-size loads and stores
 * (vld1_f32, vld1_dup_f32 / vst1_lane_f32): nothing outside the pixels given. */
#if defined(__clang__)
/* arm_neon.h spells vmla as a + b * c; clang would fuse it unless told not to. */
#pragma STDC FP_CONTRACT OFF
#endif
#include <arm_neon.h>

#include "qkernels/spmm.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

/* Accumulate weight lane j of the group's S weights into acc. */
ALWAYS_INLINE float32x4_t mla_q(float32x4_t acc, float32x4_t x, const float* w, size_t S, size_t j,
                                float32x2_t wlo, float32x2_t whi) {
  (void) w;
  if (S == 1) return vmlaq_lane_f32(acc, x, wlo, 0);
  switch (j) {
    case 0: return vmlaq_lane_f32(acc, x, wlo, 0);
    case 1: return vmlaq_lane_f32(acc, x, wlo, 1);
    case 2: return vmlaq_lane_f32(acc, x, whi, 0);
    default: return vmlaq_lane_f32(acc, x, whi, 1);
  }
}

ALWAYS_INLINE float32x2_t mla_d(float32x2_t acc, float32x2_t x, const float* w, size_t S, size_t j,
                                float32x2_t wlo, float32x2_t whi) {
  (void) w;
  if (S == 1) return vmla_lane_f32(acc, x, wlo, 0);
  switch (j) {
    case 0: return vmla_lane_f32(acc, x, wlo, 0);
    case 1: return vmla_lane_f32(acc, x, wlo, 1);
    case 2: return vmla_lane_f32(acc, x, whi, 0);
    default: return vmla_lane_f32(acc, x, whi, 1);
  }
}

/* The group's S (1, 2 or 4) weights of one column, loaded exactly. */
ALWAYS_INLINE void load_w(const float* w, size_t S, float32x2_t* wlo, float32x2_t* whi) {
  if (S == 4) {
    const float32x4_t v = vld1q_f32(w);
    *wlo = vget_low_f32(v);
    *whi = vget_high_f32(v);
  } else if (S == 2) {
    *wlo = vld1_f32(w);
    *whi = *wlo;
  } else {
    /* vld1.32 {d[]}: the weight straight into a NEON register (with w[0] as
     * a scalar operand gcc went through a core register and 4 vmov). */
    *wlo = *whi = vld1_dup_f32(w);
  }
}

/* One group of S channels over NV q vectors (4 pixels each). */
ALWAYS_INLINE const float* group_q(size_t NV, size_t S, size_t k, const float* w, const int32_t* d,
                                   const float* x, char* y, size_t stride, float32x4_t vmin, float32x4_t vmax) {
  float32x4_t acc[4][4];
  UNROLL for (size_t j = 0; j < S; j++) {
    const float32x4_t b = vld1q_dup_f32(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  for (; k != 0; k--) {
    float32x4_t xi[4];
    /* One walking pointer: armv7 vld1 has no immediate offset, only
     * post-increment, so this avoids an address add per vector. */
    const float* p = x;
    UNROLL for (size_t v = 0; v < NV; v++) {
      xi[v] = vld1q_f32(p);
      p += 4;
    }
    x = (const float*) ((const char*) x + *d++);
    float32x2_t wlo, whi;
    load_w(w, S, &wlo, &whi);
    UNROLL for (size_t j = 0; j < S; j++) {
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = mla_q(acc[j][v], xi[v], w, S, j, wlo, whi);
    }
    w += S;
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride);
    UNROLL for (size_t v = 0; v < NV; v++) vst1q_f32(out + 4 * v, vminq_f32(vmaxq_f32(acc[j][v], vmin), vmax));
  }
  return x;
}

/* One group of S channels over one d vector of W = 2 or 1 pixels. */
ALWAYS_INLINE const float* group_d(size_t W, size_t S, size_t k, const float* w, const int32_t* d,
                                   const float* x, char* y, size_t stride, float32x4_t vmin, float32x4_t vmax) {
  float32x2_t acc[4];
  UNROLL for (size_t j = 0; j < S; j++) acc[j] = vld1_dup_f32(w + j);
  w += S;
  for (; k != 0; k--) {
    const float32x2_t xi = W == 2 ? vld1_f32(x) : vld1_dup_f32(x);
    x = (const float*) ((const char*) x + *d++);
    float32x2_t wlo, whi;
    load_w(w, S, &wlo, &whi);
    UNROLL for (size_t j = 0; j < S; j++) acc[j] = mla_d(acc[j], xi, w, S, j, wlo, whi);
    w += S;
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
          if (NV > 2) {
            group_q(NV - 2, 4, k, w, d, x + 8, y + 8 * sizeof(float), stride, vmin, vmax);
            x = group_q(2, 4, k, w, d, x, y, stride, vmin, vmax);
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

void f32_spmm_ukernel_16x4__neon(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  const float32x4_t vmin = vld1q_dup_f32(&params->min), vmax = vld1q_dup_f32(&params->max);
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
    tile(0, 2, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
    input += 2;
    output += 2;
  }
  if (pixels & 1) tile(0, 1, groups, input, values, diffs, desc, (char*) output, output_stride, vmin, vmax);
}
