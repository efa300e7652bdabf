/* Body of the NEON 4x8 (kr = 1) 8-bit GEMM/IGEMM kernels, armv7 and aarch64
 * (instantiated by csrc/qs8-gemm/4x8-neon.c and csrc/qu8-gemm/4x8-neon.c).
 *
 * Scheme (the QNNPACK q8gemm 4x8 design, written anew): activations and
 * weights are widened to int16 (qu8: w - w_zp with one usubl), then each
 * k step does, per row, two smlal-by-lane (4 columns each) of the 8 weights
 * of that k against activation lane k.  int16 x int16 -> int32 products are
 * exact for every input (|a * (w - w_zp)| <= 65025), so nothing can
 * overflow.  8 int32x4 accumulators + 4 widened activation rows + 2 widened
 * weight rows = 14 of armv7's 16 q registers.  Per 8 k: 64 smlal, 4 + 4 loads,
 * 4 + 8 widenings: ~0.33 instructions per MAC in the loop at best (aarch64,
 * GCC's code from the intrinsics: ~0.34; armv7, the asm pieces of
 * QK_4X8_K8: 87 instructions per 64 MACs with clang, 94 with GCC).
 *
 * Tails: K tail (kc % 8) with an exact-length activation load and one k per
 * step (the activation vector shifted down a lane each time); N tail with
 * 4/2/1-byte stores.  Rows >= mr reuse row mr-1's pointers and outputs. */
#ifndef QKERNELS_GEMM_4X8_NEON_H
#define QKERNELS_GEMM_4X8_NEON_H

#include "qkernels/gemm-neon.h"

/* acc_lo/hi += w[0..3] / w[4..7] * va[L] */
#if defined(__aarch64__)
#define QK_4X8_MLA(lo, hi, vw, va, L)                    \
  lo = vmlal_laneq_s16(lo, vget_low_s16(vw), va, L); \
  hi = vmlal_high_laneq_s16(hi, vw, va, L);
#else
#define QK_4X8_MLA(lo, hi, vw, va, L)                                                            \
  lo = vmlal_lane_s16(lo, vget_low_s16(vw), (L) < 4 ? vget_low_s16(va) : vget_high_s16(va), (L) & 3); \
  hi = vmlal_lane_s16(hi, vget_high_s16(vw), (L) < 4 ? vget_low_s16(va) : vget_high_s16(va), (L) & 3);
#endif

#define QK_4X8_STEP(vw, L)                   \
  QK_4X8_MLA(acc0l, acc0h, vw, va0, L)       \
  QK_4X8_MLA(acc1l, acc1h, vw, va1, L)       \
  QK_4X8_MLA(acc2l, acc2h, vw, va2, L)       \
  QK_4X8_MLA(acc3l, acc3h, vw, va3, L)

/* QK_4X8_K8(IS_SIGNED, WIDEN_A, WIDEN_W): 8 k of the 4 rows (activations
 * from a0..a3, weights from wp, both advanced). */
#if defined(__GNUC__) && !defined(__aarch64__) && defined(__OPTIMIZE__)
/* (Not at -O0: clang cannot give the 15 q operands their registers there,
 * "inline assembly requires more registers than available"; the intrinsics
 * below serve unoptimized builds, tools/check_arm_flags.py compiles both.)
 * armv7 (GCC and clang): the 8-k step in asm pieces (activation row loads,
 * then 2 k per weight piece: a 16-byte load into q14, the 2 widenings into
 * q15, 16 smlal).  With the intrinsics, clang 14 (its SelectionDAG pre-RA
 * scheduler) widens several weight rows ahead of their multiplies and keeps
 * the activations out of q0-q3 (vmlal.s16 by lane reads d0-d7 only): copies
 * and spills, 0.646 instructions per MAC on 196x576x96; it also turns
 * vmovl(vld1_u8) into an extending load that goes through the stack.  GCC 12
 * compiled the intrinsics to 0.399 and compiles the asm pieces to 0.377
 * (its allocation still moves an accumulator through q0-q3 each iteration:
 * 94 instructions per 64 MACs), clang 14 to 0.349 (87).  "x" = q0-q3, the
 * lane operands; %P prints a d register for GCC. */
