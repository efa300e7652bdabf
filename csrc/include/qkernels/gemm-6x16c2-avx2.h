/* Body of the AVX2 6x16c2 8-bit GEMM/IGEMM kernels (instantiated by
 * csrc/qs8-gemm/6x16c2-avx2.c and csrc/qu8-gemm/6x16c2-avx2.c; include only
 * from files compiled with -mavx2).  Weights in format QK_GEMM_PACK_I16
 * (gemm.h): int16 (w - w_zp), kr = 2.  The instantiating file defines
 * QK_C2_WLOAD(p) / QK_C2_WB (load of 8 columns x 2 k as int16 / its bytes)
 * and the byte clamps QK_C2_CLAMP_LO(x) / QK_C2_CLAMP(x).
 *
 * Why this shape ("c2", outer product over K pairs): one YMM of packed
 * weights holds 8 columns x 2 k as int16 pairs, exactly the operand layout of
 * vpmaddwd, and vpbroadcastd of one int16 pair (a[k], a[k+1]) of a row gives
 * the other operand, so vpmaddwd + vpaddd add 16 exact products into 8
 * per-column int32 sums: no horizontal reduction, no per-call widening of
 * the weights (done once at pack time) and no w_zp in the loop (qu8).  Per K
 * pair the 6x16 tile costs 2 weight loads, 6 broadcast loads (pure loads on
 * Zen 3), 12 vpmaddwd and 12 vpaddd for 192 multiply-adds; 12 accumulators +
 * 2 weights + 1 broadcast (+ 1 temporary) = the 16 YMM registers.  Compiled
 * inner loop (gcc -O2, objdump): 36 instructions per 192 MACs = 0.19 per MAC,
 * 24 vector ALU ops = 0.125 per MAC (3x8c8: 43 and 31 per 192 MACs, plus
 * a spilled accumulator and a horizontal reduction per tile).  4x24 would
 * need 16 live registers and more loads per MAC; 16 columns divide every
 * MobileNet width but 24 and 1000 (their last block runs an 8-column loop).
 *
 * Measured on Zen 3 (EPYC, 3.7 GHz, 1 thread, qs8, min times): 12 vpmaddwd +
 * 12 vpaddd sustain 1.62 pairs per cycle (vpmaddwd alone: 2, vpaddd alone:
 * 4), so exact 16-bit products peak near 95 GMAC/s = 190 GOP/s; this kernel
 * runs the large-K MobileNet layers at 165-178 GOP/s (3x8c8: 100-117), the
 * K = 16..32 layers at 88-123 (3x8c8: 53-71).  fbgemm / ONNX Runtime reach
 * ~390 GOP/s there only by vpmaddubsw with int16 (saturating) sums.
 * Tried and dropped: int8 weights widened per call (vpmovsxbw, half the
 * weight bytes): 0.97x geomean (-5% on compute-bound layers, +18% on the
 * M = 1 classifiers, which read 2 bytes per MAC here); software prefetch in
 * the 1-row loop: -25% on the classifiers; always-inlined pre-pass: slower.
 * An exact vpmaddubsw (7-bit split of one operand) needs 3 multiply-pipe ops
 * per 32 MACs (two vpmaddubsw + one vpmaddwd to widen) against 2 vpmaddwd:
 * not worth writing.
 *
 * Activations are widened once per kernel call into an int16 stack buffer
 * (pre-pass over the mr rows, all taps, amortized over the nc / 16 column
 * blocks); the pre-pass reads exactly kc bytes per row and tap (partial
 * tails), and writes 0 after an odd kc (the weight there is 0 anyway).
 * Calls whose ks * kc does not fit the buffer widen chunk by chunk inside
 * each column block instead (a few % extra for K > QK_C2_BUF).  Rows
 * >= mr reuse row mr - 1 (same buffer, same output row); mr == 1 runs a
 * 1x16 path so M = 1 layers do not compute six rows.
 *
 * Epilogue: the bias initializes the accumulators; fp32 mode clamps only at
 * fmax in float (so cvtps2dq never sees a value above 2^31), the lower clamp
 * and qmin/qmax happen in the packed bytes (saturating packs are monotone,
 * so clamping after them is the same as the scalar clamp-then-round).  Row
 * pairs are requantized and stored one after the other so the constants and
 * live accumulators fit the registers (requantizing all 12 first spilled). */
