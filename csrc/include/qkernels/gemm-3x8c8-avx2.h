/* Body of the AVX2 3x8c8 8-bit GEMM/IGEMM kernels (instantiated by
 * csrc/qs8-gemm/3x8c8-avx2.c and csrc/qu8-gemm/3x8c8-avx2.c; include only
 * from files compiled with -mavx2).
 *
 * Why this shape: the SSE4.1 3x4c8 scheme at twice the width.  One YMM holds
 * 8 widened activations of a row twice (both 128-bit lanes) and the 8 widened
 * weights of two columns (column 2q in the low lane, 2q+1 in the high lane),
 * so one vpmaddwd does 16 exact multiply-adds with no shuffle in the loop:
 * per 8 k, 3 broadcast+widen for A, 4 widening loads for W, 12 vpmaddwd.
 * 12 accumulators + 3 activations + 1 weight = 16 YMM registers; a 4th row
 * would spill.  Reduction (two vphaddd and one vpermd per row) and
 * requantization run once per tile.  Never vpmaddubsw (saturates).
 *
 * Tails: K tail through an exact-length stack copy, N tail (nc < 8) with
 * 4/2/1-byte stores; nothing outside the given buffers is touched. */
#ifndef QKERNELS_GEMM_3X8C8_AVX2_H
#define QKERNELS_GEMM_3X8C8_AVX2_H

#include <immintrin.h>

#include "qkernels/gemm.h"
#include "qkernels/gemm-x86.h"

/* Per-row reduction: acc q holds (column 2q | column 2q+1) partial sums. */
QK_INLINE __m256i qk_reduce_3x8c8_row(__m256i acc0, __m256i acc1, __m256i acc2, __m256i acc3, __m256i vperm) {
  /* lanes after the two hadds: [c0 c2 c4 c6 | c1 c3 c5 c7] */
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(acc0, acc1), _mm256_hadd_epi32(acc2, acc3));
  return _mm256_permutevar8x32_epi32(h, vperm);
}

/* gemmlowp for 8 channels, same arithmetic as qk_requant_gemmlowp_x4
 * (gemm-x86.h), with AVX2's per-lane shifts for RoundingDivideByPOT:
 * r = 1 << (e - 1) is 0 for e = 0 because vpsllvd gives 0 for counts > 31. */
QK_INLINE __m256i qk_requant_gemmlowp_x8(__m256i acc, __m256i vmult, __m256i vshift) {
  const __m256i ax = _mm256_abs_epi32(acc);
  const __m256i neg = _mm256_srai_epi32(acc, 31);
  const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_srli_epi64(
      _mm256_add_epi64(_mm256_mul_epu32(ax, vmult), _mm256_add_epi64(half, _mm256_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0)))), 31);
  const __m256i odd = _mm256_srli_epi64(
      _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(ax, 32), _mm256_srli_epi64(vmult, 32)),
                       _mm256_add_epi64(half, _mm256_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1)))), 31);
  const __m256i u = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  const __m256i round = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_sub_epi32(vshift, _mm256_set1_epi32(1)));
  const __m256i v = _mm256_srlv_epi32(_mm256_add_epi32(u, round), vshift);
  return _mm256_sign_epi32(v, acc);
}

/* The 1-row path of the same variant (same packing): single-row tiles (M = 1
 * layers such as classifiers, and M tails) would otherwise run three aliased
 * rows, tripling the multiply-adds of a weight-bandwidth-bound case. */
