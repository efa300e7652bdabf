/* Depthwise weight packing, run once per operator (layout: qkernels/dwconv.h).
 *
 * Weights are stored as int16 with the weight zero point already subtracted:
 * a kernel then widens only the input, and on Arm each tap is one 16-byte
 * load feeding vmlal directly (the weights are reused by every pixel, so the
 * doubled size costs L1 space, not instructions).  The input zero point is
 * folded into the bias, so kernels never subtract it per tap. */
#include <string.h>

#include "qkernels/dwconv.h"

/* Requantization data of channel j (of `cr`) in the block at prq. */
static void pack_rq(uint8_t* prq, size_t cr, size_t j, size_t c, int mode, const float* scale,
                    const int32_t* multiplier, const int32_t* shift) {
  if (mode == QK_DWCONV_FP32) {
    memcpy(prq + j * sizeof(float), &scale[c], sizeof(float));
  } else {
    int32_t* r = (int32_t*) prq;
    const uint32_t e = (uint32_t) shift[c];
    r[j] = multiplier[c];
    r[cr + j] = (int32_t) e;
    r[2 * cr + j] = e == 0 ? 0 : (int32_t) (UINT32_C(1) << (e - 1));
    const uint32_t pow = UINT32_C(1) << (31 - e);
    memcpy(&r[3 * cr + j], &pow, sizeof pow);
  }
}

void qk_dwconv_pack(size_t channels, size_t cr, size_t taps, size_t sr, size_t kh, size_t kw, const void* weight,
                    int is_signed, int32_t weight_zero_point, int32_t input_zero_point, const int32_t* bias,
                    int mode, const float* scale, const int32_t* multiplier, const int32_t* shift, void* packed) {
  const size_t taps_padded = qk_round_up(taps, sr);
  const size_t block = qk_dwconv_block_bytes(cr, taps, sr, mode);
  const int8_t* ws = (const int8_t*) weight;
  const uint8_t* wu = (const uint8_t*) weight;
  uint8_t* out = (uint8_t*) packed;
  memset(out, 0, qk_dwconv_packed_bytes(channels, cr, taps, sr, mode));
  for (size_t c0 = 0; c0 < channels; c0 += cr) {
    int32_t* pbias = (int32_t*) out;
    int16_t* pw = (int16_t*) (out + cr * sizeof(int32_t));
    uint8_t* prq = out + cr * sizeof(int32_t) + taps_padded * cr * sizeof(int16_t);
    const size_t n = QK_MIN(cr, channels - c0);
    for (size_t j = 0; j < n; j++) {
      const size_t c = c0 + j;
      /* bias - input_zp * sum(w'), modulo 2^32 like the kernels' int32 adds */
      uint32_t b = bias != NULL ? (uint32_t) bias[c] : 0u;
      for (size_t kx = 0; kx < kw; kx++) {
        for (size_t ky = 0; ky < kh; ky++) {
          const size_t t = kx * kh + ky;
          const size_t src = (ky * kw + kx) * channels + c; /* weight is [kh][kw][C] */
          const int32_t w = (is_signed ? (int32_t) ws[src] : (int32_t) wu[src]) - weight_zero_point;
          b -= (uint32_t) (input_zero_point * w);
          const size_t dst = sr == 1 ? t * cr + j : (t / 2) * cr * 2 + j * 2 + (t % 2);
          pw[dst] = (int16_t) w;
        }
      }
      pbias[j] = (int32_t) b;
      pack_rq(prq, cr, j, c, mode, scale, multiplier, shift);
    }
    out += block;
  }
}

/* The int8-weight layout: the taps are stored as the int8 weights themselves
 * (kernels multiply them with the raw int8 inputs).  All weights are checked
 * first: a -128 would break the kernels' exact int16 pair sums (dwconv.h). */
int qk_dwconv_mul8_pack(size_t channels, size_t cr, size_t taps, size_t kh, size_t kw, const int8_t* weight,
                        int32_t input_zero_point, const int32_t* bias, int mode, const float* scale,
                        const int32_t* multiplier, const int32_t* shift, void* packed) {
  for (size_t i = 0; i < kh * kw * channels; i++) {
    if (weight[i] == INT8_MIN) return -1;
  }
  const size_t block = qk_dwconv_mul8_block_bytes(cr, taps, mode);
  uint8_t* out = (uint8_t*) packed;
  memset(out, 0, qk_dwconv_mul8_packed_bytes(channels, cr, taps, mode));
  for (size_t c0 = 0; c0 < channels; c0 += cr) {
    int32_t* pbias = (int32_t*) out;
    int8_t* pw = (int8_t*) (out + cr * sizeof(int32_t));
    uint8_t* prq = out + cr * sizeof(int32_t) + qk_round_up(taps * cr, 4);
    const size_t n = QK_MIN(cr, channels - c0);
    for (size_t j = 0; j < n; j++) {
      const size_t c = c0 + j;
      uint32_t b = bias != NULL ? (uint32_t) bias[c] : 0u;
      for (size_t kx = 0; kx < kw; kx++) {
        for (size_t ky = 0; ky < kh; ky++) {
          const int8_t w = weight[(ky * kw + kx) * channels + c]; /* weight is [kh][kw][C] */
          b -= (uint32_t) (input_zero_point * (int32_t) w);
          pw[(kx * kh + ky) * cr + j] = w;
        }
      }
      pbias[j] = (int32_t) b;
      pack_rq(prq, cr, j, c, mode, scale, multiplier, shift);
    }
    out += block;
  }
  return 0;
}