#define QK_4X8_WA_1 "vmovl.s8 %q0, %e0"
#define QK_4X8_WA_0 "vmovl.u8 %q0, %e0"
#define QK_4X8_WW_1(src) "vmovl.s8 q15, " src "\n\t"
#define QK_4X8_WW_0(src) "vsubl.u8 q15, " src ", %P[zp]\n\t"
#define QK_4X8_H0 "%e"
#define QK_4X8_H1 "%e"
#define QK_4X8_H2 "%e"
#define QK_4X8_H3 "%e"
#define QK_4X8_H4 "%f"
#define QK_4X8_H5 "%f"
#define QK_4X8_H6 "%f"
#define QK_4X8_H7 "%f"
#define QK_4X8_ROW_MLA(i, L) \
  "vmlal.s16 %q[c" #i "l], d30, " QK_4X8_H##L "[a" #i "][" #L " & 3]\n\t" \
  "vmlal.s16 %q[c" #i "h], d31, " QK_4X8_H##L "[a" #i "][" #L " & 3]\n\t"
#define QK_4X8_MLA8(L) QK_4X8_ROW_MLA(0, L) QK_4X8_ROW_MLA(1, L) QK_4X8_ROW_MLA(2, L) QK_4X8_ROW_MLA(3, L)
#define QK_4X8_LDA(i, IS_SIGNED) \
  __asm__("vld1.8 {%e0}, [%1]!\n\t" QK_4X8_WA_##IS_SIGNED : "=x"(va##i), "+r"(a##i) : "m"(*(const uint8_t(*)[8]) a##i));
#define QK_4X8_W2(L0, L1, IS_SIGNED)                                                                       \
  __asm__("vld1.8 {d28-d29}, [%[w]]!\n\t" QK_4X8_WW_##IS_SIGNED("d28") QK_4X8_MLA8(L0)                  \
          QK_4X8_WW_##IS_SIGNED("d29") QK_4X8_MLA8(L1)                                                     \
          : [w] "+r"(wp), [c0l] "+w"(acc0l), [c0h] "+w"(acc0h), [c1l] "+w"(acc1l), [c1h] "+w"(acc1h),      \
            [c2l] "+w"(acc2l), [c2h] "+w"(acc2h), [c3l] "+w"(acc3l), [c3h] "+w"(acc3h)                     \
          : [a0] "x"(va0), [a1] "x"(va1), [a2] "x"(va2), [a3] "x"(va3), [zp] "w"(vwzp),                    \
            "m"(*(const uint8_t(*)[16]) wp)                                                                \
          : "d28", "d29", "d30", "d31");
#define QK_4X8_K8(IS_SIGNED, WIDEN_A, WIDEN_W)                                                             \
  {                                                                                                        \
    int16x8_t va0, va1, va2, va3;                                                                          \
    QK_4X8_LDA(0, IS_SIGNED) QK_4X8_LDA(1, IS_SIGNED) QK_4X8_LDA(2, IS_SIGNED) QK_4X8_LDA(3, IS_SIGNED)   \
    QK_4X8_W2(0, 1, IS_SIGNED) QK_4X8_W2(2, 3, IS_SIGNED) QK_4X8_W2(4, 5, IS_SIGNED)                      \
    QK_4X8_W2(6, 7, IS_SIGNED)                                                                             \
  }
#else
#define QK_4X8_K8(IS_SIGNED, WIDEN_A, WIDEN_W)                         \
  {                                                                    \
    const int16x8_t va0 = WIDEN_A(vld1_u8(a0));                        \
    a0 += 8;                                                           \
    const int16x8_t va1 = WIDEN_A(vld1_u8(a1));                        \
    a1 += 8;                                                           \
    const int16x8_t va2 = WIDEN_A(vld1_u8(a2));                        \
    a2 += 8;                                                           \
    const int16x8_t va3 = WIDEN_A(vld1_u8(a3));                        \
    a3 += 8;                                                           \
    const uint8x16_t vw01 = vld1q_u8(wp);                              \
    const uint8x16_t vw23 = vld1q_u8(wp + 16);                         \
    const int16x8_t vw0 = WIDEN_W(vget_low_u8(vw01), vwzp);            \
    QK_4X8_STEP(vw0, 0)                                                \
    const int16x8_t vw1 = WIDEN_W(vget_high_u8(vw01), vwzp);           \
    QK_4X8_STEP(vw1, 1)                                                \
    const int16x8_t vw2 = WIDEN_W(vget_low_u8(vw23), vwzp);            \
    QK_4X8_STEP(vw2, 2)                                                \
    const int16x8_t vw3 = WIDEN_W(vget_high_u8(vw23), vwzp);           \
    QK_4X8_STEP(vw3, 3)                                                \
    const uint8x16_t vw45 = vld1q_u8(wp + 32);                         \
    const uint8x16_t vw67 = vld1q_u8(wp + 48);                         \
    wp += 64;                                                          \
    const int16x8_t vw4 = WIDEN_W(vget_low_u8(vw45), vwzp);            \
    QK_4X8_STEP(vw4, 4)                                                \
    const int16x8_t vw5 = WIDEN_W(vget_high_u8(vw45), vwzp);           \
    QK_4X8_STEP(vw5, 5)                                                \
    const int16x8_t vw6 = WIDEN_W(vget_low_u8(vw67), vwzp);            \
    QK_4X8_STEP(vw6, 6)                                                \
    const int16x8_t vw7 = WIDEN_W(vget_high_u8(vw67), vwzp);           \
    QK_4X8_STEP(vw7, 7)                                                \
  }
#endif

/* WIDEN_A(u8x8) -> int16x8 activations; WIDEN_W(u8x8, vwzp) -> int16x8 weights
 * minus w_zp; PACK = qk_neon_pack_s8 or qk_neon_pack_u8. */
#define QK_DEFINE_GEMM_4X8_NEON(NAME, IS_SIGNED, WIDEN_A, WIDEN_W, PACK)                                    \
  void NAME(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,         \
            size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero,                            \
            const qk_gemm_params* params) {                                                                   \
    const uint8_t* wp = (const uint8_t*) w;                                                                   \
    uint8_t* c0 = (uint8_t*) c;                                                                               \
    uint8_t* c1 = mr < 2 ? c0 : c0 + cm_stride;                                                               \
    uint8_t* c2 = mr <= 2 ? c1 : c1 + cm_stride;                                                              \
    uint8_t* c3 = mr < 4 ? c2 : c2 + cm_stride;                                                               \
    const uint8x8_t vwzp = vdup_n_u8((uint8_t) params->w_zero_point);                                         \
    (void) vwzp;                                                                                              \
    qk_neon_out out;                                                                                          \
    qk_neon_out_init(&out, params, IS_SIGNED);                                                                \
    const int fp32 = params->requantization == QK_REQUANT_FP32;                                               \
    for (;;) {                                                                                                \
      int32x4_t acc0l = qk_neon_ld_s32(wp), acc0h = qk_neon_ld_s32(wp + 16);                                  \
      int32x4_t acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h, acc3l = acc0l, acc3h = acc0h;     \
      wp += 8 * sizeof(int32_t);                                                                              \
      const void* const* ap = a;                                                                              \
      for (size_t t = 0; t < ks; t++, ap += 4) {                                                              \
        const uint8_t* a0 = qk_gemm_row(ap[0], zero, a_offset);                                               \
        const uint8_t* a1 = mr < 2 ? a0 : qk_gemm_row(ap[1], zero, a_offset);                                 \
        const uint8_t* a2 = mr <= 2 ? a1 : qk_gemm_row(ap[2], zero, a_offset);                                \
        const uint8_t* a3 = mr < 4 ? a2 : qk_gemm_row(ap[3], zero, a_offset);                                 \
        size_t k = kc;                                                                                        \
        for (; k >= 8; k -= 8) QK_4X8_K8(IS_SIGNED, WIDEN_A, WIDEN_W)                                       \
        if (k != 0) {                                                                                         \
          int16x8_t va0 = WIDEN_A(qk_neon_load_tail8(a0, k));                                                 \
          int16x8_t va1 = WIDEN_A(qk_neon_load_tail8(a1, k));                                                 \
          int16x8_t va2 = WIDEN_A(qk_neon_load_tail8(a2, k));                                                 \
          int16x8_t va3 = WIDEN_A(qk_neon_load_tail8(a3, k));                                                 \
          do {                                                                                                \
            const int16x8_t vw = WIDEN_W(vld1_u8(wp), vwzp);                                                  \
            wp += 8;                                                                                          \
            QK_4X8_STEP(vw, 0)                                                                                \
            va0 = vextq_s16(va0, va0, 1);                                                                     \
            va1 = vextq_s16(va1, va1, 1);                                                                     \
            va2 = vextq_s16(va2, va2, 1);                                                                     \
            va3 = vextq_s16(va3, va3, 1);                                                                     \
          } while (--k != 0);                                                                                 \
        }                                                                                                     \
      }                                                                                                       \
      int16x8_t r0, r1, r2, r3;                                                                               \
      if (fp32) {                                                                                             \
        const float32x4_t s0 = qk_neon_ld_f32(wp), s1 = qk_neon_ld_f32(wp + 16);                              \
        wp += 8 * sizeof(float);                                                                              \
        r0 = qk_neon_fp32_x8(acc0l, acc0h, s0, s1, &out);                                                     \
        r1 = qk_neon_fp32_x8(acc1l, acc1h, s0, s1, &out);                                                     \
        r2 = qk_neon_fp32_x8(acc2l, acc2h, s0, s1, &out);                                                     \
        r3 = qk_neon_fp32_x8(acc3l, acc3h, s0, s1, &out);                                                     \
      } else {                                                                                                \
        const int32x4_t m0 = qk_neon_ld_s32(wp), m1 = qk_neon_ld_s32(wp + 16);                                \
        const int32x4_t n0 = vnegq_s32(qk_neon_ld_s32(wp + 32)), n1 = vnegq_s32(qk_neon_ld_s32(wp + 48));     \
        wp += 16 * sizeof(int32_t);                                                                           \
        r0 = qk_neon_gemmlowp_x8(acc0l, acc0h, m0, m1, n0, n1);                                               \
        r1 = qk_neon_gemmlowp_x8(acc1l, acc1h, m0, m1, n0, n1);                                               \
        r2 = qk_neon_gemmlowp_x8(acc2l, acc2h, m0, m1, n0, n1);                                               \
        r3 = qk_neon_gemmlowp_x8(acc3l, acc3h, m0, m1, n0, n1);                                               \
      }                                                                                                       \
      const uint8x16_t y01 = PACK(r0, r1, &out);                                                              \
      const uint8x16_t y23 = PACK(r2, r3, &out);                                                              \
      if (nc >= 8) {                                                                                          \
        vst1_u8(c3, vget_high_u8(y23));                                                                       \
        vst1_u8(c2, vget_low_u8(y23));                                                                        \
        vst1_u8(c1, vget_high_u8(y01));                                                                       \
        vst1_u8(c0, vget_low_u8(y01));                                                                        \
        if (nc == 8) return;                                                                                  \
        nc -= 8;                                                                                              \
        c0 += cn_stride;                                                                                      \
        c1 += cn_stride;                                                                                      \
        c2 += cn_stride;                                                                                      \
        c3 += cn_stride;                                                                                      \
      } else {                                                                                                \
        qk_neon_store_tail8(c3, vget_high_u8(y23), nc);                                                       \
        qk_neon_store_tail8(c2, vget_low_u8(y23), nc);                                                        \
        qk_neon_store_tail8(c1, vget_high_u8(y01), nc);                                                       \
        qk_neon_store_tail8(c0, vget_low_u8(y01), nc);                                                        \
        return;                                                                                               \
      }                                                                                                       \
    }                                                                                                         \
  }

#endif