#define QK_DEFINE_GEMM_1X8C8_AVX2(NAME, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                   \
  static void NAME(size_t nc, size_t kc, size_t ks, const void* const* a, size_t a_stride, const void* w,     \
                   void* c, size_t cn_stride, size_t a_offset, const void* zero, const qk_gemm_params* params) { \
    const uint8_t* wp = (const uint8_t*) w;                                                                    \
    uint8_t* c0 = (uint8_t*) c;                                                                                \
    const __m256i vwzp = _mm256_set1_epi16((int16_t) params->w_zero_point);                                    \
    (void) vwzp;                                                                                               \
    const __m256i vperm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);                                           \
    for (;;) {                                                                                                 \
      __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                            \
      const __m256i vbias = _mm256_loadu_si256((const __m256i*) wp);                                           \
      wp += 8 * sizeof(int32_t);                                                                               \
      const void* const* ap = a;                                                                               \
      for (size_t t = 0; t < ks; t++, ap += a_stride) {                                                        \
        const uint8_t* a0 = qk_gemm_row(ap[0], zero, a_offset);                                                \
        size_t k = kc;                                                                                         \
        for (; k >= 8; k -= 8, a0 += 8, wp += 64) {                                                            \
          const __m256i va = WIDEN_A(_mm_broadcastq_epi64(_mm_loadl_epi64((const __m128i*) a0)));             \
          acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) wp), vwzp))); \
          acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 16)), vwzp))); \
          acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 32)), vwzp))); \
          acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 48)), vwzp))); \
        }                                                                                                      \
        if (k != 0) {                                                                                          \
          const __m256i va = WIDEN_A(_mm_broadcastq_epi64(qk_load_partial8(a0, k)));                          \
          acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) wp), vwzp))); \
          acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 16)), vwzp))); \
          acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 32)), vwzp))); \
          acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(va, WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 48)), vwzp))); \
          wp += 64;                                                                                            \
        }                                                                                                      \
      }                                                                                                        \
      __m256i y0 = _mm256_add_epi32(qk_reduce_3x8c8_row(acc0, acc1, acc2, acc3, vperm), vbias);                \
      const __m256i vzp = _mm256_set1_epi16((int16_t) params->output.zero_point);                              \
      __m256i out;                                                                                             \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        const __m256 vs = _mm256_loadu_ps((const float*) wp);                                                  \
        wp += 8 * sizeof(float);                                                                               \
        y0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(y0), vs),         \
                                                            _mm256_set1_ps(params->output.fmin)),              \
                                              _mm256_set1_ps(params->output.fmax)));                           \
        const __m256i p = _mm256_adds_epi16(_mm256_packs_epi32(y0, y0), vzp);                                  \
        out = PACK8(p, p);                                                                                     \
      } else {                                                                                                 \
        y0 = qk_requant_gemmlowp_x8(y0, _mm256_loadu_si256((const __m256i*) wp),                               \
                                    _mm256_loadu_si256((const __m256i*) (wp + 32)));                           \
        wp += 16 * sizeof(int32_t);                                                                            \
        const __m256i p = _mm256_adds_epi16(_mm256_packs_epi32(y0, y0), vzp);                                  \
        out = MIN8(MAX8(PACK8(p, p), _mm256_set1_epi8((char) params->output.qmin)),                            \
                   _mm256_set1_epi8((char) params->output.qmax));                                              \
      }                                                                                                        \
      /* dwords [c0-3 x4 | c4-7 x4] -> bytes c0..c7 first */                                                  \
      const __m128i lo = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(out, vperm));                      \
      if (nc >= 8) {                                                                                           \
        _mm_storel_epi64((__m128i*) c0, lo);                                                                   \
        if (nc == 8) return;                                                                                   \
        nc -= 8;                                                                                               \
        c0 += cn_stride;                                                                                       \
      } else {                                                                                                 \
        uint64_t row;                                                                                          \
        _mm_storel_epi64((__m128i*) &row, lo);                                                                 \
        qk_store_partial_u64(c0, row, nc);                                                                     \
        return;                                                                                                \
      }                                                                                                        \
    }                                                                                                          \
  }

/* WIDEN_A(x): 8 activation bytes in both 64-bit halves of x -> 16 int16.
 * WIDEN_W(x, vwzp): 16 weight bytes -> 16 int16 minus w_zp. */
