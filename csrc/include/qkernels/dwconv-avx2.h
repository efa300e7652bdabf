/* Depthwise up16xT / up32xT body for AVX2 and AVX-512 (included only by
 * files compiled with -mavx2: the *-avx2.c kernels, and the *-avx512vnni.c
 * ones, which add F/BW/DQ/VL/VNNI; see "vector width" below).
 *
 * Measured on the MobileNetV2 depthwise layers (AMD EPYC, Zen 4 class, one
 * thread, direct kernel A/B): up16x9 AVX2 -> the same body with ymm
 * vpdpwssd 1.20x, + vpmovswb narrowing 1.25x; up32x9 on zmm 1.53x (with
 * masked tails; through the per-pixel stack-copy tail the 16-channel
 * remainder of C = 144 made it 2x slower there).
 *
 * Same pmaddwd-on-tap-pairs scheme as dwconv-sse.h, 16 channels per block:
 * the bytes of two tap rows are interleaved in 128-bit registers
 * (punpcklbw/punpckhbw -> channels 0-7 / 8-15 as [x_a, x_b] pairs), then
 * widened to 256 bits with vpmovsxbw/vpmovzxbw, which keeps the channels in
 * order, so each vpmaddwd yields 8 consecutive channels' 2-tap sums: 16
 * exact MACs per instruction and no lane fix-up before requantization.
 * An odd last tap is paired with itself (its partner weight is 0).
 *
 * Loop order: a row is cut into chunks of up to 64 pixels whose tap
 * pointers are resolved once; then the 16-channel blocks are the OUTER loop
 * and the chunk's pixels the inner one.  One block's weights (448 bytes for
 * 9 taps) stay in L1 for the whole chunk; with pixels outer, every pixel of
 * a 7x7x960 layer streamed all 27 KB of weights plus 9 input rows through
 * the 32 KB L1 (measured 20 GOP/s there against 36 on 14x14x384).
 *
 * 3x3 stride 1 and stride 2 (compact indirection rows, step 3 or 6) stream
 * over the input COLUMNS instead of building every pixel's 5 pairs: each
 * tap-pair interleave is built once and serves up to two pixels, rows are
 * widened once (straight from memory) and paired with 16-bit unpacks; see
 * the section "3x3 stride 1 and 2" below.  Per pixel and 16-channel block,
 * stride 1 takes 3 widens + 4 unpacks (the generic path 10 + 10) and 3 row
 * loads (9); stride 2 takes 6 + 6 and 6 row loads.  The requantization of a
 * finished pixel is issued one column later, when its inputs are ready
 * (measured ~12% on stride 1: the instructions do not sit in the scheduler
 * waiting for the column's multiplies).  Any other layout (dilation, 5x5,
 * kernels smaller than their taps) uses the per-pixel path.
 *
 * Chunks of a 3x3 row whose 3-row input window exceeds 28 KB are cut to
 * <= 24 KB so the blocks re-read the window from L1 (112x112x96 stride 2).
 *
 * Requantization, fp32: only the upper float clamp is needed before
 * vcvtps2dq (it keeps the conversion in range); the lower clamp is the
 * saturating narrowing plus a byte max, which equals clamping first since
 * rounding is monotone and qmin - zp is an integer (requant.h).
 *
 * Tails (< QK_DW_CR channels): with AVX512BW (avx512vnni files) the same
 * paths as a full block with masked byte loads and stores; on AVX2 a zeroed
 * stack copy of exactly the remaining bytes of each row, per pixel; only the
 * remaining outputs are stored. */
#ifndef QKERNELS_DWCONV_AVX2_H
#define QKERNELS_DWCONV_AVX2_H

#include <immintrin.h>

#include "qkernels/dwconv.h"

#define QK_DW_ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- vector width ----
 *
 * The body below is written once for a vector of QK_DW_CR / 2 int32 (or
 * QK_DW_CR int16) lanes and QK_DW_CR input bytes per block row:
 *   default       ymm, 16 channels per block (up16x*-avx2.c, and
 *                 up16x*-avx512vnni.c, which get the AVX-512 forms of
 *                 QK_DW_DOT and of the narrowing below)
 *   QK_DW_ZMM     zmm, 32 channels per block (up32x*-avx512vnni.c)
 * The 128-bit lane structure is the same in both (unpacks, packs and the
 * "lane order" of the streaming paths work per 128-bit lane), so only the
 * few cross-lane steps differ: qk_dw_avx2_lanes_pair, the byte interleave of
 * the per-pixel path (qk_dw_avx2_pair), the gemmlowp blend/sign and the
 * final narrowing. */
#if defined(QK_DW_ZMM)
#define QK_DW_CR 32
typedef __m512i qk_dw_v; /* 32 int16 / 16 int32 */
typedef __m512 qk_dw_vf;
typedef __m256i qk_dw_b; /* the block's 32 bytes of one row or output */
#define QK_DW_OP(name) _mm512_##name
#define QK_DW_LOAD(p) _mm512_loadu_si512((const void*) (p))
#define QK_DW_STORE(p, v) _mm512_storeu_si512((void*) (p), (v))
#define QK_DW_LOADB(p) _mm256_loadu_si256((const __m256i*) (p))
#define QK_DW_STOREB(p, v) _mm256_storeu_si256((__m256i*) (p), (v))
#define QK_DW_ZERO() _mm512_setzero_si512()
#define QK_DW_OR(a, b) _mm512_or_si512((a), (b))
#else
#define QK_DW_CR 16
typedef __m256i qk_dw_v; /* 16 int16 / 8 int32 */
typedef __m256 qk_dw_vf;
typedef __m128i qk_dw_b; /* the block's 16 bytes of one row or output */
#define QK_DW_OP(name) _mm256_##name
#define QK_DW_LOAD(p) _mm256_loadu_si256((const __m256i*) (p))
#define QK_DW_STORE(p, v) _mm256_storeu_si256((__m256i*) (p), (v))
#define QK_DW_LOADB(p) _mm_loadu_si128((const __m128i*) (p))
#define QK_DW_STOREB(p, v) _mm_storeu_si128((__m128i*) (p), (v))
#define QK_DW_ZERO() _mm256_setzero_si256()
#define QK_DW_OR(a, b) _mm256_or_si256((a), (b))
#endif
#define QK_DW_HALF (QK_DW_CR / 2) /* int32 lanes of one accumulator */

