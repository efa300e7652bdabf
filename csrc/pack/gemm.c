/* Weight packing of the 8-bit GEMM family (layout: include/qkernels/gemm.h).
 * Runs once per operator.  Bias folding is done in 64-bit and stored modulo
 * 2^32, the same wrap-around arithmetic the kernels accumulate in, so the
 * packed bias plus the kernel's sum equals the reference's int32 result for
 * every input. */
#include "qkernels/gemm.h"

#include <string.h>

/* Store an int32 as 4 bytes (blocks are byte-packed, so no aligned stores). */
QK_INLINE uint8_t* put_i32(uint8_t* p, int64_t v) {
  const int32_t x = (int32_t) (uint32_t) (uint64_t) v; /* modulo 2^32, defined via unsigned */
  memcpy(p, &x, sizeof x);
  return p + sizeof x;
}

QK_INLINE uint8_t* put_f32(uint8_t* p, float v) {
  memcpy(p, &v, sizeof v);
  return p + sizeof v;
}

/* Store one weight in packed format `format` (enum qk_gemm_pack).  `byte` is
 * the weight as given (int8 or uint8 bits, or the padding value); `i` its
 * position in its kr group, for formats that encode positions differently. */
QK_INLINE uint8_t* put_weight(uint8_t* p, uint32_t format, uint8_t byte, size_t i) {
  (void) i;
  switch (format) {
    case QK_GEMM_PACK_X80:
      *p = (uint8_t) (byte ^ 0x80u);
      return p + 1;
    default: /* QK_GEMM_PACK_I8 */
      *p = byte;
      return p + 1;
  }
}

/* Shared body: w is viewed as bytes; `is_signed` says how to read them for
 * the bias sums; `pad` is the byte stored in padding positions. */
static int pack(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t format,
                const uint8_t* w, int is_signed, const int32_t* bias, int32_t a_zero_point, int32_t w_zero_point,
                int32_t requantization, const float* scale, const int32_t* multiplier, const int32_t* shift,
                void* packed) {
  if (nr == 0 || kr == 0 || sr != 1) return -1;
  if (qk_gemm_pack_weight_bytes(format) == 0) return -1;
  if (requantization != QK_REQUANT_FP32 && requantization != QK_REQUANT_GEMMLOWP) return -1;
  if (requantization == QK_REQUANT_FP32 && scale == NULL) return -1;
  if (requantization == QK_REQUANT_GEMMLOWP && (multiplier == NULL || shift == NULL)) return -1;
  const size_t kc_padded = qk_round_up(kc, kr);
  const size_t k_total = ks * kc;
  const uint8_t pad = (uint8_t) w_zero_point; /* qs8: 0 */
  uint8_t* out = (uint8_t*) packed;
  for (size_t n0 = 0; n0 < n; n0 += nr) {
    const size_t nb = QK_MIN((size_t) nr, n - n0);
    /* bias[nr] = bias - a_zp * sum_k (w - w_zp) */
    for (size_t j = 0; j < nr; j++) {
      int64_t b = 0;
      if (j < nb) {
        const uint8_t* row = w + (n0 + j) * k_total;
        int64_t sum = 0;
        for (size_t k = 0; k < k_total; k++) sum += is_signed ? (int64_t) (int8_t) row[k] : (int64_t) row[k];
        sum -= (int64_t) k_total * w_zero_point;
        b = (bias != NULL ? bias[n0 + j] : 0) - (int64_t) a_zero_point * sum;
      }
      out = put_i32(out, b);
    }
    /* weights: [tap][kc/kr][nr][kr] */
    for (size_t t = 0; t < ks; t++) {
      for (size_t k0 = 0; k0 < kc_padded; k0 += kr) {
        for (size_t j = 0; j < nr; j++) {
          for (size_t i = 0; i < kr; i++) {
            const size_t k = k0 + i;
            out = put_weight(out, format, (j < nb && k < kc) ? w[(n0 + j) * k_total + t * kc + k] : pad, i);
          }
        }
      }
    }
    /* per-channel requantization data */
    if (requantization == QK_REQUANT_FP32) {
      for (size_t j = 0; j < nr; j++) out = put_f32(out, j < nb ? scale[n0 + j] : 1.0f);
    } else {
      for (size_t j = 0; j < nr; j++) out = put_i32(out, j < nb ? multiplier[n0 + j] : 0);
      for (size_t j = 0; j < nr; j++) out = put_i32(out, j < nb ? shift[n0 + j] : 0);
    }
  }
  return 0;
}

int qk_pack_gemm_qs8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t format,
                     const int8_t* w,
                     const int32_t* bias, int32_t a_zero_point, int32_t requantization, const float* scale,
                     const int32_t* multiplier, const int32_t* shift, void* packed) {
  return pack(n, kc, ks, nr, kr, sr, format, (const uint8_t*) w, 1, bias, a_zero_point, 0, requantization, scale,
              multiplier, shift, packed);
}

int qk_pack_gemm_qu8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t format,
                     const uint8_t* w,
                     const int32_t* bias, int32_t a_zero_point, int32_t w_zero_point, int32_t requantization,
                     const float* scale, const int32_t* multiplier, const int32_t* shift, void* packed) {
  return pack(n, kc, ks, nr, kr, sr, format, w, 0, bias, a_zero_point, w_zero_point, requantization, scale, multiplier,
              shift, packed);
}
