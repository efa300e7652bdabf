/* Shared body of the scalar 8-bit GEMM twins (qs8 and qu8 differ only in the
 * element types and the weight zero point).  Included by
 * csrc/qs8-gemm/2x4-scalar.c and csrc/qu8-gemm/2x4-scalar.c only.
 *
 * Why 2x4 with kr = 1: it is the plain reference every SIMD variant is
 * compared with, so it is written for obviousness: 8 accumulators fit the
 * registers of every target (armv7 has 14 usable GPRs), and kr = 1 means the
 * packed weights are simply [tap][k][nr].
 *
 * Accumulation is done in uint32_t: the sum is defined modulo 2^32 (gemm.h),
 * and unsigned arithmetic wraps without undefined behaviour. */
#ifndef QKERNELS_GEMM_SCALAR_H
#define QKERNELS_GEMM_SCALAR_H

#include "qkernels/gemm.h"

#define QK_GEMM_SCALAR_MR 2
#define QK_GEMM_SCALAR_NR 4

#define QK_DEFINE_GEMM_SCALAR(NAME, ATYPE, WTYPE)                                                              \
  void NAME(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,         \
            size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero,                            \
            const qk_gemm_params* params) {                                                                   \
    enum { MR = QK_GEMM_SCALAR_MR, NR = QK_GEMM_SCALAR_NR };                                                  \
    const uint8_t* wp = (const uint8_t*) w;                                                                   \
    uint8_t* cp = (uint8_t*) c;                                                                               \
    const int32_t wzp = params->w_zero_point;                                                                 \
    for (;;) {                                                                                                \
      uint32_t acc[MR][NR];                                                                                   \
      for (size_t j = 0; j < NR; j++) {                                                                       \
        int32_t b;                                                                                            \
        memcpy(&b, wp + j * sizeof(int32_t), sizeof b);                                                       \
        for (size_t i = 0; i < MR; i++) acc[i][j] = (uint32_t) b;                                             \
      }                                                                                                       \
      wp += NR * sizeof(int32_t);                                                                             \
      const void* const* ap = a;                                                                              \
      for (size_t t = 0; t < ks; t++, ap += MR) {                                                             \
        const ATYPE* rows[MR];                                                                                \
        for (size_t i = 0; i < MR; i++) {                                                                     \
          const void* p = ap[i < mr ? i : mr - 1];                                                            \
          rows[i] = (const ATYPE*) (p == zero ? p : (const void*) ((uintptr_t) p + a_offset));               \
        }                                                                                                     \
        for (size_t k = 0; k < kc; k++, wp += NR) {                                                           \
          for (size_t j = 0; j < NR; j++) {                                                                   \
            const int32_t vw = (int32_t) ((const WTYPE*) wp)[j] - wzp;                                        \
            for (size_t i = 0; i < MR; i++) acc[i][j] += (uint32_t) ((int32_t) rows[i][k] * vw);             \
          }                                                                                                   \
        }                                                                                                     \
      }                                                                                                       \
      const size_t nb = nc < NR ? nc : NR;                                                                    \
      if (params->requantization == QK_REQUANT_FP32) {                                                        \
        for (size_t j = 0; j < nb; j++) {                                                                     \
          float s;                                                                                            \
          memcpy(&s, wp + j * sizeof(float), sizeof s);                                                       \
          for (size_t i = 0; i < mr; i++)                                                                     \
            cp[i * cm_stride + j] = (uint8_t) (ATYPE) qk_requant_fp32((int32_t) acc[i][j], s, &params->output); \
        }                                                                                                     \
        wp += NR * sizeof(float);                                                                             \
      } else {                                                                                                \
        for (size_t j = 0; j < nb; j++) {                                                                     \
          int32_t m, e;                                                                                       \
          memcpy(&m, wp + j * sizeof(int32_t), sizeof m);                                                      \
          memcpy(&e, wp + (NR + j) * sizeof(int32_t), sizeof e);                                               \
          for (size_t i = 0; i < mr; i++)                                                                     \
            cp[i * cm_stride + j] =                                                                           \
                (uint8_t) (ATYPE) qk_requant_gemmlowp((int32_t) acc[i][j], m, (uint32_t) e, &params->output); \
        }                                                                                                     \
        wp += 2 * NR * sizeof(int32_t);                                                                       \
      }                                                                                                       \
      if (nc <= NR) return;                                                                                   \
      nc -= NR;                                                                                               \
      cp += cn_stride;                                                                                        \
    }                                                                                                         \
  }

#endif