#ifndef QKERNELS_GEMM_6X16C2_AVX2_H
#define QKERNELS_GEMM_6X16C2_AVX2_H

#include <immintrin.h>

#include "qkernels/gemm.h"
#include "qkernels/gemm-x86.h"
#include "qkernels/gemm-3x8c8-avx2.h" /* qk_requant_gemmlowp_x8 */

/* int16 elements per row of the activation buffer (6 rows: 18 KB of stack;
 * covers every MobileNet layer, K <= 1280). */
#define QK_C2_BUF 1536

#if defined(_MSC_VER)
#define QK_C2_ALIGN32 __declspec(align(32))
#else
#define QK_C2_ALIGN32 __attribute__((aligned(32)))
#endif

/* Store the low n (< 16) bytes of v. */
QK_INLINE void qk_store_partial16(uint8_t* p, __m128i v, size_t n) {
  if (n & 8) {
    _mm_storel_epi64((__m128i*) p, v);
    p += 8;
    v = _mm_unpackhi_epi64(v, v);
  }
  uint64_t q;
  _mm_storel_epi64((__m128i*) &q, v);
  qk_store_partial_u64(p, q, n & 7);
}

/* fp32 mode without the lower clamp (see the header comment). */
QK_INLINE __m256i qk_c2_fp32(__m256i acc, __m256 vs, __m256 vmax) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), vs), vmax));
}

/* The instantiating file defines QK_C2_CLAMP_LO(x) (bytes >= qmin, with the
 * dtype's vpmaxsb / vpmaxub against vqmin) and QK_C2_CLAMP(x) (qmin..qmax). */

/* The last n (1..7) bytes at p as the low bytes of a zero-filled 64-bit
 * value: reads exactly n bytes (4 + 2 + 1 byte loads, no loop). */
QK_INLINE __m128i qk_c2_load_tail8(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  unsigned shift = 0;
  if (n & 4) {
    uint32_t x;
    memcpy(&x, p, sizeof x);
    v = x;
    p += 4;
    shift = 32;
  }
  if (n & 2) {
    uint16_t x;
    memcpy(&x, p, sizeof x);
    v |= (uint64_t) x << shift;
    p += 2;
    shift += 16;
  }
  if (n & 1) v |= (uint64_t) *p << shift;
  return _mm_loadl_epi64((const __m128i*) &v);
}

/* Widen n activations to int16 at dst, plus a 0 after an odd n (WIDEN(x):
 * 16 bytes -> 16 int16; WIDEN8(x): low 8 bytes -> 8 int16 in an xmm).  A tail of
 * 1..7 bytes is widened as 8 (zeros above n) with one 16-byte store, so dst
 * needs QK_C2_SLACK int16 of room past n; the buffers have it, and within a
 * buffer the overhang lands where the next tap / row is written afterwards.
 * (The 3-byte taps of a 3-channel stem conv cost a byte loop per tap and
 * row before: the stem ran at 20 GOP/s with 3x8c8, 42 with this kernel.) */
#define QK_C2_SLACK 8
#define QK_DEFINE_C2_WIDEN(NAME, WIDEN, WIDEN8)                                                               \
  static void NAME(int16_t* dst, const uint8_t* src, size_t n) {                                               \
    size_t i = 0;                                                                                              \
    for (; i + 16 <= n; i += 16)                                                                               \
      _mm256_storeu_si256((__m256i*) (dst + i), WIDEN(_mm_loadu_si128((const __m128i*) (src + i))));           \
    if (i + 8 <= n) {                                                                                          \
      _mm_storeu_si128((__m128i*) (dst + i), WIDEN8(_mm_loadl_epi64((const __m128i*) (src + i))));             \
      i += 8;                                                                                                  \
    }                                                                                                          \
    if (i < n) _mm_storeu_si128((__m128i*) (dst + i), WIDEN8(qk_c2_load_tail8(src + i, n - i)));               \
  }

