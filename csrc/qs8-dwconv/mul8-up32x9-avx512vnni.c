/* qs8 depthwise on the int8-weight ("mul8") layout, up32x9, avx512vnni:
 * vpdpbusd, 4 products per int32 lane, on ymm registers (AVX512VL).
 *
 * Why: the int16 kernels (dwconv-avx2.h, up32x9) are bound by the
 * multiplier: vpdpwssd adds 2 products per lane, 5 per pixel and channel
 * lane for 9 taps, and this core retires one 256-bit multiply-add per
 * cycle (measured: zmm vpdpwssd ~0.6 ns, ymm ~0.33 ns, vpmaddwd+vpaddd the
 * same).  vpdpbusd adds 4 u8 x s8 products per lane: 3 per pixel.
 *
 * Data: the 9 taps of a pixel are 3 groups of 3 consecutive taps
 * (t = 3g .. 3g+2).  Every layout of the 9-tap family has step 3, 6 or 9
 * (dwconv.h), so group g of pixel i is group s*i + g of the row with
 * s = step / 3: with stride 1 a pixel shares 2 groups with the previous
 * one, with stride 2 one.  A group's 3 rows (32 channels) are interleaved
 * into 4 ymm vectors of [x0, x1, x2, 0] bytes per channel (vpunpck[lh]bw
 * then vpunpck[lh]wd, 8 shuffles); the bytes are the inputs XOR 0x80 = x +
 * 128 as unsigned, and the 4th byte's weight is 0.  The weights get the
 * same interleave once per block and chunk, and the bias absorbs the +128:
 * bias' = bias - 128 * sum_t w[t] (a vpdpbusd of 0x80 bytes with the
 * weights), all modulo 2^32 like the packing's own fold, so the result is
 * the exact int32 sum.  vpdpbusd is the non-saturating form (vpdpbusds
 * would saturate); |4 * 255 * 127| fits easily anyway.
 *
 * Lane order: the unpacks work per 128-bit lane, so accumulator k holds
 * channels 4k..4k+3 | 16+4k..16+4k+3; bias and requantization data are
 * permuted to that order once per block and chunk, and packssdw(acc0,
 * acc1), packssdw(acc2, acc3), packsswb of the two land in channel order.
 * Tails use masked loads/stores (dwconv-avx2.h), chunks of pixels with the
 * channel blocks outer as in dwconv-avx2.h. */
#include "qkernels/dwconv-avx2.h"

typedef struct {
  __m256i w[3][4];    /* group g, accumulator k: [w(3g), w(3g+1), w(3g+2), 0] */
  __m256i bias[4];    /* bias', accumulator order */
  int32_t rq[3 * 32]; /* scale, or multiplier / shift / rounding, accumulator order */
} qk_dw_mul8_block;

/* [a, b, c, 0] bytes of 32 channels -> 4 vectors in accumulator order */
QK_DW_ALWAYS_INLINE void qk_dw_mul8_quad(__m256i a, __m256i b, __m256i c, __m256i* q) {
  const __m256i z = _mm256_setzero_si256();
  const __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
  const __m256i cz_lo = _mm256_unpacklo_epi8(c, z), cz_hi = _mm256_unpackhi_epi8(c, z);
  q[0] = _mm256_unpacklo_epi16(ab_lo, cz_lo);
  q[1] = _mm256_unpackhi_epi16(ab_lo, cz_lo);
  q[2] = _mm256_unpacklo_epi16(ab_hi, cz_hi);
  q[3] = _mm256_unpackhi_epi16(ab_hi, cz_hi);
}

/* channel order (4 vectors of 8 int32: channels 0-7, 8-15, 16-23, 24-31) ->
 * accumulator order */
QK_DW_ALWAYS_INLINE void qk_dw_mul8_order(const int32_t* p, __m256i* out) {
  const __m256i v0 = _mm256_loadu_si256((const __m256i*) p), v1 = _mm256_loadu_si256((const __m256i*) (p + 8));
  const __m256i v2 = _mm256_loadu_si256((const __m256i*) (p + 16)), v3 = _mm256_loadu_si256((const __m256i*) (p + 24));
  out[0] = _mm256_permute2x128_si256(v0, v2, 0x20);
  out[1] = _mm256_permute2x128_si256(v0, v2, 0x31);
  out[2] = _mm256_permute2x128_si256(v1, v3, 0x20);
  out[3] = _mm256_permute2x128_si256(v1, v3, 0x31);
}