/* acc + the 2-tap sums of x * w (int16 pairs -> int32 lanes), the one
 * multiply-accumulate of every path below.  Files compiled for the
 * avx512vnni level get the fused vpdpwssd (on ymm through AVX512VL, or zmm):
 * one instruction instead of vpmaddwd + vpaddd, and the EVEX encoding gives
 * the compiler 32 vector registers.  It is exact and equal to the AVX2
 * pair: vpdpwssd adds both products to acc modulo 2^32 (the non-saturating
 * form; vpdpwssds would saturate), and vpmaddwd + vpaddd is the same sum
 * modulo 2^32 (here |x * w| <= 255 * 255, so even vpmaddwd's one wrapping
 * case cannot occur). */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define QK_DW_DOT(acc, x, w) QK_DW_OP(dpwssd_epi32)((acc), (x), (w))
#else
#define QK_DW_DOT(acc, x, w) QK_DW_OP(add_epi32)((acc), QK_DW_OP(madd_epi16)((x), (w)))
#endif

/* pointers per chunk; a chunk of a 3x3 stride-2 row of 64 pixels needs 3 * 129 */
#define QK_DW_AVX2_PTRS 400
#define QK_DW_AVX2_CHUNK 64
/* input window of a 3x3 s1/s2 chunk kept in L1 (see qk_dwconv_avx2_mode) */
#define QK_DW_AVX2_WINDOW_MAX 28672
#define QK_DW_AVX2_WINDOW 24576

/* gemmlowp on QK_DW_HALF lanes with per-lane multiplier, rounding and shift
 * (|acc| formulation of requant/gemmlowp-sse41.c; vpsrlvd does the per-lane
 * rounding right shift).  r: multipliers; r + cr shifts, r + 2 cr roundings. */
QK_DW_ALWAYS_INLINE qk_dw_v qk_dw_avx2_gemmlowp(qk_dw_v x, const int32_t* r, size_t cr) {
  const qk_dw_v vmult = QK_DW_LOAD(r);
  const qk_dw_v vshift = QK_DW_LOAD(r + cr);
  const qk_dw_v vround32 = QK_DW_LOAD(r + 2 * cr);
  const qk_dw_v ax = QK_DW_OP(abs_epi32)(x);
  const qk_dw_v neg = QK_DW_OP(srai_epi32)(x, 31);
#if defined(QK_DW_ZMM)
  const qk_dw_v vround64 = _mm512_set1_epi64(INT64_C(1) << 30);
  const qk_dw_v neg_even = _mm512_shuffle_epi32(neg, (_MM_PERM_ENUM) _MM_SHUFFLE(2, 2, 0, 0));
  const qk_dw_v neg_odd = _mm512_shuffle_epi32(neg, (_MM_PERM_ENUM) _MM_SHUFFLE(3, 3, 1, 1));
#else
  const qk_dw_v vround64 = _mm256_set1_epi64x(INT64_C(1) << 30);
  const qk_dw_v neg_even = _mm256_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0));
  const qk_dw_v neg_odd = _mm256_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1));
#endif
  const qk_dw_v round_even = QK_DW_OP(add_epi64)(vround64, neg_even);
  const qk_dw_v round_odd = QK_DW_OP(add_epi64)(vround64, neg_odd);
  const qk_dw_v even = QK_DW_OP(srli_epi64)(QK_DW_OP(add_epi64)(QK_DW_OP(mul_epu32)(ax, vmult), round_even), 31);
  const qk_dw_v odd = QK_DW_OP(srli_epi64)(
      QK_DW_OP(add_epi64)(QK_DW_OP(mul_epu32)(QK_DW_OP(srli_epi64)(ax, 32), QK_DW_OP(srli_epi64)(vmult, 32)),
                          round_odd),
      31);
#if defined(QK_DW_ZMM)
  const qk_dw_v u = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  const qk_dw_v y = _mm512_srlv_epi32(_mm512_add_epi32(u, vround32), vshift);
  /* the sign of x (y is 0 where x is 0, as with vpsignd) */
  return _mm512_mask_sub_epi32(y, _mm512_movepi32_mask(x), _mm512_setzero_si512(), y);
#else
  const qk_dw_v u = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  return _mm256_sign_epi32(_mm256_srlv_epi32(_mm256_add_epi32(u, vround32), vshift), x);
#endif
}

/* The last block of a row when channels % QK_DW_CR != 0.  With AVX512BW +
 * VL (the avx512vnni files) it runs the same paths as a full block with
 * masked byte loads and stores (vmovdqu8 {k}: masked-off bytes are neither
 * read, so they cannot fault, nor written); `on` is a compile-time constant
 * in every call, so full blocks keep plain loads.  Without masks (AVX2) the
 * tail is a per-pixel stack copy (qk_dw_avx2_tail). */