/* Pack 2 rows x 16 columns of requantized int32 (y00: r0 c0-7, y01: r0
 * c8-15, y10/y11: r1) to bytes with the zero point, CLAMP the bytes, store
 * (nc < 16: a partial row).  packs work per 128-bit lane, giving dwords
 * [r0 c0-3, r0 c8-11, r1 c0-3, r1 c8-11 | r0 c4-7, r0 c12-15, ...]; vpermd
 * (0,4,1,5,2,6,3,7) puts row 0 in the low and row 1 in the high half. */
#define QK_C2_STORE2(PACK8, CLAMP, y00, y01, y10, y11, c0, c1, nc)                                             \
  {                                                                                                            \
    __m256i o_ = PACK8(_mm256_adds_epi16(_mm256_packs_epi32(y00, y01), vzp),                                   \
                       _mm256_adds_epi16(_mm256_packs_epi32(y10, y11), vzp));                                  \
    o_ = _mm256_permutevar8x32_epi32(CLAMP(o_), vperm);                                                        \
    if (nc >= 16) {                                                                                            \
      _mm_storeu_si128((__m128i*) (c1), _mm256_extracti128_si256(o_, 1));                                      \
      _mm_storeu_si128((__m128i*) (c0), _mm256_castsi256_si128(o_));                                           \
    } else {                                                                                                   \
      qk_store_partial16(c1, _mm256_extracti128_si256(o_, 1), nc);                                             \
      qk_store_partial16(c0, _mm256_castsi256_si128(o_), nc);                                                  \
    }                                                                                                          \
  }

/* fp32 mode: values above fmax were clamped in float, so only qmin remains. */
#define QK_C2_FP32_PAIR(PACK8, y00, y01, y10, y11, c0, c1)                                                     \
  {                                                                                                            \
    y00 = qk_c2_fp32(y00, vs0, vmax); y01 = qk_c2_fp32(y01, vs1, vmax);                                        \
    y10 = qk_c2_fp32(y10, vs0, vmax); y11 = qk_c2_fp32(y11, vs1, vmax);                                        \
    QK_C2_STORE2(PACK8, QK_C2_CLAMP_LO, y00, y01, y10, y11, c0, c1, nc)                                        \
  }
#define QK_C2_GEMMLOWP_PAIR(PACK8, y00, y01, y10, y11, c0, c1)                                                 \
  {                                                                                                            \
    y00 = qk_requant_gemmlowp_x8(y00, vm0, ve0); y01 = qk_requant_gemmlowp_x8(y01, vm1, ve1);                  \
    y10 = qk_requant_gemmlowp_x8(y10, vm0, ve0); y11 = qk_requant_gemmlowp_x8(y11, vm1, ve1);                  \
    QK_C2_STORE2(PACK8, QK_C2_CLAMP, y00, y01, y10, y11, c0, c1, nc)                                           \
  }

/* One K pair of one row: a = broadcast int16 pair, two column halves. */
#define QK_C2_MAC(acc0, acc1, ap, b0, b1)                                                                      \
  {                                                                                                            \
    int32_t pair_;                                                                                             \
    memcpy(&pair_, ap, sizeof pair_);                                                                          \
    const __m256i a_ = _mm256_set1_epi32(pair_);                                                               \
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a_, b0));                                                  \
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(a_, b1));                                                  \
  }

#define QK_C2_MAC_HALF(acc0, ap, b0)                                                                           \
  {                                                                                                            \
    int32_t pair_;                                                                                             \
    memcpy(&pair_, ap, sizeof pair_);                                                                          \
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_set1_epi32(pair_), b0));                            \
  }

