/* Sparse fp32 1x1 conv microkernel, aarch64 NEON with FMA: 64 pixels x groups of 1/2/4.
 *
 * aarch64 only (armv7 lacks fused multiply-add by lane and has 16 vector
 * registers, not 32; it uses 16x4-neon.c).  FMA rounds once, so results agree
 * with the scalar twin within float rounding, not bit for bit.
 *
 * A single channel covers 64 pixels per column: 8 ldp of input pixels, the
 * weight (ldr s), the increment (ldrsw) and its add, 16 fmla by lane, loop
 * control: 30 instructions for 64 multiply-accumulates, with 16 accumulators
 * and the inputs in two halves of 8.  A pair runs in two passes of 32 pixels
 * (16 accumulators + 8 inputs, both weights in one d register), a 4-channel
 * group in four passes of 16 (16 accumulators + 4 inputs + one q of weights);
 * a pass re-walks only its group's columns.
 *
 * Instruction counts (bench/spmm_icount.sh: qemu, cortex-a72, the five
 * MobileNet v2 layers at 80%), not the XNNPACK 32x1 shape, decided:
 * - 64 pixels for single channels: the per-channel cost (decode, bias,
 *   stores) is paid once per 64 pixels instead of 32, which matters when a
 *   channel has few nonzeros (144x24x3136: 4.8): 0.763 -> 0.624 per MAC.
 * - The pixel remainder: one 32-pixel tile if >= 32 remain, then ONE pass of
 *   r/4 full vectors plus a partial vector of r%4 pixels, loaded and stored
 *   with exact-size ldr s / ldr d (+ lane) accesses, instead of a 16/8/4/2/1
 *   cascade (every pass walks all nonzeros again; 49 = 32 + 17 took 3
 *   passes): 320x960x49 0.806 -> 0.680.
 * - The clamp is skipped (one branch per group instead of 2 instructions per
 *   accumulator) when output_min/max are -inf/+inf, which leave every value,
 *   NaN included, unchanged. */
#include "qkernels/spmm.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

ALWAYS_INLINE float32x4_t fma_lane(float32x4_t acc, float32x4_t x, size_t S, size_t j, float32x4_t vw) {
  if (S == 1) return vfmaq_laneq_f32(acc, x, vw, 0);
  if (S == 2) return j == 0 ? vfmaq_lane_f32(acc, x, vget_low_f32(vw), 0) : vfmaq_lane_f32(acc, x, vget_low_f32(vw), 1);
  switch (j) {
    case 0: return vfmaq_laneq_f32(acc, x, vw, 0);
    case 1: return vfmaq_laneq_f32(acc, x, vw, 1);
    case 2: return vfmaq_laneq_f32(acc, x, vw, 2);
    default: return vfmaq_laneq_f32(acc, x, vw, 3);
  }
}

/* Exactly the group's S weights of one column (never past the values array). */
ALWAYS_INLINE float32x4_t load_w(const float* w, size_t S) {
  if (S == 4) return vld1q_f32(w);
  if (S == 2) {
    const float32x2_t w2 = vld1_f32(w); /* only the low half is used */
    return vcombine_f32(w2, w2);
  }
  /* Used by lane 0 only: the dup folds away, leaving one ldr s. */
  return vld1q_dup_f32(w);
}

/* P (1..3) pixels at p into the low lanes of a q register; exact-size loads
 * (these spellings compile to ldr s / ldr d with an immediate offset). */
ALWAYS_INLINE float32x4_t load_partial(const float* p, size_t P) {
  if (P == 1) return vcombine_f32(vset_lane_f32(p[0], vdup_n_f32(0.0f), 0), vdup_n_f32(0.0f));
  const float32x4_t lo = vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
  return P == 2 ? lo : vld1q_lane_f32(p + 2, lo, 2);
}

ALWAYS_INLINE void store_partial(float* p, float32x4_t r, size_t P) {
  if (P == 1) {
    vst1q_lane_f32(p, r, 0);
  } else {
    vst1_f32(p, vget_low_f32(r));
    if (P == 3) vst1q_lane_f32(p + 2, r, 2);
  }
}

/* Vectors [V0, V0 + NV) of a tile of NVT full vectors plus, when P != 0, a
 * partial vector NVT of P pixels (included when V0 + NV > NVT), for the S
 * channels of one group.  Returns x after walking the group's k columns. */