#if defined(__AVX512BW__) && defined(__AVX512VL__)
#define QK_DW_MASKED 1
#if defined(QK_DW_ZMM)
typedef __mmask32 qk_dw_k;
#define QK_DW_LOADB_MASK(k, p) _mm256_maskz_loadu_epi8((k), (const void*) (p))
#define QK_DW_STOREB_MASK(p, k, v) _mm256_mask_storeu_epi8((void*) (p), (k), (v))
#else
typedef __mmask16 qk_dw_k;
#define QK_DW_LOADB_MASK(k, p) _mm_maskz_loadu_epi8((k), (const void*) (p))
#define QK_DW_STOREB_MASK(p, k, v) _mm_mask_storeu_epi8((void*) (p), (k), (v))
#endif
#else
#define QK_DW_MASKED 0
typedef unsigned qk_dw_k;
#endif
typedef struct {
  int on;    /* a partial block */
  qk_dw_k k; /* its channels */
} qk_dw_m;

QK_DW_ALWAYS_INLINE qk_dw_b qk_dw_avx2_loadb(const uint8_t* p, qk_dw_m m) {
#if QK_DW_MASKED
  if (m.on) return QK_DW_LOADB_MASK(m.k, p);
#else
  (void) m;
#endif
  return QK_DW_LOADB(p);
}

QK_DW_ALWAYS_INLINE void qk_dw_avx2_store(qk_dw_m m, uint8_t* p, qk_dw_b v) {
#if QK_DW_MASKED
  if (m.on) {
    QK_DW_STOREB_MASK(p, m.k, v);
    return;
  }
#else
  (void) m;
#endif
  QK_DW_STOREB(p, v);
}

QK_DW_ALWAYS_INLINE qk_dw_v qk_dw_avx2_widen(qk_dw_b v, int is_signed) {
  return is_signed ? QK_DW_OP(cvtepi8_epi16)(v) : QK_DW_OP(cvtepu8_epi16)(v);
}

/* Output constants, loaded once per call. */
typedef struct {
  qk_dw_vf fmax;
  qk_dw_v zp, qmin16, qmax16;
  __m128i qmin, qmax;
} qk_dw_avx2_out;

QK_DW_ALWAYS_INLINE qk_dw_avx2_out qk_dw_avx2_out_init(const qk_dwconv_params* params) {
  qk_dw_avx2_out o;
  o.fmax = QK_DW_OP(set1_ps)(params->q.fmax);
  o.zp = QK_DW_OP(set1_epi16)((int16_t) params->q.zero_point);
  o.qmin16 = QK_DW_OP(set1_epi16)((int16_t) params->q.qmin);
  o.qmax16 = QK_DW_OP(set1_epi16)((int16_t) params->q.qmax);
  o.qmin = _mm_set1_epi8((char) params->q.qmin);
  o.qmax = _mm_set1_epi8((char) params->q.qmax);
  return o;
}

/* The two accumulators of one block -> QK_DW_CR output bytes.
 * lanes == 0: channel order (acc0 = the first half of the channels, acc1 the
 * second); lanes == 1: lane order (see the 3x3 section).  rq: the block's
 * requantization data in the same order. */
QK_DW_ALWAYS_INLINE qk_dw_b qk_dw_avx2_requantx(int is_signed, int mode, int lanes, qk_dw_v acc0, qk_dw_v acc1,
                                               const uint8_t* rq, const qk_dw_avx2_out* o) {
  qk_dw_v y0, y1;
  if (mode == QK_DWCONV_FP32) {
    /* upper clamp only; the lower one is done by the saturating packs and the
     * clamp below (see the header comment) */
    const qk_dw_vf f0 = QK_DW_OP(mul_ps)(QK_DW_OP(cvtepi32_ps)(acc0), QK_DW_OP(loadu_ps)((const float*) rq));
    const qk_dw_vf f1 =
        QK_DW_OP(mul_ps)(QK_DW_OP(cvtepi32_ps)(acc1), QK_DW_OP(loadu_ps)((const float*) rq + QK_DW_HALF));
    y0 = QK_DW_OP(cvtps_epi32)(QK_DW_OP(min_ps)(f0, o->fmax));
    y1 = QK_DW_OP(cvtps_epi32)(QK_DW_OP(min_ps)(f1, o->fmax));
  } else {
    y0 = qk_dw_avx2_gemmlowp(acc0, (const int32_t*) rq, QK_DW_CR);
    y1 = qk_dw_avx2_gemmlowp(acc1, (const int32_t*) rq + QK_DW_HALF, QK_DW_CR);
  }
  /* packs works per 128-bit lane: lane k = [y0 lane k, y1 lane k].  In lane
   * order (y0 = channels 8k..8k+3 of lane k, y1 = 8k+4..8k+7) that is
   * already channel order; in channel order the 64-bit permute (even
   * qwords, then odd ones) restores it. */
  qk_dw_v v = QK_DW_OP(packs_epi32)(y0, y1);
#if defined(QK_DW_ZMM)
  if (!lanes) v = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), v);
#else
  if (!lanes) v = _mm256_permute4x64_epi64(v, _MM_SHUFFLE(3, 1, 2, 0));
#endif
  v = QK_DW_OP(adds_epi16)(v, o->zp);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  /* AVX512BW: clamp the words, then one saturating narrow (vpmovswb /
   * vpmovuswb) instead of extract + packs + byte clamp.  The words are
   * clamped to [qmin, qmax] first, so the narrow never saturates (for qu8
   * qmin >= 0 makes the unsigned narrow of signed words exact); the
   * saturating packs and adds before keep the order of values against the
   * clamp bounds.  fp32 values are already <= qmax. */
  v = QK_DW_OP(max_epi16)(v, o->qmin16);
  if (mode != QK_DWCONV_FP32) v = QK_DW_OP(min_epi16)(v, o->qmax16);
  return is_signed ? QK_DW_OP(cvtsepi16_epi8)(v) : QK_DW_OP(cvtusepi16_epi8)(v);
