/* Body of the SSE4.1 3x4c8 8-bit GEMM/IGEMM kernels (qs8 and qu8 instantiate
 * it in csrc/qs8-gemm/3x4c8-sse41.c and csrc/qu8-gemm/3x4c8-sse41.c; include
 * only from files compiled with -msse4.1).
 *
 * Why this shape: pmaddwd multiplies 8 int16 pairs and adds adjacent
 * products into int32, exactly (|a*(w-w_zp)| <= 65025, two of them < 2^31).
 * With kr = 8 one row's 8 activations (widened once) meet one column's 8
 * weights in a single pmaddwd; no shuffles in the loop.  Each (row, column)
 * pair keeps a 4-lane partial sum, reduced by phaddd once per tile.  3 rows x
 * 4 columns = 12 accumulators + 3 activation + 1 weight registers fill the 16
 * XMM registers exactly (4 rows would spill).
 * Never pmaddubsw: it saturates to int16 and is wrong for full-range inputs.
 *
 * Tails: a K tail (kc % 8) loads exactly the remaining bytes of each row
 * through a zeroed 8-byte stack copy; padded weights make the zeros harmless.
 * An N tail (nc < 4) stores 2- and 1-byte pieces.  Nothing outside the given
 * buffers is touched. */
#ifndef QKERNELS_GEMM_3X4C8_SSE41_H
#define QKERNELS_GEMM_3X4C8_SSE41_H

#include <smmintrin.h>

#include "qkernels/gemm.h"
#include "qkernels/gemm-x86.h"

/* The 1-row path of the same variant (same packing): single-row tiles (M = 1
 * layers, M tails) would otherwise run three aliased rows. */
#define QK_DEFINE_GEMM_1X4C8_SSE41(NAME, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                  \
  static void NAME(size_t nc, size_t kc, size_t ks, const void* const* a, size_t a_stride, const void* w,     \
                   void* c, size_t cn_stride, size_t a_offset, const void* zero, const qk_gemm_params* params) { \
    const uint8_t* wp = (const uint8_t*) w;                                                                    \
    uint8_t* c0 = (uint8_t*) c;                                                                                \
    const __m128i vwzp = _mm_set1_epi16((int16_t) params->w_zero_point);                                       \
    (void) vwzp;                                                                                               \
    for (;;) {                                                                                                 \
      __m128i acc0 = _mm_setzero_si128(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                               \
      const __m128i vbias = _mm_loadu_si128((const __m128i*) wp);                                              \
      wp += 4 * sizeof(int32_t);                                                                               \
      const void* const* ap = a;                                                                               \
      for (size_t t = 0; t < ks; t++, ap += a_stride) {                                                        \
        const uint8_t* a0 = qk_gemm_row(ap[0], zero, a_offset);                                                \
        for (size_t k = kc; k != 0; wp += 32) {                                                                \
          __m128i va;                                                                                          \
          if (k >= 8) {                                                                                        \
            va = WIDEN_A(_mm_loadl_epi64((const __m128i*) a0));                                                \
            a0 += 8;                                                                                           \
            k -= 8;                                                                                            \
          } else {                                                                                             \
            va = WIDEN_A(qk_load_partial8(a0, k));                                                             \
            k = 0;                                                                                             \
          }                                                                                                    \
          const __m128i vb01 = _mm_loadu_si128((const __m128i*) wp);                                           \
          const __m128i vb23 = _mm_loadu_si128((const __m128i*) (wp + 16));                                    \
          acc0 = _mm_add_epi32(acc0, _mm_madd_epi16(va, WIDEN_W(vb01, vwzp)));                                 \
          acc1 = _mm_add_epi32(acc1, _mm_madd_epi16(va, WIDEN_W(_mm_srli_si128(vb01, 8), vwzp)));              \
          acc2 = _mm_add_epi32(acc2, _mm_madd_epi16(va, WIDEN_W(vb23, vwzp)));                                 \
          acc3 = _mm_add_epi32(acc3, _mm_madd_epi16(va, WIDEN_W(_mm_srli_si128(vb23, 8), vwzp)));              \
        }                                                                                                      \
      }                                                                                                        \
      __m128i y0 = _mm_add_epi32(_mm_hadd_epi32(_mm_hadd_epi32(acc0, acc1), _mm_hadd_epi32(acc2, acc3)), vbias); \
      const __m128i vzp = _mm_set1_epi16((int16_t) params->output.zero_point);                                 \
      __m128i out;                                                                                             \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        y0 = qk_requant_fp32_x4(y0, _mm_loadu_ps((const float*) wp), _mm_set1_ps(params->output.fmin),         \
                                _mm_set1_ps(params->output.fmax));                                             \
        wp += 4 * sizeof(float);                                                                               \
        const __m128i p = _mm_adds_epi16(_mm_packs_epi32(y0, y0), vzp);                                        \
        out = PACK8(p, p);                                                                                     \
      } else {                                                                                                 \
        const qk_gemmlowp_x4 q = qk_gemmlowp_x4_load(wp);                                                      \
        wp += 8 * sizeof(int32_t);                                                                             \
        y0 = qk_requant_gemmlowp_x4(y0, &q);                                                                   \
        const __m128i p = _mm_adds_epi16(_mm_packs_epi32(y0, y0), vzp);                                        \
        out = MIN8(MAX8(PACK8(p, p), _mm_set1_epi8((char) params->output.qmin)),                               \
                   _mm_set1_epi8((char) params->output.qmax));                                                 \
      }                                                                                                        \
      if (nc >= 4) {                                                                                           \
        qk_store_u32(c0, (uint32_t) _mm_cvtsi128_si32(out));                                                   \
        if (nc == 4) return;                                                                                   \
        nc -= 4;                                                                                               \
        c0 += cn_stride;                                                                                       \
      } else {                                                                                                 \
        qk_store_partial_u32(c0, (uint32_t) _mm_cvtsi128_si32(out), nc);                                       \
        return;                                                                                                \
      }                                                                                                        \
    }                                                                                                          \
  }