#define QK_DEFINE_GEMM_6X16C2_AVX2(NAME, WIDEN, WIDEN8, PACK8)                                                 \
  QK_DEFINE_C2_WIDEN(NAME##_widen, WIDEN, WIDEN8)                                                      \
                                                                                                               \
  /* Single rows (M = 1 layers, the last row of M = 6q + 1): 1x16 of the same  */                              \
  /* packing, instead of six aliased rows.  Bound by weight bandwidth. */                                      \
  static void NAME##_1row(size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,       \
                          size_t cn_stride, size_t a_offset, const void* zero, const qk_gemm_params* params) { \
    QK_C2_ALIGN32 int16_t abuf[4 * QK_C2_BUF + QK_C2_SLACK];                                                                 \
    const size_t kcp = qk_round_up(kc, 2);                                                                     \
    const int fits = ks * kcp <= 4 * QK_C2_BUF;                                                                \
    if (fits) {                                                                                                \
      for (size_t t = 0; t < ks; t++) NAME##_widen(abuf + t * kcp, qk_gemm_row(a[t * 6], zero, a_offset), kc); \
    }                                                                                                          \
    const uint8_t* wp = (const uint8_t*) w;                                                                    \
    uint8_t* c0 = (uint8_t*) c;                                                                                \
    const __m256i vzp = _mm256_set1_epi16((int16_t) params->output.zero_point);                                \
    const __m256i vqmin = _mm256_set1_epi8((char) params->output.qmin);                                        \
    const __m256i vqmax = _mm256_set1_epi8((char) params->output.qmax);                                        \
    const __m256i vperm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);                                           \
    for (;;) {                                                                                                 \
      __m256i acc0 = _mm256_loadu_si256((const __m256i*) wp);                                                  \
      __m256i acc1 = _mm256_loadu_si256((const __m256i*) (wp + 32));                                           \
      __m256i acc2 = _mm256_setzero_si256(), acc3 = acc2;                                                      \
      wp += 16 * sizeof(int32_t);                                                                              \
      for (size_t t = 0; t < (fits ? 1 : ks); t++) {                                                           \
        for (size_t k0 = 0; k0 < (fits ? ks * kcp : kc); k0 += 4 * QK_C2_BUF) {                                \
          size_t n = fits ? ks * kcp : QK_MIN(kc - k0, (size_t) 4 * QK_C2_BUF);                                \
          if (!fits) NAME##_widen(abuf, qk_gemm_row(a[t * 6], zero, a_offset) + k0, n);                        \
          const int16_t* a0 = abuf;                                                                            \
          size_t pairs = (n + 1) / 2;                                                                          \
          /* two accumulator sets: independent vpaddd chains on alternate pairs */                             \
          for (; pairs >= 2; pairs -= 2, a0 += 4, wp += 4 * QK_C2_WB) {                                        \
            QK_C2_MAC(acc0, acc1, a0, QK_C2_WLOAD(wp),                                                         \
                      QK_C2_WLOAD(wp + QK_C2_WB))                                                              \
            QK_C2_MAC(acc2, acc3, a0 + 2, QK_C2_WLOAD(wp + 2 * QK_C2_WB),                                      \
                      QK_C2_WLOAD(wp + 3 * QK_C2_WB))                                                          \
          }                                                                                                    \
          if (pairs != 0) {                                                                                    \
            QK_C2_MAC(acc0, acc1, a0, QK_C2_WLOAD(wp),                                                         \
                      QK_C2_WLOAD(wp + QK_C2_WB))                                                              \
            wp += 2 * QK_C2_WB;                                                                                \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
      acc0 = _mm256_add_epi32(acc0, acc2);                                                                     \
      acc1 = _mm256_add_epi32(acc1, acc3);                                                                     \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        const __m256 vmax = _mm256_set1_ps(params->output.fmax);                                               \
        acc0 = qk_c2_fp32(acc0, _mm256_loadu_ps((const float*) wp), vmax);                                     \
        acc1 = qk_c2_fp32(acc1, _mm256_loadu_ps((const float*) (wp + 32)), vmax);                              \
        wp += 16 * sizeof(float);                                                                              \
      } else {                                                                                                 \
        acc0 = qk_requant_gemmlowp_x8(acc0, _mm256_loadu_si256((const __m256i*) wp),                           \
                                      _mm256_loadu_si256((const __m256i*) (wp + 64)));                         \
        acc1 = qk_requant_gemmlowp_x8(acc1, _mm256_loadu_si256((const __m256i*) (wp + 32)),                    \
                                      _mm256_loadu_si256((const __m256i*) (wp + 96)));                         \
        wp += 32 * sizeof(int32_t);                                                                            \
      }                                                                                                        \
      uint8_t row1[16];                                                                                        \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        QK_C2_STORE2(PACK8, QK_C2_CLAMP_LO, acc0, acc1, acc0, acc1, c0, row1, (nc >= 16 ? 16 : nc))            \
      } else {                                                                                                 \
        QK_C2_STORE2(PACK8, QK_C2_CLAMP, acc0, acc1, acc0, acc1, c0, row1, (nc >= 16 ? 16 : nc))               \
      }                                                                                                        \
      if (nc <= 16) return;                                                                                    \
      nc -= 16;                                                                                                \
      c0 += cn_stride;                                                                                         \
    }                                                                                                          \
  }                                                                                                            \
                                                                                                               \
  void NAME(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,          \
            size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero,                             \
            const qk_gemm_params* params) {                                                                    \
    if (mr == 1) {                                                                                             \
      NAME##_1row(nc, kc, ks, a, w, c, cn_stride, a_offset, zero, params);                                     \
      return;                                                                                                  \
    }                                                                                                          \
    QK_C2_ALIGN32 int16_t abuf[6 * QK_C2_BUF + QK_C2_SLACK];                                                                 \
    const size_t kcp = qk_round_up(kc, 2);                                                                     \
    const int fits = ks * kcp <= QK_C2_BUF;                                                                    \
    /* rows >= mr read row mr - 1's buffer and store to row mr - 1's output (same values) */                   \
    const int16_t* ab[6];                                                                                      \
    uint8_t* cr[6];                                                                                            \
    for (size_t r = 0; r < 6; r++) {                                                                           \
      const size_t rr = r < mr ? r : mr - 1;                                                                   \
      ab[r] = abuf + rr * QK_C2_BUF;                                                                           \
      cr[r] = (uint8_t*) c + rr * cm_stride;                                                                   \
    }                                                                                                          \
    if (fits) {                                                                                                \
      for (size_t r = 0; r < mr; r++)                                                                          \
        for (size_t t = 0; t < ks; t++)                                                                        \
          NAME##_widen(abuf + r * QK_C2_BUF + t * kcp, qk_gemm_row(a[t * 6 + r], zero, a_offset), kc);         \
    }                                                                                                          \
    const uint8_t* wp = (const uint8_t*) w;                                                                    \
    const __m256i vzp = _mm256_set1_epi16((int16_t) params->output.zero_point);                                \
    const __m256i vqmin = _mm256_set1_epi8((char) params->output.qmin);                                        \
    const __m256i vqmax = _mm256_set1_epi8((char) params->output.qmax);                                        \
    const __m256i vperm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);                                           \
    for (;;) {                                                                                                 \
      __m256i acc00 = _mm256_loadu_si256((const __m256i*) wp);                                                 \
      __m256i acc01 = _mm256_loadu_si256((const __m256i*) (wp + 32));                                          \
      __m256i acc10 = acc00, acc11 = acc01, acc20 = acc00, acc21 = acc01;                                      \
      __m256i acc30 = acc00, acc31 = acc01, acc40 = acc00, acc41 = acc01, acc50 = acc00, acc51 = acc01;        \
      wp += 16 * sizeof(int32_t);                                                                              \
      for (size_t t = 0; t < (fits ? 1 : ks); t++) {                                                           \
        for (size_t k0 = 0; k0 < (fits ? ks * kcp : kc); k0 += QK_C2_BUF) {                                    \
          const size_t n = fits ? ks * kcp : QK_MIN(kc - k0, (size_t) QK_C2_BUF);                              \
          if (!fits) {                                                                                         \
            for (size_t r = 0; r < mr; r++)                                                                    \
              NAME##_widen(abuf + r * QK_C2_BUF, qk_gemm_row(a[t * 6 + r], zero, a_offset) + k0, n);           \
          }                                                                                                    \
          const int16_t *a0 = ab[0], *a1 = ab[1], *a2 = ab[2], *a3 = ab[3], *a4 = ab[4], *a5 = ab[5];          \
          const size_t pairs = (n + 1) / 2;                                                                    \
          if (nc > 8) {                                                                                        \
            for (size_t p = 0; p < 2 * pairs; p += 2) {                                                        \
              const __m256i b0 = QK_C2_WLOAD(wp);                                                              \
              const __m256i b1 = QK_C2_WLOAD(wp + QK_C2_WB);                                                   \
              wp += 2 * QK_C2_WB;                                                                              \
              QK_C2_MAC(acc00, acc01, a0 + p, b0, b1)                                                          \
              QK_C2_MAC(acc10, acc11, a1 + p, b0, b1)                                                          \
              QK_C2_MAC(acc20, acc21, a2 + p, b0, b1)                                                          \
              QK_C2_MAC(acc30, acc31, a3 + p, b0, b1)                                                          \
              QK_C2_MAC(acc40, acc41, a4 + p, b0, b1)                                                          \
              QK_C2_MAC(acc50, acc51, a5 + p, b0, b1)                                                          \
            }                                                                                                  \
          } else {                                                                                             \
            /* last block with <= 8 columns (N = 24, 1000, ...): columns 8-15 are padding, skip them */        \
            for (size_t p = 0; p < 2 * pairs; p += 2) {                                                        \
              const __m256i b0 = QK_C2_WLOAD(wp);                                                              \
              wp += 2 * QK_C2_WB;                                                                              \
              QK_C2_MAC_HALF(acc00, a0 + p, b0)                                                                \
              QK_C2_MAC_HALF(acc10, a1 + p, b0)                                                                \
              QK_C2_MAC_HALF(acc20, a2 + p, b0)                                                                \
              QK_C2_MAC_HALF(acc30, a3 + p, b0)                                                                \
              QK_C2_MAC_HALF(acc40, a4 + p, b0)                                                                \
              QK_C2_MAC_HALF(acc50, a5 + p, b0)                                                                \
            }                                                                                                  \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
      /* one row pair at a time (high rows first: an aliased row r >= mr is rewritten by its real row), */     \
      /* so the requantization constants and 4 accumulators fit the registers without spills */                \
      if (params->requantization == QK_REQUANT_FP32) {                                                         \
        const __m256 vs0 = _mm256_loadu_ps((const float*) wp);                                                 \
        const __m256 vs1 = _mm256_loadu_ps((const float*) (wp + 32));                                          \
        const __m256 vmax = _mm256_set1_ps(params->output.fmax);                                               \
        wp += 16 * sizeof(float);                                                                              \
        QK_C2_FP32_PAIR(PACK8, acc40, acc41, acc50, acc51, cr[4], cr[5])                                       \
        QK_C2_FP32_PAIR(PACK8, acc20, acc21, acc30, acc31, cr[2], cr[3])                                       \
        QK_C2_FP32_PAIR(PACK8, acc00, acc01, acc10, acc11, cr[0], cr[1])                                       \
      } else {                                                                                                 \
        const __m256i vm0 = _mm256_loadu_si256((const __m256i*) wp);                                           \
        const __m256i vm1 = _mm256_loadu_si256((const __m256i*) (wp + 32));                                    \
        const __m256i ve0 = _mm256_loadu_si256((const __m256i*) (wp + 64));                                    \
        const __m256i ve1 = _mm256_loadu_si256((const __m256i*) (wp + 96));                                    \
        wp += 32 * sizeof(int32_t);                                                                            \
        QK_C2_GEMMLOWP_PAIR(PACK8, acc40, acc41, acc50, acc51, cr[4], cr[5])                                   \
        QK_C2_GEMMLOWP_PAIR(PACK8, acc20, acc21, acc30, acc31, cr[2], cr[3])                                   \
        QK_C2_GEMMLOWP_PAIR(PACK8, acc00, acc01, acc10, acc11, cr[0], cr[1])                                   \
      }                                                                                                        \
      if (nc <= 16) return;                                                                                    \
      nc -= 16;                                                                                                \
      for (size_t r = 0; r < 6; r++) cr[r] += cn_stride;                                                       \
    }                                                                                                          \
  }

#endif