#else
  const __m128i v0 = _mm256_castsi256_si128(v), v1 = _mm256_extracti128_si256(v, 1);
  __m128i q;
  /* the saturating packs keep the order of values against qmin/qmax; fp32
   * values are already <= qmax */
  if (is_signed) {
    q = _mm_max_epi8(_mm_packs_epi16(v0, v1), o->qmin);
    if (mode != QK_DWCONV_FP32) q = _mm_min_epi8(q, o->qmax);
  } else {
    q = _mm_max_epu8(_mm_packus_epi16(v0, v1), o->qmin);
    if (mode != QK_DWCONV_FP32) q = _mm_min_epu8(q, o->qmax);
  }
  return q;
#endif
}

/* acc += the products of one pair of tap rows xa, xb (QK_DW_CR channels
 * each) with the pair's packed weights wp[0] (first half of the channels)
 * and wp[1] (second half): the bytes are interleaved into [x_a, x_b] pairs
 * in channel order, then widened. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_pair(int is_signed, qk_dw_b xa, qk_dw_b xb, const qk_dw_v* wp, qk_dw_v* acc0,
                                         qk_dw_v* acc1) {
#if defined(QK_DW_ZMM)
  /* vpunpcklbw works per 128-bit lane: with the qwords in order 0, 2, 1, 3
   * its low result is channels 0-7 | 8-15 and the high one 16-23 | 24-31 */
  xa = _mm256_permute4x64_epi64(xa, _MM_SHUFFLE(3, 1, 2, 0));
  xb = _mm256_permute4x64_epi64(xb, _MM_SHUFFLE(3, 1, 2, 0));
  const qk_dw_v lo = qk_dw_avx2_widen(_mm256_unpacklo_epi8(xa, xb), is_signed);
  const qk_dw_v hi = qk_dw_avx2_widen(_mm256_unpackhi_epi8(xa, xb), is_signed);
#else
  const qk_dw_v lo = qk_dw_avx2_widen(_mm_unpacklo_epi8(xa, xb), is_signed);
  const qk_dw_v hi = qk_dw_avx2_widen(_mm_unpackhi_epi8(xa, xb), is_signed);
#endif
  *acc0 = QK_DW_DOT(*acc0, lo, QK_DW_LOAD(wp));
  *acc1 = QK_DW_DOT(*acc1, hi, QK_DW_LOAD(wp + 1));
}

/* One block of QK_DW_CR channels of one pixel: rows[t] + c are the tap rows. */
QK_DW_ALWAYS_INLINE qk_dw_b qk_dw_avx2_block(size_t taps, int is_signed, int mode, const uint8_t* const* rows,
                                            size_t c, const uint8_t* w, const qk_dw_avx2_out* o, qk_dw_m m) {
  const qk_dw_v* W = (const qk_dw_v*) w;
  qk_dw_v acc0 = QK_DW_LOAD(W);
  qk_dw_v acc1 = QK_DW_LOAD(W + 1);
  const qk_dw_v* wp = W + 2;
#pragma GCC unroll 12
  for (size_t p = 0; p < taps / 2; p++) {
    const qk_dw_b xa = qk_dw_avx2_loadb(rows[2 * p] + c, m);
    const qk_dw_b xb = qk_dw_avx2_loadb(rows[2 * p + 1] + c, m);
    qk_dw_avx2_pair(is_signed, xa, xb, wp + 2 * p, &acc0, &acc1);
  }
  if (taps % 2) {
    /* the last tap with itself: its partner weight is 0 */
    const qk_dw_b xa = qk_dw_avx2_loadb(rows[taps - 1] + c, m);
    qk_dw_avx2_pair(is_signed, xa, xa, wp + taps - 1, &acc0, &acc1);
  }
  return qk_dw_avx2_requantx(is_signed, mode, 0, acc0, acc1, (const uint8_t*) (wp + 2 * ((taps + 1) / 2)), o);
}

/* ---- 3x3 stride 1 and 2: widen first, interleave 16-bit words ----
 *
 * Each input row of a column is widened once (vpmovsxbw/vpmovzxbw straight
 * from memory) and the tap pairs are formed with vpunpcklwd/vpunpckhwd,
 * which work within 128-bit lanes: the "lo" product vector then holds
 * channels 0-3 | 8-11 and the "hi" one 4-7 | 12-15 ("lane order"; on zmm
 * 0-3 | 8-11 | 16-19 | 24-27 and 4-7 | 12-15 | 20-23 | 28-31).  The
 * block's bias, weights and requantization data are permuted to that order
 * once per block and chunk (qk_dw_avx2_lanes_init), and packssdw of the two
 * accumulators lands in channel order with no fix-up permute.
 *
 * Stride 1 pairs the taps differently from the packed order, so that one
 * column needs only two interleaves: A_j = [y0, y1] of column j (pair
 * (w0,w1), (w3,w4) or (w6,w7) of the pixel whose kx = 0, 1, 2 is column j)
 * and E_j = [y2 of column j, y2 of column j+1] (pair (w2,w5) of the pixel
 * whose kx = 0 is column j, and (w8,0) of the pixel whose kx = 2 is column
 * j: its partner weight is 0): 3 widens + 4 unpacks per pixel and block.
 * Stride 2 keeps the packed pairs: A = [y0, y1] and C = [y2, next y0] of
 * the even column shared by two pixels, B = [y1, y2] of the odd one:
 * 6 widens + 6 unpacks per pixel.
 *
 * Tried at stride 2 and measured slower (zmm, Zen 4 class, direct kernel
 * A/B, bit-exact): interleaving the byte rows first at half width
 * (vpunpck*bw on ymm, ~3x the throughput of a zmm vpunpcklwd in isolation)
 * and widening the pairs from registers, with weights in the matching
 * order and one qword permute before the narrowing: 1.03-1.16x SLOWER on
 * the four MobileNetV2 stride-2 layers (the widen from memory is a fused
 * load); splitting each accumulator into two shorter vpdpwssd chains: slower
 * still (the loop is throughput-bound, not latency-bound).  The
 * requantization is 25-32% of the 3x3 time (measured by replacing it with a
 * plain narrowing). */