QK_DW_ALWAYS_INLINE void qk_dw_mul8_init(int mode, const uint8_t* w, qk_dw_mul8_block* B) {
  const uint8_t* taps = w + 32 * sizeof(int32_t);
  const __m256i v128 = _mm256_set1_epi8((char) 0x80);
  __m256i corr[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                     _mm256_setzero_si256()};
  for (int g = 0; g < 3; g++) {
    qk_dw_mul8_quad(_mm256_loadu_si256((const __m256i*) (taps + 96 * g)),
                    _mm256_loadu_si256((const __m256i*) (taps + 96 * g + 32)),
                    _mm256_loadu_si256((const __m256i*) (taps + 96 * g + 64)), B->w[g]);
    for (int k = 0; k < 4; k++) corr[k] = _mm256_dpbusd_epi32(corr[k], v128, B->w[g][k]);
  }
  qk_dw_mul8_order((const int32_t*) w, B->bias);
  for (int k = 0; k < 4; k++) B->bias[k] = _mm256_sub_epi32(B->bias[k], corr[k]);
  const int32_t* rq = (const int32_t*) (taps + 9 * 32);
  const int groups = mode == QK_DWCONV_FP32 ? 1 : 3;
  for (int a = 0; a < groups; a++) {
    __m256i r[4];
    qk_dw_mul8_order(rq + 32 * a, r);
    for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i*) (B->rq + 32 * a + 8 * k), r[k]);
  }
}

/* The last block of a row (channels % 32 != 0): masked byte loads and
 * stores (masked-off bytes are neither read nor written); `on` is a
 * compile-time constant in every call. */
typedef struct {
  int on;
  __mmask32 k;
} qk_dw_mul8_m;

QK_DW_ALWAYS_INLINE __m256i qk_dw_mul8_load(const uint8_t* p, qk_dw_mul8_m m) {
  return m.on ? _mm256_maskz_loadu_epi8(m.k, (const void*) p) : _mm256_loadu_si256((const __m256i*) p);
}

/* group: rows r[0..2] + c, as unsigned (x + 128) quads */
QK_DW_ALWAYS_INLINE void qk_dw_mul8_group(const uint8_t* const* r, size_t c, qk_dw_mul8_m m, __m256i* q) {
  const __m256i v128 = _mm256_set1_epi8((char) 0x80);
  qk_dw_mul8_quad(_mm256_xor_si256(qk_dw_mul8_load(r[0] + c, m), v128),
                  _mm256_xor_si256(qk_dw_mul8_load(r[1] + c, m), v128),
                  _mm256_xor_si256(qk_dw_mul8_load(r[2] + c, m), v128), q);
}

/* 4 accumulators (accumulator order) -> 32 output bytes in channel order */
QK_DW_ALWAYS_INLINE __m256i qk_dw_mul8_requant(int mode, const __m256i* acc, const qk_dw_mul8_block* B,
                                               const qk_dw_avx2_out* o) {
  __m256i y[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    if (mode == QK_DWCONV_FP32) {
      /* upper clamp only: the lower one is the saturating packs and the
       * word max below (dwconv-avx2.h) */
      const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[k]), _mm256_loadu_ps((const float*) B->rq + 8 * k));
      y[k] = _mm256_cvtps_epi32(_mm256_min_ps(f, o->fmax));
    } else {
      y[k] = qk_dw_avx2_gemmlowp(acc[k], B->rq + 8 * k, 32);
    }
  }
  /* per 128-bit lane: [acc0, acc1] = channels 0-7 | 16-23, [acc2, acc3] =
   * 8-15 | 24-31; packsswb of the two is 0-15 | 16-31 */
  __m256i a = _mm256_adds_epi16(_mm256_packs_epi32(y[0], y[1]), o->zp);
  __m256i b = _mm256_adds_epi16(_mm256_packs_epi32(y[2], y[3]), o->zp);
  a = _mm256_max_epi16(a, o->qmin16);
  b = _mm256_max_epi16(b, o->qmin16);
  if (mode != QK_DWCONV_FP32) {
    a = _mm256_min_epi16(a, o->qmax16);
    b = _mm256_min_epi16(b, o->qmax16);
  }
  return _mm256_packs_epi16(a, b); /* in [qmin, qmax]: no saturation */
}

/* written out: GCC keeps the arrays in memory when these are loops */
#define QK_DW_MUL8_DOTS(acc, q, wg)                    \
  (acc)[0] = _mm256_dpbusd_epi32((acc)[0], (q)[0], (wg)[0]), \
  (acc)[1] = _mm256_dpbusd_epi32((acc)[1], (q)[1], (wg)[1]), \
  (acc)[2] = _mm256_dpbusd_epi32((acc)[2], (q)[2], (wg)[2]), \
  (acc)[3] = _mm256_dpbusd_epi32((acc)[3], (q)[3], (wg)[3])

/* One block (channels c.., all 32 or the masked tail m) of n pixels; pixel
 * i's groups are s*i, s*i + 1, s*i + 2 (s = step / 3). */