#define QK_DEFINE_GEMM_3X8C8_AVX2(NAME, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                   \
  QK_DEFINE_GEMM_1X8C8_AVX2(NAME##_1row, WIDEN_A, WIDEN_W, PACK8, MAX8, MIN8)                                  \
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
    const __m256i vwzp = _mm256_set1_epi16((int16_t) params->w_zero_point);                                    \
    (void) vwzp;                                                                                               \
    const __m256i vperm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);                                           \
    for (;;) {                                                                                                 \
      __m256i acc00 = _mm256_setzero_si256(), acc01 = acc00, acc02 = acc00, acc03 = acc00;                     \
      __m256i acc10 = acc00, acc11 = acc00, acc12 = acc00, acc13 = acc00;                                      \
      __m256i acc20 = acc00, acc21 = acc00, acc22 = acc00, acc23 = acc00;                                      \
      const __m256i vbias = _mm256_loadu_si256((const __m256i*) wp);                                           \
      wp += 8 * sizeof(int32_t);                                                                               \
      const void* const* ap = a;                                                                               \
      for (size_t t = 0; t < ks; t++, ap += 3) {                                                               \
        const uint8_t* a0 = qk_gemm_row(ap[0], zero, a_offset);                                                \
        const uint8_t* a1 = mr < 2 ? a0 : qk_gemm_row(ap[1], zero, a_offset);                                  \
        const uint8_t* a2 = mr <= 2 ? a1 : qk_gemm_row(ap[2], zero, a_offset);                                 \
        size_t k = kc;                                                                                         \
        for (;;) {                                                                                             \
          __m256i va0, va1, va2;                                                                               \
          if (k >= 8) {                                                                                        \
            va0 = WIDEN_A(_mm_broadcastq_epi64(_mm_loadl_epi64((const __m128i*) a0)));                         \
            va1 = WIDEN_A(_mm_broadcastq_epi64(_mm_loadl_epi64((const __m128i*) a1)));                         \
            va2 = WIDEN_A(_mm_broadcastq_epi64(_mm_loadl_epi64((const __m128i*) a2)));                         \
            a0 += 8; a1 += 8; a2 += 8;                                                                         \
            k -= 8;                                                                                            \
          } else if (k != 0) {                                                                                 \
            va0 = WIDEN_A(_mm_broadcastq_epi64(qk_load_partial8(a0, k)));                                      \
            va1 = WIDEN_A(_mm_broadcastq_epi64(qk_load_partial8(a1, k)));                                      \
            va2 = WIDEN_A(_mm_broadcastq_epi64(qk_load_partial8(a2, k)));                                      \
            k = 0;                                                                                             \
          } else {                                                                                             \
            break;                                                                                             \
          }                                                                                                    \
          const __m256i vw0 = WIDEN_W(_mm_loadu_si128((const __m128i*) wp), vwzp);                             \
          acc00 = _mm256_add_epi32(acc00, _mm256_madd_epi16(va0, vw0));                                        \
          acc10 = _mm256_add_epi32(acc10, _mm256_madd_epi16(va1, vw0));                                        \
          acc20 = _mm256_add_epi32(acc20, _mm256_madd_epi16(va2, vw0));                                        \
          const __m256i vw1 = WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 16)), vwzp);                      \
          acc01 = _mm256_add_epi32(acc01, _mm256_madd_epi16(va0, vw1));                                        \
          acc11 = _mm256_add_epi32(acc11, _mm256_madd_epi16(va1, vw1));                                        \
          acc21 = _mm256_add_epi32(acc21, _mm256_madd_epi16(va2, vw1));                                        \
          const __m256i vw2 = WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 32)), vwzp);                      \
          acc02 = _mm256_add_epi32(acc02, _mm256_madd_epi16(va0, vw2));                                        \
          acc12 = _mm256_add_epi32(acc12, _mm256_madd_epi16(va1, vw2));                                        \
          acc22 = _mm256_add_epi32(acc22, _mm256_madd_epi16(va2, vw2));                                        \
          const __m256i vw3 = WIDEN_W(_mm_loadu_si128((const __m128i*) (wp + 48)), vwzp);                      \
          acc03 = _mm256_add_epi32(acc03, _mm256_madd_epi16(va0, vw3));                                        \
          acc13 = _mm256_add_epi32(acc13, _mm256_madd_epi16(va1, vw3));                                        \
          acc23 = _mm256_add_epi32(acc23, _mm256_madd_epi16(va2, vw3));                                        \
          wp += 64;                                                                                            \
        }                                                                                                      \
      }                                                                                                        \
      __m256i y0 = _mm256_add_epi32(qk_reduce_3x8c8_row(acc00, acc01, acc02, acc03, vperm), vbias);            \
      __m256i y1 = _mm256_add_epi32(qk_reduce_3x8c8_row(acc10, acc11, acc12, acc13, vperm), vbias);            \
      __m256i y2 = _mm256_add_epi32(qk_reduce_3x8c8_row(acc20, acc21, acc22, acc23, vperm), vbias);            \
      const __m256i vzp = _mm256_set1_epi16((int16_t) params->output.zero_point);                              \
      __m256i out;                                                                                             \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        const __m256 vs = _mm256_loadu_ps((const float*) wp);                                                  \
        wp += 8 * sizeof(float);                                                                               \
        const __m256 vmin = _mm256_set1_ps(params->output.fmin), vmax = _mm256_set1_ps(params->output.fmax);   \
        /* clamp then round half to even (see qk_requant_fp32_x4) */                                           \
        y0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(y0), vs), vmin), vmax)); \
        y1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(y1), vs), vmin), vmax)); \
        y2 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(y2), vs), vmin), vmax)); \
        out = PACK8(_mm256_adds_epi16(_mm256_packs_epi32(y0, y1), vzp),                                        \
                    _mm256_adds_epi16(_mm256_packs_epi32(y2, y2), vzp));                                       \
      } else {                                                                                                 \
        const __m256i vmult = _mm256_loadu_si256((const __m256i*) wp);                                         \
        const __m256i vshift = _mm256_loadu_si256((const __m256i*) (wp + 32));                                 \
        wp += 16 * sizeof(int32_t);                                                                            \
        y0 = qk_requant_gemmlowp_x8(y0, vmult, vshift);                                                        \
        y1 = qk_requant_gemmlowp_x8(y1, vmult, vshift);                                                        \
        y2 = qk_requant_gemmlowp_x8(y2, vmult, vshift);                                                        \
        out = PACK8(_mm256_adds_epi16(_mm256_packs_epi32(y0, y1), vzp),                                        \
                    _mm256_adds_epi16(_mm256_packs_epi32(y2, y2), vzp));                                       \
        out = MIN8(MAX8(out, _mm256_set1_epi8((char) params->output.qmin)),                                    \
                   _mm256_set1_epi8((char) params->output.qmax));                                              \
      }                                                                                                        \
      /* packs work per 128-bit lane: dwords are [r0 c0-3, r1 c0-3, r2 c0-3, r2 | r0 c4-7, r1 c4-7, ...];  */  \
      /* vpermd by (0,4,1,5,2,6,3,7) makes row r the r-th 8-byte group */                                     \
      out = _mm256_permutevar8x32_epi32(out, vperm);                                                           \
      const __m128i lo = _mm256_castsi256_si128(out);                                                          \
      const __m128i hi = _mm256_extracti128_si256(out, 1);                                                     \
      if (nc >= 8) {                                                                                           \
        _mm_storel_epi64((__m128i*) c2, hi);                                                                   \
        _mm_storel_epi64((__m128i*) c1, _mm_unpackhi_epi64(lo, lo));                                           \
        _mm_storel_epi64((__m128i*) c0, lo);                                                                   \
        if (nc == 8) return;                                                                                   \
        nc -= 8;                                                                                               \
        c0 += cn_stride; c1 += cn_stride; c2 += cn_stride;                                                     \
      } else {                                                                                                 \
        uint64_t rows[4];                                                                                      \
        _mm_storeu_si128((__m128i*) rows, lo);                                                                 \
        _mm_storeu_si128((__m128i*) (rows + 2), hi);                                                           \
        qk_store_partial_u64(c2, rows[2], nc);                                                                 \
        qk_store_partial_u64(c1, rows[1], nc);                                                                 \
        qk_store_partial_u64(c0, rows[0], nc);                                                                 \
        return;                                                                                                \
      }                                                                                                        \
    }                                                                                                          \
  }

#endif