typedef struct {
  qk_dw_v bias[2];
  qk_dw_v w[5][2];
  int32_t rq[3 * QK_DW_CR]; /* the packed requantization data (groups of QK_DW_CR), lane order */
} qk_dw_avx2_lanes;

/* Two channel-order vectors (the first and second half of the block's
 * channels) -> lane order: out[0] gets the low 4 channels of every 8,
 * out[1] the high 4. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_lanes_pair(qk_dw_v first, qk_dw_v second, qk_dw_v* out) {
#if defined(QK_DW_ZMM)
  /* first = channels 0-3 | 4-7 | 8-11 | 12-15, second = 16-19 | ... | 28-31 */
  out[0] = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(2, 0, 2, 0));
  out[1] = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(3, 1, 3, 1));
#else
  out[0] = _mm256_permute2x128_si256(first, second, 0x20);
  out[1] = _mm256_permute2x128_si256(first, second, 0x31);
#endif
}

QK_DW_ALWAYS_INLINE void qk_dw_avx2_lanes_init(int s1, int mode, const uint8_t* w, qk_dw_avx2_lanes* L) {
  const qk_dw_v* W = (const qk_dw_v*) w + 2;
  qk_dw_avx2_lanes_pair(QK_DW_LOAD(W - 2), QK_DW_LOAD(W - 1), L->bias);
  if (s1) {
    /* (w0,w1) (w2,w5) (w3,w4) (w6,w7) (w8,0) from the packed (w2,w3) (w4,w5) */
    qk_dw_v w25[2], w34[2];
    for (int h = 0; h < 2; h++) {
      const qk_dw_v p23 = QK_DW_LOAD(W + 2 + h), p45 = QK_DW_LOAD(W + 4 + h);
#if defined(QK_DW_ZMM)
      w25[h] = _mm512_mask_blend_epi16(0xAAAAAAAA, p23, p45);
#else
      w25[h] = _mm256_blend_epi16(p23, p45, 0xAA);
#endif
      w34[h] = QK_DW_OR(QK_DW_OP(srli_epi32)(p23, 16), QK_DW_OP(slli_epi32)(p45, 16));
    }
    qk_dw_avx2_lanes_pair(QK_DW_LOAD(W + 0), QK_DW_LOAD(W + 1), L->w[0]);
    qk_dw_avx2_lanes_pair(w25[0], w25[1], L->w[1]);
    qk_dw_avx2_lanes_pair(w34[0], w34[1], L->w[2]);
  } else {
    for (int p = 0; p < 3; p++) {
      qk_dw_avx2_lanes_pair(QK_DW_LOAD(W + 2 * p), QK_DW_LOAD(W + 2 * p + 1), L->w[p]);
    }
  }
  qk_dw_avx2_lanes_pair(QK_DW_LOAD(W + 6), QK_DW_LOAD(W + 7), L->w[3]);
  qk_dw_avx2_lanes_pair(QK_DW_LOAD(W + 8), QK_DW_LOAD(W + 9), L->w[4]);
  const qk_dw_v* R = W + 10;
  const int groups = mode == QK_DWCONV_FP32 ? 1 : 3;
  for (int g = 0; g < groups; g++) {
    qk_dw_v r[2];
    qk_dw_avx2_lanes_pair(QK_DW_LOAD(R + 2 * g), QK_DW_LOAD(R + 2 * g + 1), r);
    QK_DW_STORE(L->rq + QK_DW_CR * g, r[0]);
    QK_DW_STORE(L->rq + QK_DW_CR * g + QK_DW_HALF, r[1]);
  }
}

/* QK_DW_CR channels from p, widened */
QK_DW_ALWAYS_INLINE qk_dw_v qk_dw_avx2_row(const uint8_t* p, int is_signed, qk_dw_m m) {
  return qk_dw_avx2_widen(qk_dw_avx2_loadb(p, m), is_signed);
}

#define QK_DW_AVX2_MADD(acc, x, wv) (acc) = QK_DW_DOT((acc), (x), (wv))

