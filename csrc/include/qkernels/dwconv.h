/* Depthwise convolution (issue 4): QNNPACK up8x9-style microkernels.
 *
 * Data flow of one operator call (csrc/ops/dwconv.c):
 *
 *   indirection  For every output row, the input pixels each output pixel
 *                reads, as byte OFFSETS from the base of one input image (so
 *                the buffer depends only on the input shape and is built
 *                once, then reused for every image and every call).  A
 *                padding tap holds QK_DWCONV_ZERO and reads the "zero row"
 *                instead: C bytes equal to the input zero point, which
 *                contribute exactly nothing after zero-point correction.
 *                Order per output pixel: taps column-major, x outer, y inner
 *                (t = kx * KH + ky), the order of the packed weights.
 *                When neighbouring pixels share input columns (dilation_w 1,
 *                stride_w <= KW, square kernel filling all taps) the row is
 *                stored compactly, column by column, and pixel ox starts at
 *                entry ox * step with step = stride_w * KH; otherwise every
 *                pixel has its own `taps` entries (step = taps).
 *   microkernel  One call per output row: for each pixel, for each block of
 *                `cr` channels, load every tap, accumulate exactly in int32,
 *                requantize, store.  Only the `channels` real channels are
 *                ever read from the input rows or written to the output.
 *
 * Packed weights (qk_dwconv_pack), one block per `cr` channels, the last
 * block padded with zero weights / zero bias / zero scale:
 *   int32 bias[cr]           user bias with the zero-point terms folded in:
 *                            bias - input_zp * sum_t (w[t] - weight_zp)
 *   int16 w[taps'][cr]       sr == 1: tap-major, w - weight_zp, t = kx*KH + ky
 *      or w[taps'/2][cr][2]  sr == 2: taps in pairs, the two taps of one
 *                            channel adjacent (pmaddwd-friendly on x86)
 *                            taps' = taps rounded up to a multiple of sr;
 *                            taps beyond KH*KW have weight 0
 *   requantization data      fp32:     float scale[cr]
 *                            gemmlowp: int32 multiplier[cr], shift[cr],
 *                                      rounding[cr] = shift ? 1 << (shift-1) : 0,
 *                                      pow[cr] = 2^(31 - shift) (as uint32)
 * With the zero points folded, every kernel computes
 *   acc = bias' + sum_t x[t] * w'[t]
 * where x is the raw input widened to int16 (sign- or zero-extended) and w'
 * is in [-255, 255]: every product fits int32 exactly.  The fold is done in
 * modulo-2^32 arithmetic, the same as the kernels' adds, so the result is
 * the int32 (wrapping) value of the exact sum for any bias.
 *
 * int8-weight ("mul8") layout, family qs8_dwconv9_mul8 (qk_dwconv_mul8_pack),
 * used only for qs8 weights that all lie in [-127, 127] (TFLite's symmetric
 * int8 range; the operator checks, and otherwise keeps the layout above):
 *   int32 bias[cr]           bias - input_zp * sum_t w[t]   (weight_zp is 0)
 *   int8  w[taps][cr]        tap-major, t = kx*KH + ky, taps beyond KH*KW 0,
 *                            padded with zero bytes to a multiple of 4
 *   requantization data      as above
 * i.e. [C/cr][KW][KH][cr] int8 taps.  Why the range matters: kernels
 * multiply int8 x int8 into int16 lanes (8 products per vmull_s8) and add two
 * taps' products in int16 before widening to int32; with |w| <= 127 each
 * product is at most 128*127 = 16256 in magnitude and a pair 32512, exact in
 * int16, while (-128)*(-128)*2 = 32768 would wrap.
 */
#ifndef QKERNELS_DWCONV_H
#define QKERNELS_DWCONV_H

#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

#include <string.h>

#define QK_DWCONV_ZERO ((size_t) -1) /* indirection entry of a padding tap */
#define QK_DWCONV_MAX_TAPS 25

enum qk_dwconv_mode { QK_DWCONV_FP32 = 0, QK_DWCONV_GEMMLOWP = 1 };