ALWAYS_INLINE const float* pass(size_t S, size_t V0, size_t NV, size_t NVT, size_t P, size_t k, const float* w,
                                const int32_t* d, const float* x, char* y, size_t stride, int clamp,
                                float32x4_t vmin, float32x4_t vmax) {
  float32x4_t acc[4][16];
  UNROLL for (size_t j = 0; j < S; j++) {
    const float32x4_t b = vld1q_dup_f32(w + j);
    UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = b;
  }
  w += S;
  x += 4 * V0;
  for (; k != 0; k--) {
    if (NV > 8) {
      /* 16 accumulators of one channel, inputs in two halves of 8 vectors:
       * 16 + 8 + 1 registers.  The empty asm keeps the compiler from hoisting
       * the second half's loads above the first half's FMAs (it did, and
       * then spilled an input to the stack in every iteration). */
      const float32x4_t vw = load_w(w, S);
      w += S;
      UNROLL for (size_t v = 0; v < 8; v++) acc[0][v] = fma_lane(acc[0][v], vld1q_f32(x + 4 * v), 1, 0, vw);
      __asm__ volatile("" ::: "memory");
      UNROLL for (size_t v = 8; v < NV; v++) acc[0][v] = fma_lane(acc[0][v], vld1q_f32(x + 4 * v), 1, 0, vw);
      x = (const float*) ((const char*) x + *d++);
    } else {
      float32x4_t xi[8];
      UNROLL for (size_t v = 0; v < NV; v++) {
        xi[v] = V0 + v < NVT ? vld1q_f32(x + 4 * v) : load_partial(x + 4 * v, P);
      }
      x = (const float*) ((const char*) x + *d++);
      const float32x4_t vw = load_w(w, S);
      w += S;
      UNROLL for (size_t j = 0; j < S; j++) {
        UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = fma_lane(acc[j][v], xi[v], S, j, vw);
      }
    }
  }
  if (clamp) {
    UNROLL for (size_t j = 0; j < S; j++) {
      UNROLL for (size_t v = 0; v < NV; v++) acc[j][v] = vminq_f32(vmaxq_f32(acc[j][v], vmin), vmax);
    }
  }
  UNROLL for (size_t j = 0; j < S; j++) {
    float* out = (float*) (y + j * stride) + 4 * V0;
    UNROLL for (size_t v = 0; v < NV; v++) {
      if (V0 + v < NVT) {
        vst1q_f32(out + 4 * v, acc[j][v]);
      } else {
        store_partial(out + 4 * v, acc[j][v], P);
      }
    }
  }
  return x - 4 * V0;
}

/* Every group for one tile of NVT full vectors and a partial one of P pixels. */
ALWAYS_INLINE void tile(size_t NVT, size_t P, size_t groups, const float* x, const float* w, const int32_t* d,
                        const uint32_t* desc, char* y, size_t stride, int clamp, float32x4_t vmin,
                        float32x4_t vmax) {
  const size_t NV = NVT + (P != 0); /* vectors in all, <= 16 */
  for (size_t g = 0; g < groups; g++) {
    const uint32_t dsc = desc[g];
    const size_t k = QK_SPMM_GROUP_COLUMNS(dsc);
    const size_t S = QK_SPMM_GROUP_SIZE(dsc);
    const float* next;
    switch (S) {
      case 1: next = pass(1, 0, NV, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax); break;
      case 2:
        next = pass(2, 0, NV < 8 ? NV : 8, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        if (NV > 8) pass(2, 8, NV - 8, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        break;
      default:
        next = pass(4, 0, NV < 4 ? NV : 4, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        if (NV > 4) pass(4, 4, NV < 8 ? NV - 4 : 4, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        if (NV > 8) pass(4, 8, NV < 12 ? NV - 8 : 4, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        if (NV > 12) pass(4, 12, NV - 12, NVT, P, k, w, d, x, y, stride, clamp, vmin, vmax);
        break;
    }
    x = next;
    w += S * (k + 1);
    y += S * stride;
    d += k;
  }
}

#define REMAINDER(r) \
  case r: tile((r) / 4, (r) % 4, groups, input, values, diffs, desc, y, output_stride, clamp, vmin, vmax); break;

void f32_spmm_ukernel_64x4__neon(size_t pixels, size_t groups, const float* input, const float* values,
                                 const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                                 const qk_f32_minmax* params) {
  const float32x4_t vmin = vld1q_dup_f32(&params->min), vmax = vld1q_dup_f32(&params->max);
  const int clamp = !(params->min == -__builtin_inff() && params->max == __builtin_inff());
  for (; pixels >= 64; pixels -= 64, input += 64, output += 64) {
    tile(16, 0, groups, input, values, diffs, desc, (char*) output, output_stride, clamp, vmin, vmax);
  }
  if (pixels >= 32) {
    tile(8, 0, groups, input, values, diffs, desc, (char*) output, output_stride, clamp, vmin, vmax);
    pixels -= 32;
    input += 32;
    output += 32;
  }
  char* y = (char*) output;
  switch (pixels) {
    REMAINDER(1) REMAINDER(2) REMAINDER(3) REMAINDER(4) REMAINDER(5) REMAINDER(6) REMAINDER(7) REMAINDER(8)
    REMAINDER(9) REMAINDER(10) REMAINDER(11) REMAINDER(12) REMAINDER(13) REMAINDER(14) REMAINDER(15)
    REMAINDER(16) REMAINDER(17) REMAINDER(18) REMAINDER(19) REMAINDER(20) REMAINDER(21) REMAINDER(22)
    REMAINDER(23) REMAINDER(24) REMAINDER(25) REMAINDER(26) REMAINDER(27) REMAINDER(28) REMAINDER(29)
    REMAINDER(30) REMAINDER(31)
    default: break;
  }
}

#else
typedef int qk_f32_spmm_32x4_neon_needs_aarch64; /* armv7: see 16x4-neon.c */
#endif