/* One input column j of a stride-1 chunk of n pixels (columns 0..n+1):
 * y0 y1 y2 its widened rows, y2n the next column's y2 (or any row when
 * there is none: only the (w8,0) pair uses it).  old/mid/nw: pixels j-2,
 * j-1, j; the pixels that do not exist are flagged off. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_s1_column(int has_new, int has_mid, int has_old, qk_dw_v y0, qk_dw_v y1,
                                              qk_dw_v y2, qk_dw_v y2n, const qk_dw_avx2_lanes* L, qk_dw_v* old,
                                              qk_dw_v* mid, qk_dw_v* nw) {
  const qk_dw_v alo = QK_DW_OP(unpacklo_epi16)(y0, y1), ahi = QK_DW_OP(unpackhi_epi16)(y0, y1);
  const qk_dw_v elo = QK_DW_OP(unpacklo_epi16)(y2, y2n), ehi = QK_DW_OP(unpackhi_epi16)(y2, y2n);
  if (has_new) {
    nw[0] = QK_DW_DOT(L->bias[0], alo, L->w[0][0]);
    nw[1] = QK_DW_DOT(L->bias[1], ahi, L->w[0][1]);
    QK_DW_AVX2_MADD(nw[0], elo, L->w[1][0]);
    QK_DW_AVX2_MADD(nw[1], ehi, L->w[1][1]);
  }
  if (has_mid) {
    QK_DW_AVX2_MADD(mid[0], alo, L->w[2][0]);
    QK_DW_AVX2_MADD(mid[1], ahi, L->w[2][1]);
  }
  if (has_old) {
    QK_DW_AVX2_MADD(old[0], alo, L->w[3][0]);
    QK_DW_AVX2_MADD(old[1], ahi, L->w[3][1]);
    QK_DW_AVX2_MADD(old[0], elo, L->w[4][0]);
    QK_DW_AVX2_MADD(old[1], ehi, L->w[4][1]);
  }
}

/* QK_DW_CR channels (from c) of n >= 1 pixels of a 3x3 stride-1 row: r[3*j + y]
 * is column j, row y, for columns 0..n+1.  linear != 0: columns 2..n are
 * r[6 + y] + (j - 2) * linear (rows inside the image: no padding there). */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_s1_block(int is_signed, int mode, size_t n, const uint8_t* const* r, size_t c,
                                             size_t linear, const uint8_t* w, uint8_t* out, size_t output_stride,
                                             const qk_dw_avx2_out* o, qk_dw_m m) {
  qk_dw_avx2_lanes L;
  qk_dw_avx2_lanes_init(1, mode, w, &L);
  const uint8_t* rq = (const uint8_t*) L.rq;
  qk_dw_v acc[6] = {QK_DW_ZERO(), QK_DW_ZERO(), QK_DW_ZERO(),
                    QK_DW_ZERO(), QK_DW_ZERO(), QK_DW_ZERO()};
  qk_dw_v y2 = qk_dw_avx2_row(r[2] + c, is_signed, m);
  size_t j = 0;
  /* columns 0 and 1: no finished pixel yet (when n == 1 the "new" pixel of
   * column 1 does not exist: it is computed from valid rows, never stored) */
  for (; j < 2; j++) {
    const qk_dw_v y0 = qk_dw_avx2_row(r[3 * j] + c, is_signed, m), y1 = qk_dw_avx2_row(r[3 * j + 1] + c, is_signed, m);
    const qk_dw_v y2n = qk_dw_avx2_row(r[3 * j + 5] + c, is_signed, m); /* column j+1 <= n exists */
    qk_dw_avx2_s1_column(1, 1, 0, y0, y1, y2, y2n, &L, acc, acc + 2, acc + 4);
    acc[0] = acc[2], acc[1] = acc[3], acc[2] = acc[4], acc[3] = acc[5];
    y2 = y2n;
  }
  /* steady state: column j finishes pixel j-2, whose requantization is
   * issued at the start of the next column, when its inputs are ready */
  qk_dw_v d0 = acc[0], d1 = acc[1];
  if (linear) {
    /* columns 2..n are r[6 + y] + (j - 2) * linear: one index, no pointer loads */
    const uint8_t *q0 = r[6] + c, *q1 = r[7] + c, *q2 = r[8] + c + linear;
    for (size_t off = 0; j < n; j++, off += linear) {
      if (j > 2) {
        qk_dw_avx2_store(m, (out + (j - 3) * output_stride),
                         qk_dw_avx2_requantx(is_signed, mode, 1, d0, d1, rq, o));
      }
      const qk_dw_v y0 = qk_dw_avx2_row(q0 + off, is_signed, m), y1 = qk_dw_avx2_row(q1 + off, is_signed, m);
      const qk_dw_v y2n = qk_dw_avx2_row(q2 + off, is_signed, m);
      qk_dw_avx2_s1_column(1, 1, 1, y0, y1, y2, y2n, &L, acc, acc + 2, acc + 4);
      d0 = acc[0], d1 = acc[1];
      acc[0] = acc[2], acc[1] = acc[3], acc[2] = acc[4], acc[3] = acc[5];
      y2 = y2n;
    }
  }
  for (; j < n; j++) {
    if (j > 2) {
      qk_dw_avx2_store(m, (out + (j - 3) * output_stride),
                       qk_dw_avx2_requantx(is_signed, mode, 1, d0, d1, rq, o));
    }
    const qk_dw_v y0 = qk_dw_avx2_row(r[3 * j] + c, is_signed, m), y1 = qk_dw_avx2_row(r[3 * j + 1] + c, is_signed, m);
    const qk_dw_v y2n = qk_dw_avx2_row(r[3 * j + 5] + c, is_signed, m);
    qk_dw_avx2_s1_column(1, 1, 1, y0, y1, y2, y2n, &L, acc, acc + 2, acc + 4);
    d0 = acc[0], d1 = acc[1];
    acc[0] = acc[2], acc[1] = acc[3], acc[2] = acc[4], acc[3] = acc[5];
    y2 = y2n;
  }
  if (n > 2) {
    qk_dw_avx2_store(m, (out + (n - 3) * output_stride),
                     qk_dw_avx2_requantx(is_signed, mode, 1, d0, d1, rq, o));
  }
  /* the last two columns n and n+1 (for n == 1, only column 2 is left) */
  for (j = n < 2 ? 2 : n; j < n + 2; j++) {
    const qk_dw_v y0 = qk_dw_avx2_row(r[3 * j] + c, is_signed, m), y1 = qk_dw_avx2_row(r[3 * j + 1] + c, is_signed, m);
    const qk_dw_v y2n = j + 1 < n + 2 ? qk_dw_avx2_row(r[3 * j + 5] + c, is_signed, m) : y2;
    qk_dw_avx2_s1_column(0, 1, 1, y0, y1, y2, y2n, &L, acc, acc + 2, acc + 4);
    qk_dw_avx2_store(m, (out + (j - 2) * output_stride),
                     qk_dw_avx2_requantx(is_signed, mode, 1, acc[0], acc[1], rq, o));
    acc[0] = acc[2], acc[1] = acc[3];
    y2 = y2n;
  }
}