typedef struct qk_dwconv_params {
  qk_qparams q; /* output zero point and clamp */
  int32_t mode; /* enum qk_dwconv_mode: which requantization data the blocks hold */
} qk_dwconv_params;

/* One output row of `output_width` pixels.
 *   indirection  the row's entries; pixel i uses indirection[i*step + t]
 *   input        base of the image the offsets refer to
 *   zero         the zero row (>= channels bytes of the input zero point)
 *   weights      packed for this variant's cr/taps/sr
 *   output       first pixel; pixel i at output + i * output_stride bytes */
typedef void (*qk_dwconv_fn)(size_t channels, size_t output_width, const size_t* indirection, size_t step,
                             const void* input, const void* zero, const void* weights, void* output,
                             size_t output_stride, const qk_dwconv_params* params);

/* The input row of one indirection entry. */
QK_INLINE const uint8_t* qk_dwconv_tap(size_t offset, const void* input, const void* zero) {
  return offset == QK_DWCONV_ZERO ? (const uint8_t*) zero : (const uint8_t*) input + offset;
}

/* Scalar requantization of channel j of a block whose requantization data
 * (both packed layouts end with the same part) starts at rq: fp32 scale[cr],
 * or gemmlowp multiplier[cr] then shift[cr].  Used by the scalar twins. */
QK_INLINE int32_t qk_dwconv_requant_scalar(int32_t acc, const uint8_t* rq, size_t j, size_t cr,
                                           const qk_dwconv_params* params) {
  if (params->mode == QK_DWCONV_FP32) {
    float s;
    memcpy(&s, rq + j * sizeof(float), sizeof s);
    return qk_requant_fp32(acc, s, &params->q);
  }
  int32_t m, sh;
  memcpy(&m, rq + j * sizeof(int32_t), sizeof m);
  memcpy(&sh, rq + (cr + j) * sizeof(int32_t), sizeof sh);
  return qk_requant_gemmlowp(acc, m, (uint32_t) sh, &params->q);
}

/* Registry meaning of qk_ukernel fields for the dwconv families:
 *   mr = output pixels per pass (1, or 3 for the stride-1 multi-pixel path)
 *   nr = cr, channels per packed block; kr = taps; sr = tap interleave (1|2) */

#define QK_DECLARE_DWCONV(name) \
  void name(size_t, size_t, const size_t*, size_t, const void*, const void*, const void*, void*, size_t, \
            const qk_dwconv_params*);

QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x9__scalar)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x25__scalar)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x9__scalar)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x25__scalar)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x9__sse2)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x25__sse2)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x9__sse2)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x25__sse2)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x9__sse41)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x25__sse41)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x9__sse41)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x25__sse41)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up16x9__avx2)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up16x25__avx2)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up16x9__avx2)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up16x25__avx2)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up32x9__avx512vnni)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up32x9__avx512vnni)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up32x25__avx512vnni)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up32x25__avx512vnni)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up16x9__avx512vnni)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up16x25__avx512vnni)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up16x9__avx512vnni)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up16x25__avx512vnni)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x9__neon)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x25__neon)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x9__neon)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x25__neon)
QK_DECLARE_DWCONV(qs8_dwconv_ukernel_up8x9x3__neon)
QK_DECLARE_DWCONV(qu8_dwconv_ukernel_up8x9x3__neon)
QK_DECLARE_DWCONV(qs8_dwconv_mul8_ukernel_up16x9__scalar)
QK_DECLARE_DWCONV(qs8_dwconv_mul8_ukernel_up16x9x3__neon)
QK_DECLARE_DWCONV(qs8_dwconv_mul8_ukernel_up16x9__neon)

/* Families: 9-tap (3x3 and smaller kernels) and 25-tap (up to 5x5). */
extern const qk_family qk_family_qs8_dwconv9, qk_family_qs8_dwconv25;
extern const qk_family qk_family_qu8_dwconv9, qk_family_qu8_dwconv25;
/* 9-tap qs8 kernels on the int8-weight layout (weights in [-127, 127]). */
extern const qk_family qk_family_qs8_dwconv9_mul8;