QK_DW_ALWAYS_INLINE void qk_dw_mul8_block_run(int s, int mode, size_t n, const uint8_t* const* ptrs, size_t c,
                                              const uint8_t* w, uint8_t* out, size_t output_stride,
                                              const qk_dw_avx2_out* o, qk_dw_mul8_m m) {
  qk_dw_mul8_block B;
  qk_dw_mul8_init(mode, w, &B);
  __m256i qa[4], qb[4], qc[4];
  for (size_t i = 0; i < n; i++) {
    const uint8_t* const* r = ptrs + 3 * s * i;
    /* stride 1 keeps two groups from the previous pixel, stride 2 one */
    if (i == 0 || s >= 3) qk_dw_mul8_group(r, c, m, qa);
    if (i == 0 || s >= 2) qk_dw_mul8_group(r + 3, c, m, qb);
    qk_dw_mul8_group(r + 6, c, m, qc);
    __m256i acc[4] = {B.bias[0], B.bias[1], B.bias[2], B.bias[3]};
    QK_DW_MUL8_DOTS(acc, qa, B.w[0]);
    QK_DW_MUL8_DOTS(acc, qb, B.w[1]);
    QK_DW_MUL8_DOTS(acc, qc, B.w[2]);
    const __m256i q = qk_dw_mul8_requant(mode, acc, &B, o);
    uint8_t* po = out + i * output_stride;
    if (m.on) {
      _mm256_mask_storeu_epi8((void*) po, m.k, q);
    } else {
      _mm256_storeu_si256((__m256i*) po, q);
    }
    if (s == 1) {
      qa[0] = qb[0], qa[1] = qb[1], qa[2] = qb[2], qa[3] = qb[3];
      qb[0] = qc[0], qb[1] = qc[1], qb[2] = qc[2], qb[3] = qc[3];
    } else if (s == 2) {
      qa[0] = qc[0], qa[1] = qc[1], qa[2] = qc[2], qa[3] = qc[3];
    }
  }
}

QK_DW_ALWAYS_INLINE void qk_dw_mul8_mode(int s, int mode, size_t channels, size_t output_width,
                                         const size_t* indirection, size_t step, const void* input, const void* zero,
                                         const void* weights, void* output, size_t output_stride,
                                         const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_mul8_block_bytes(32, 9, mode);
  const qk_dw_avx2_out o = qk_dw_avx2_out_init(params);
  uint8_t* out = (uint8_t*) output;
  const uint8_t* ptrs[QK_DW_AVX2_PTRS];
  size_t max_n = (QK_DW_AVX2_PTRS - 9) / step + 1;
  if (max_n > QK_DW_AVX2_CHUNK) max_n = QK_DW_AVX2_CHUNK;
  for (size_t px = 0; px < output_width;) {
    const size_t n = QK_MIN(output_width - px, max_n);
    const size_t entries = (n - 1) * step + 9;
    for (size_t i = 0; i < entries; i++) ptrs[i] = qk_dwconv_tap(indirection[i], input, zero);
    const uint8_t* w = (const uint8_t*) weights;
    size_t c = 0;
    const qk_dw_mul8_m full = {0, 0};
    for (; c + 32 <= channels; c += 32, w += block) {
      qk_dw_mul8_block_run(s, mode, n, ptrs, c, w, out + c, output_stride, &o, full);
    }
    if (c < channels) {
      const qk_dw_mul8_m part = {1, (__mmask32) ((UINT64_C(1) << (channels - c)) - 1)};
      qk_dw_mul8_block_run(s, mode, n, ptrs, c, w, out + c, output_stride, &o, part);
    }
    px += n;
    indirection += n * step;
    out += n * output_stride;
  }
}

void qs8_dwconv_mul8_ukernel_up32x9__avx512vnni(size_t channels, size_t output_width, const size_t* indirection,
                                                size_t step, const void* input, const void* zero,
                                                const void* weights, void* output, size_t output_stride,
                                                const qk_dwconv_params* params) {
  /* step is 3, 6 or 9 in the 9-tap family (dwconv.h); one copy per step and
   * requantization mode */
  const int fp32 = params->mode == QK_DWCONV_FP32;
#define QK_DW_MUL8_CALL(s, mode)                                                                           \
  qk_dw_mul8_mode(s, mode, channels, output_width, indirection, step, input, zero, weights, output,       \
                  output_stride, params)
  if (step == 3) {
    if (fp32) QK_DW_MUL8_CALL(1, QK_DWCONV_FP32); else QK_DW_MUL8_CALL(1, QK_DWCONV_GEMMLOWP);
  } else if (step == 6) {
    if (fp32) QK_DW_MUL8_CALL(2, QK_DWCONV_FP32); else QK_DW_MUL8_CALL(2, QK_DWCONV_GEMMLOWP);
  } else {
    if (fp32) QK_DW_MUL8_CALL(3, QK_DWCONV_FP32); else QK_DW_MUL8_CALL(3, QK_DWCONV_GEMMLOWP);
  }
#undef QK_DW_MUL8_CALL
}