/* QK_DW_CR channels (from c) of n >= 1 pixels of a 3x3 stride-2 row: r[3*j + y]
 * is column j, row y, for columns 0..2n; pixel p uses columns 2p..2p+2. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_s2_block(int is_signed, int mode, size_t n, const uint8_t* const* r, size_t c,
                                             const uint8_t* w, uint8_t* out, size_t output_stride,
                                             const qk_dw_avx2_out* o, qk_dw_m m) {
  qk_dw_avx2_lanes L;
  qk_dw_avx2_lanes_init(0, mode, w, &L);
  const uint8_t* rq = (const uint8_t*) L.rq;
  /* A = [y0, y1] and C = [y2, next y0] of the even column 2p, [lo, hi] */
  qk_dw_v a_lo, a_hi, c_lo, c_hi;
  {
    const qk_dw_v y0 = qk_dw_avx2_row(r[0] + c, is_signed, m), y1 = qk_dw_avx2_row(r[1] + c, is_signed, m);
    const qk_dw_v y2 = qk_dw_avx2_row(r[2] + c, is_signed, m), y0n = qk_dw_avx2_row(r[3] + c, is_signed, m);
    a_lo = QK_DW_OP(unpacklo_epi16)(y0, y1), a_hi = QK_DW_OP(unpackhi_epi16)(y0, y1);
    c_lo = QK_DW_OP(unpacklo_epi16)(y2, y0n), c_hi = QK_DW_OP(unpackhi_epi16)(y2, y0n);
  }
  qk_dw_v d0 = a_lo, d1 = a_hi;
  for (size_t p = 0; p < n; p++) {
    if (p > 0) {
      qk_dw_avx2_store(m, (out + (p - 1) * output_stride),
                       qk_dw_avx2_requantx(is_signed, mode, 1, d0, d1, rq, o));
    }
    const uint8_t* const* ro = r + 3 * (2 * p + 1); /* odd column */
    const uint8_t* const* re = ro + 3;              /* next even column */
    qk_dw_v acc0 = QK_DW_DOT(L.bias[0], a_lo, L.w[0][0]);
    qk_dw_v acc1 = QK_DW_DOT(L.bias[1], a_hi, L.w[0][1]);
    QK_DW_AVX2_MADD(acc0, c_lo, L.w[1][0]);
    QK_DW_AVX2_MADD(acc1, c_hi, L.w[1][1]);
    {
      const qk_dw_v y1 = qk_dw_avx2_row(ro[1] + c, is_signed, m), y2 = qk_dw_avx2_row(ro[2] + c, is_signed, m);
      QK_DW_AVX2_MADD(acc0, QK_DW_OP(unpacklo_epi16)(y1, y2), L.w[2][0]);
      QK_DW_AVX2_MADD(acc1, QK_DW_OP(unpackhi_epi16)(y1, y2), L.w[2][1]);
    }
    const qk_dw_v y0 = qk_dw_avx2_row(re[0] + c, is_signed, m), y1 = qk_dw_avx2_row(re[1] + c, is_signed, m);
    const qk_dw_v y2 = qk_dw_avx2_row(re[2] + c, is_signed, m);
    /* the column after the last one does not exist: pair 4's partner weight is 0 */
    const qk_dw_v y0n = p + 1 < n ? qk_dw_avx2_row(re[3] + c, is_signed, m) : y2;
    a_lo = QK_DW_OP(unpacklo_epi16)(y0, y1), a_hi = QK_DW_OP(unpackhi_epi16)(y0, y1);
    c_lo = QK_DW_OP(unpacklo_epi16)(y2, y0n), c_hi = QK_DW_OP(unpackhi_epi16)(y2, y0n);
    QK_DW_AVX2_MADD(acc0, a_lo, L.w[3][0]);
    QK_DW_AVX2_MADD(acc1, a_hi, L.w[3][1]);
    QK_DW_AVX2_MADD(acc0, c_lo, L.w[4][0]);
    QK_DW_AVX2_MADD(acc1, c_hi, L.w[4][1]);
    d0 = acc0, d1 = acc1;
  }
  qk_dw_avx2_store(m, (out + (n - 1) * output_stride),
                   qk_dw_avx2_requantx(is_signed, mode, 1, d0, d1, rq, o));
}

/* The last channels (n < QK_DW_CR) of one pixel through zeroed copies
 * (builds without masked loads). */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_tail(size_t taps, int is_signed, int mode, const uint8_t* const* rows, size_t c,
                                         size_t n, const uint8_t* w, uint8_t* out, const qk_dw_avx2_out* o) {
  uint8_t buf[QK_DWCONV_MAX_TAPS * QK_DW_CR];
  const uint8_t* brows[QK_DWCONV_MAX_TAPS];
  memset(buf, 0, sizeof buf);
  for (size_t t = 0; t < taps; t++) {
    memcpy(buf + t * QK_DW_CR, rows[t] + c, n);
    brows[t] = buf + t * QK_DW_CR;
  }
  uint8_t tmp[QK_DW_CR];
  const qk_dw_m full = {0, 0};
  QK_DW_STOREB(tmp, qk_dw_avx2_block(taps, is_signed, mode, brows, 0, w, o, full));
  memcpy(out, tmp, n);
}

/* One block (channels c.., all of them or the masked tail m) of a chunk of
 * n pixels. */