/* ---- packing (csrc/pack/dwconv.c) ---- */

QK_INLINE size_t qk_dwconv_block_bytes(size_t cr, size_t taps, size_t sr, int mode) {
  const size_t taps_padded = qk_round_up(taps, sr);
  return cr * sizeof(int32_t) + taps_padded * cr * sizeof(int16_t) +
         cr * (mode == QK_DWCONV_FP32 ? sizeof(float) : 4 * sizeof(int32_t));
}

QK_INLINE size_t qk_dwconv_packed_bytes(size_t channels, size_t cr, size_t taps, size_t sr, int mode) {
  return qk_divide_round_up(channels, cr) * qk_dwconv_block_bytes(cr, taps, sr, mode);
}

/* The int8-weight layout (see the top of this file). */
QK_INLINE size_t qk_dwconv_mul8_block_bytes(size_t cr, size_t taps, int mode) {
  return cr * sizeof(int32_t) + qk_round_up(taps * cr, 4) +
         cr * (mode == QK_DWCONV_FP32 ? sizeof(float) : 4 * sizeof(int32_t));
}

QK_INLINE size_t qk_dwconv_mul8_packed_bytes(size_t channels, size_t cr, size_t taps, int mode) {
  return qk_divide_round_up(channels, cr) * qk_dwconv_mul8_block_bytes(cr, taps, mode);
}

/* weight: [kh][kw][channels] bytes (int8 when is_signed, else uint8);
 * bias: [channels] or NULL; scale (fp32 mode) or multiplier+shift (gemmlowp)
 * have `channels` entries each (per-tensor values are broadcast by the caller).
 * Requires kh*kw <= taps, taps <= QK_DWCONV_MAX_TAPS, sr in {1, 2}.
 * `packed` must hold qk_dwconv_packed_bytes() bytes, 4-byte aligned. */
void qk_dwconv_pack(size_t channels, size_t cr, size_t taps, size_t sr, size_t kh, size_t kw, const void* weight,
                    int is_signed, int32_t weight_zero_point, int32_t input_zero_point, const int32_t* bias,
                    int mode, const float* scale, const int32_t* multiplier, const int32_t* shift, void* packed);

/* Same arguments for qs8 weights (weight zero point 0) into the int8-weight
 * layout; returns -1 (packing nothing) if a weight is -128, else 0. */
int qk_dwconv_mul8_pack(size_t channels, size_t cr, size_t taps, size_t kh, size_t kw, const int8_t* weight,
                        int32_t input_zero_point, const int32_t* bias, int mode, const float* scale,
                        const int32_t* multiplier, const int32_t* shift, void* packed);

/* ---- indirection (csrc/ops/dwconv.c) ---- */

typedef struct qk_dwconv_geometry {
  size_t height, width, channels; /* input image */
  size_t kh, kw, taps;            /* kernel and the variant's tap count */
  size_t stride_h, stride_w, dilation_h, dilation_w;
  size_t pad_top, pad_left;
  size_t out_height, out_width;
} qk_dwconv_geometry;

/* Entries per pixel advance (step) and per output row of the layout above. */
void qk_dwconv_indirection_layout(const qk_dwconv_geometry* g, size_t* step, size_t* row_entries);
/* Fill out[out_height * row_entries]. */
void qk_dwconv_indirection_init(const qk_dwconv_geometry* g, size_t* out);

/* ---- driver (csrc/ops/dwconv.c) ---- */

/* Run over `batch` images of height*width*channels bytes each; output images
 * are out_height*out_width*channels bytes.  Rows are spread over the pool. */
void qk_run_dwconv(const qk_ukernel* ukernel, const qk_dwconv_geometry* g, size_t batch, const size_t* indirection,
                   const void* input, const void* zero, const void* packed, void* output,
                   const qk_dwconv_params* params, size_t threads);

#endif