/* WIDEN_A(x): 8 activation bytes (low half) -> 8 int16.
 * WIDEN_W(x, vwzp): 8 weight bytes (low half) -> 8 int16 minus w_zp. */
#define QK_DEFINE_GEMM_3X4C8_SSE41(NAME, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                 \
  QK_DEFINE_GEMM_1X4C8_SSE41(NAME##_1row, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                 \
  void NAME(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,          \
            size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero,                             \
            const qk_gemm_params* params) {                                                                    \
    if (mr == 1) {                                                                                             \
      NAME##_1row(nc, kc, ks, a, 3, w, c, cn_stride, a_offset, zero, params);                                  \
      return;                                                                                                  \
    }                                                                                                          \
    const uint8_t* wp = (const uint8_t*) w;                                                                    \
    uint8_t* c0 = (uint8_t*) c;                                                                                \
    uint8_t* c1 = mr < 2 ? c0 : c0 + cm_stride;                                                                \
    uint8_t* c2 = mr <= 2 ? c1 : c1 + cm_stride;                                                               \
    const __m128i vwzp = _mm_set1_epi16((int16_t) params->w_zero_point);                                       \
    (void) vwzp;                                                                                               \
    for (;;) {                                                                                                 \
      __m128i acc00 = _mm_setzero_si128(), acc01 = acc00, acc02 = acc00, acc03 = acc00;                        \
      __m128i acc10 = acc00, acc11 = acc00, acc12 = acc00, acc13 = acc00;                                      \
      __m128i acc20 = acc00, acc21 = acc00, acc22 = acc00, acc23 = acc00;                                      \
      const __m128i vbias = _mm_loadu_si128((const __m128i*) wp);                                              \
      wp += 4 * sizeof(int32_t);                                                                               \
      const void* const* ap = a;                                                                               \
      for (size_t t = 0; t < ks; t++, ap += 3) {                                                               \
        const uint8_t* a0 = qk_gemm_row(ap[0], zero, a_offset);                                                \
        const uint8_t* a1 = mr < 2 ? a0 : qk_gemm_row(ap[1], zero, a_offset);                                  \
        const uint8_t* a2 = mr <= 2 ? a1 : qk_gemm_row(ap[2], zero, a_offset);                                 \
        size_t k = kc;                                                                                         \
        for (;;) {                                                                                             \
          __m128i va0, va1, va2;                                                                               \
          if (k >= 8) {                                                                                        \
            va0 = WIDEN_A(_mm_loadl_epi64((const __m128i*) a0));                                               \
            va1 = WIDEN_A(_mm_loadl_epi64((const __m128i*) a1));                                               \
            va2 = WIDEN_A(_mm_loadl_epi64((const __m128i*) a2));                                               \
            a0 += 8; a1 += 8; a2 += 8;                                                                         \
            k -= 8;                                                                                            \
          } else if (k != 0) {                                                                                 \
            va0 = WIDEN_A(qk_load_partial8(a0, k));                                                            \
            va1 = WIDEN_A(qk_load_partial8(a1, k));                                                            \
            va2 = WIDEN_A(qk_load_partial8(a2, k));                                                            \
            k = 0;                                                                                             \
          } else {                                                                                             \
            break;                                                                                             \
          }                                                                                                    \
          const __m128i vb01 = _mm_loadu_si128((const __m128i*) wp);                                           \
          const __m128i vw0 = WIDEN_W(vb01, vwzp);                                                             \
          acc00 = _mm_add_epi32(acc00, _mm_madd_epi16(va0, vw0));                                              \
          acc10 = _mm_add_epi32(acc10, _mm_madd_epi16(va1, vw0));                                              \
          acc20 = _mm_add_epi32(acc20, _mm_madd_epi16(va2, vw0));                                              \
          const __m128i vw1 = WIDEN_W(_mm_srli_si128(vb01, 8), vwzp);                                          \
          acc01 = _mm_add_epi32(acc01, _mm_madd_epi16(va0, vw1));                                              \
          acc11 = _mm_add_epi32(acc11, _mm_madd_epi16(va1, vw1));                                              \
          acc21 = _mm_add_epi32(acc21, _mm_madd_epi16(va2, vw1));                                              \
          const __m128i vb23 = _mm_loadu_si128((const __m128i*) (wp + 16));                                    \
          const __m128i vw2 = WIDEN_W(vb23, vwzp);                                                             \
          acc02 = _mm_add_epi32(acc02, _mm_madd_epi16(va0, vw2));                                              \
          acc12 = _mm_add_epi32(acc12, _mm_madd_epi16(va1, vw2));                                              \
          acc22 = _mm_add_epi32(acc22, _mm_madd_epi16(va2, vw2));                                              \
          const __m128i vw3 = WIDEN_W(_mm_srli_si128(vb23, 8), vwzp);                                          \
          acc03 = _mm_add_epi32(acc03, _mm_madd_epi16(va0, vw3));                                              \
          acc13 = _mm_add_epi32(acc13, _mm_madd_epi16(va1, vw3));                                              \
          acc23 = _mm_add_epi32(acc23, _mm_madd_epi16(va2, vw3));                                              \
          wp += 32;                                                                                            \
        }                                                                                                      \
      }                                                                                                        \
      /* (row, column) partial sums -> one int32 per column, plus bias */                                     \
      __m128i y0 = _mm_add_epi32(_mm_hadd_epi32(_mm_hadd_epi32(acc00, acc01), _mm_hadd_epi32(acc02, acc03)), vbias); \
      __m128i y1 = _mm_add_epi32(_mm_hadd_epi32(_mm_hadd_epi32(acc10, acc11), _mm_hadd_epi32(acc12, acc13)), vbias); \
      __m128i y2 = _mm_add_epi32(_mm_hadd_epi32(_mm_hadd_epi32(acc20, acc21), _mm_hadd_epi32(acc22, acc23)), vbias); \
      const __m128i vzp = _mm_set1_epi16((int16_t) params->output.zero_point);                                 \
      __m128i out;                                                                                             \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        const __m128 vs = _mm_loadu_ps((const float*) wp);                                                     \
        wp += 4 * sizeof(float);                                                                               \
        const __m128 vmin = _mm_set1_ps(params->output.fmin), vmax = _mm_set1_ps(params->output.fmax);         \
        y0 = qk_requant_fp32_x4(y0, vs, vmin, vmax);                                                           \
        y1 = qk_requant_fp32_x4(y1, vs, vmin, vmax);                                                           \
        y2 = qk_requant_fp32_x4(y2, vs, vmin, vmax);                                                           \
        /* clamped in float: every pack below is lossless */                                                   \
        out = PACK8(_mm_adds_epi16(_mm_packs_epi32(y0, y1), vzp), _mm_adds_epi16(_mm_packs_epi32(y2, y2), vzp)); \
      } else {                                                                                                 \
        const qk_gemmlowp_x4 q = qk_gemmlowp_x4_load(wp);                                                      \
        wp += 8 * sizeof(int32_t);                                                                             \
        y0 = qk_requant_gemmlowp_x4(y0, &q);                                                                   \
        y1 = qk_requant_gemmlowp_x4(y1, &q);                                                                   \
        y2 = qk_requant_gemmlowp_x4(y2, &q);                                                                   \
        /* saturating packs/adds keep values on the right side of the clamp */                                 \
        out = PACK8(_mm_adds_epi16(_mm_packs_epi32(y0, y1), vzp), _mm_adds_epi16(_mm_packs_epi32(y2, y2), vzp)); \
        out = MIN8(MAX8(out, _mm_set1_epi8((char) params->output.qmin)), _mm_set1_epi8((char) params->output.qmax)); \
      }                                                                                                        \
      /* out bytes: row 0 in dword 0, row 1 in dword 1, row 2 in dword 2 */                                   \
      if (nc >= 4) {                                                                                           \
        qk_store_u32(c2, (uint32_t) _mm_extract_epi32(out, 2));                                                \
        qk_store_u32(c1, (uint32_t) _mm_extract_epi32(out, 1));                                                \
        qk_store_u32(c0, (uint32_t) _mm_cvtsi128_si32(out));                                                   \
        if (nc == 4) return;                                                                                   \
        nc -= 4;                                                                                               \
        c0 += cn_stride; c1 += cn_stride; c2 += cn_stride;                                                     \
      } else {                                                                                                 \
        qk_store_partial_u32(c2, (uint32_t) _mm_extract_epi32(out, 2), nc);                                    \
        qk_store_partial_u32(c1, (uint32_t) _mm_extract_epi32(out, 1), nc);                                    \
        qk_store_partial_u32(c0, (uint32_t) _mm_cvtsi128_si32(out), nc);                                       \
        return;                                                                                                \
      }                                                                                                        \
    }                                                                                                          \
  }

#endif