QK_DW_ALWAYS_INLINE void qk_dw_avx2_chunk_block(size_t taps, int is_signed, int mode, int s1, int s2, size_t n,
                                                const uint8_t* const* ptrs, size_t step, size_t c, size_t linear,
                                                const uint8_t* w, uint8_t* out, size_t output_stride,
                                                const qk_dw_avx2_out* o, qk_dw_m m) {
  if (s1) {
    qk_dw_avx2_s1_block(is_signed, mode, n, ptrs, c, linear, w, out, output_stride, o, m);
  } else if (s2) {
    qk_dw_avx2_s2_block(is_signed, mode, n, ptrs, c, w, out, output_stride, o, m);
  } else {
    for (size_t i = 0; i < n; i++) {
      qk_dw_avx2_store(m, out + i * output_stride, qk_dw_avx2_block(taps, is_signed, mode, ptrs + i * step, c, w, o, m));
    }
  }
}

QK_DW_ALWAYS_INLINE void qk_dwconv_avx2_mode(size_t taps, int is_signed, int mode, size_t channels,
                                             size_t output_width, const size_t* indirection, size_t step,
                                             const void* input, const void* zero, const void* weights, void* output,
                                             size_t output_stride, const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_block_bytes(QK_DW_CR, taps, 2, mode);
  const qk_dw_avx2_out o = qk_dw_avx2_out_init(params);
  /* stride 1 / 2 of a full 3x3 kernel: the compact row (dwconv.h) */
  const int s1 = taps == 9 && step == 3, s2 = taps == 9 && step == 6;
  uint8_t* out = (uint8_t*) output;
  const uint8_t* ptrs[QK_DW_AVX2_PTRS];
  size_t max_n = (QK_DW_AVX2_PTRS - taps) / step + 1;
  if (max_n > QK_DW_AVX2_CHUNK) max_n = QK_DW_AVX2_CHUNK;
  if (s1 || s2) {
    /* The blocks of a chunk re-read its input window (3 rows of the chunk's
     * columns): keep it in L1.  A row whose window exceeds QK_DW_AVX2_WINDOW_MAX bytes
     * is cut into equal chunks of at most QK_DW_AVX2_WINDOW bytes (1 or 2 pieces for
     * the MobileNet layers; 112x112x96 stride 2 is the one that needs 2). */
    const size_t sw = step / 3, cols = (output_width - 1) * sw + 3;
    if (3 * cols * channels > QK_DW_AVX2_WINDOW_MAX) {
      const size_t pieces = (3 * cols * channels + QK_DW_AVX2_WINDOW - 1) / QK_DW_AVX2_WINDOW;
      const size_t m = (output_width + pieces - 1) / pieces;
      if (m < max_n) max_n = m < 4 ? 4 : m;
    }
  }
  for (size_t px = 0; px < output_width;) {
    const size_t n = QK_MIN(output_width - px, max_n);
    const size_t entries = (n - 1) * step + taps;
    for (size_t i = 0; i < entries; i++) ptrs[i] = qk_dwconv_tap(indirection[i], input, zero);
    /* the check costs ~3n compares per chunk: worth it from 4 blocks up */
    size_t linear = 0;
    if (s1 && n > 2 && channels >= 64) {
      linear = channels;
      for (size_t j = 3; j <= n && linear; j++) {
        for (size_t y = 0; y < 3; y++) {
          if ((uintptr_t) ptrs[3 * j + y] != (uintptr_t) ptrs[6 + y] + (j - 2) * channels) linear = 0;
        }
      }
    }
    const uint8_t* w = (const uint8_t*) weights;
    size_t c = 0;
    const qk_dw_m full = {0, 0};
    for (; c + QK_DW_CR <= channels; c += QK_DW_CR, w += block) {
      qk_dw_avx2_chunk_block(taps, is_signed, mode, s1, s2, n, ptrs, step, c, linear, w, out + c, output_stride, &o,
                             full);
    }
    if (c < channels) {
#if QK_DW_MASKED
      const qk_dw_m part = {1, (qk_dw_k) ((UINT64_C(1) << (channels - c)) - 1)};
      qk_dw_avx2_chunk_block(taps, is_signed, mode, s1, s2, n, ptrs, step, c, linear, w, out + c, output_stride, &o,
                             part);
#else
      for (size_t i = 0; i < n; i++) {
        qk_dw_avx2_tail(taps, is_signed, mode, ptrs + i * step, c, channels - c, w, out + i * output_stride + c, &o);
      }
#endif
    }
    px += n;
    indirection += n * step;
    out += n * output_stride;
  }
}

/* The requantization mode as a constant: one specialized copy per mode. */
QK_DW_ALWAYS_INLINE void qk_dwconv_avx2(size_t taps, int is_signed, size_t channels, size_t output_width,
                                        const size_t* indirection, size_t step, const void* input, const void* zero,
                                        const void* weights, void* output, size_t output_stride,
                                        const qk_dwconv_params* params) {
  if (params->mode == QK_DWCONV_FP32) {
    qk_dwconv_avx2_mode(taps, is_signed, QK_DWCONV_FP32, channels, output_width, indirection, step, input, zero,
                        weights, output, output_stride, params);
  } else {
    qk_dwconv_avx2_mode(taps, is_signed, QK_DWCONV_GEMMLOWP, channels, output_width, indirection, step, input,
                        zero, weights, output, output_stride, params);
  }
}

/* The body of one kernel file: name, tap count, qs8 (1) or qu8 (0). */
#define QK_DWCONV_AVX2_UKERNEL(name, taps, is_signed)                                                          \
  void name(size_t channels, size_t output_width, const size_t* indirection, size_t step, const void* input,   \
            const void* zero, const void* weights, void* output, size_t output_stride,                         \
            const qk_dwconv_params* params) {                                                                  \
    qk_dwconv_avx2(taps, is_signed, channels, output_width, indirection, step, input, zero, weights, output,   \
                   output_stride, params);                                                                     \
  }

#endif
