/* 8-bit GEMM / indirect-GEMM (convolution) family: the microkernel type, the
 * packed-weights layout, packing and drivers.
 *
 * Families: "qs8_gemm" (int8 activations, int8 weights with weight zero
 * point 0, per-tensor or per-channel scales) and "qu8_gemm" (uint8
 * activations and weights, any zero points, per-tensor scales).  Registry
 * entries carry the tile: mr, nr, kr (K interleave) and sr (must be 1).
 *
 * ONE kernel type serves both plain GEMM and convolution (QNNPACK q8conv /
 * XNNPACK igemm style): the kernel reads activations through row pointers.
 *
 * ---------------------------------------------------------------------------
 * Accumulation (DESIGN.md section 4)
 *   acc[m][n] = bias[n] + sum_k (a[m][k] - a_zp) * (w[n][k] - w_zp)
 * in int32 arithmetic modulo 2^32 (wrap-around, never saturation): every
 * variant, the scalar twins and qkernels.reference agree for ALL inputs.  For
 * realistic sizes (K <= 2^16 with int8, and any K whose true sum fits) this
 * is the exact sum.  The kernel computes
 *   acc = packed_bias[n] + sum_k a[m][k] * (w[n][k] - w_zp)
 * because packing folds the activation zero point into the bias:
 *   qs8: packed_bias[n] = bias[n] - a_zp * sum_k w[n][k]
 *   qu8: packed_bias[n] = bias[n] + K*a_zp*w_zp - a_zp * sum_k w[n][k]
 *        (= bias[n] - a_zp * sum_k (w[n][k] - w_zp))
 * where K = ks * kc (all taps).  A kernel may instead compute
 * sum_k a*w - w_zp * sum_k a (row sums, e.g. with udot); the result is the
 * same modulo 2^32.  Products (a)(w - w_zp) lie in [-65025, 65025]: pairs of
 * them summed by pmaddwd/smlal never overflow int32.  NEVER use pmaddubsw
 * (it saturates int16).
 *
 * ---------------------------------------------------------------------------
 * Packed weights, parameterized by (nr, kr, sr = 1), for N output channels,
 * ks taps and kc input channels per tap (K = ks * kc).  The packed buffer is
 * ceil(N / nr) blocks, each block qk_gemm_block_bytes() long:
 *
 *   int32  bias[nr]                       folded as above; 0 for pad channels
 *   for tap t in 0..ks-1:
 *     for kb in 0..ceil(kc / kr)-1:
 *       int8/uint8 w[nr][kr]              w[j][i] = weight of channel n0+j at
 *                                         tap t, input channel kb*kr+i
 *   then the per-channel requantization data:
 *     fp32:     float   scale[nr]         s_n = float32(sa * sw_n / so)
 *     gemmlowp: int32   multiplier[nr]    Q31 multiplier, in [0, 2^31)
 *               int32   shift[nr]         right shift, in [0, 31]
 *
 * Packed formats (qk_ukernel.pack, enum qk_gemm_pack below): the layout above
 * is QK_GEMM_PACK_I8, every variant's default.  A variant may declare another
 * format (registry QK_UKERNEL_PACK) when it wants the weights pre-transformed
 * once at pack time instead of on every call; each format is documented at
 * its enum value and differs from QK_GEMM_PACK_I8 only in the weight bytes
 * (element size / encoding); bias and requantization data stay as above.
 *
 * Padding: input channels kb*kr+i >= kc, and channels n >= N (pad columns of
 * the last block), hold the value that contributes nothing: 0 (qs8) or
 * w_zp (qu8).  Pad channels have bias 0, scale 1.0f, multiplier 0, shift 0.
 * Kernels must NOT read activations past kc (use partial loads / stack
 * copies); a kernel that loads a K tail of a zero-filled activation register
 * gets exact results because the padded weights contribute 0 (qs8: 0 * x;
 * qu8: x * (w_zp - w_zp); row-sum kernels: a = 0 adds nothing to sum a).
 * Blocks are byte-packed: bias/scale fields are 4-byte aligned only when the
 * block size is (nr % 4 == 0 makes it so); kernels use unaligned loads.
 *
 * ---------------------------------------------------------------------------
 * The microkernel computes an mr x nc tile of output c:
 *
 *   mr         rows in this tile, 1..MR (MR = the registry entry's mr).
 *   nc         output columns, >= 1; the kernel loops over nr-column blocks,
 *              reading one packed block per nr columns, and stores a last
 *              partial block (nc % nr columns) exactly (never past nc).
 *   kc         activations per tap per row (elements = bytes), >= 1.
 *   ks         taps (1 for plain GEMM), >= 1.
 *   a          ks * MR row pointers: for tap t, a[t*MR + i] points at the kc
 *              activations of tile row i.  Pointers of rows i >= mr are valid
 *              (the driver duplicates a real row) but kernels need not read
 *              them.  Every pointer that is not equal to `zero` is used as
 *              (const uint8_t*) p + a_offset.
 *   w          the packed block of the first of the nc columns.
 *   c          output of row 0, column 0; row i at c + i*cm_stride bytes;
 *              column block b (nr columns) at c + b*cn_stride bytes.
 *   a_offset   bytes added to every non-`zero` pointer (lets one indirection
 *              buffer serve every input address, batch image and group).
 *   zero       the padding row: kc bytes, each equal to a_zp, used as is
 *              (no a_offset).  A padding tap then adds a_zp * (w - w_zp),
 *              which the folded bias subtracts again: net (a_zp - a_zp) = 0,
 *              the semantics of padding with the input zero point.
 *   params     output quantization and requantization mode (below).
 *
 * Plain GEMM is ks = 1 with a[i] = A + (m0 + i) * lda, a_offset = 0.
 *
 * Epilogue, per output element: requantize acc with channel n's data from
 * the packed block in params->requantization mode, exactly as
 * qk_requant_fp32 / qk_requant_gemmlowp of requant.h do, and store one byte
 * (int8 for qs8, uint8 for qu8).  Branch on the mode once per tile. */
#ifndef QKERNELS_GEMM_H
#define QKERNELS_GEMM_H

#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

enum qk_requant_mode { QK_REQUANT_FP32 = 0, QK_REQUANT_GEMMLOWP = 1 };

typedef struct qk_gemm_params {
  qk_qparams output;      /* output zero point and clamp (and fp32-mode fmin/fmax) */
  int32_t requantization; /* enum qk_requant_mode: which per-channel data the blocks hold */
  int32_t w_zero_point;   /* qu8: weight zero point, subtracted by the kernel; qs8: 0 */
  int32_t a_zero_point;   /* activation zero point, ALREADY folded into the packed biases:
                             kernels using (w - w_zp) ignore it; it is also the byte value
                             of every element of the `zero` row */
  int32_t reserved;
} qk_gemm_params;

QK_INLINE void qk_gemm_params_init(qk_gemm_params* p, int32_t a_zero_point, int32_t w_zero_point,
                                   int32_t requantization, int32_t zero_point, int32_t qmin, int32_t qmax) {
  qk_qparams_init(&p->output, zero_point, qmin, qmax);
  p->requantization = requantization;
  p->w_zero_point = w_zero_point;
  p->a_zero_point = a_zero_point;
  p->reserved = 0;
}

typedef void (*qk_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w,
                                   void* c, size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero,
                                   const qk_gemm_params* params);

/* Row pointer of the kernel contract: `zero` as is, anything else + a_offset
 * (integer arithmetic: a_offset may be a wrapped difference of addresses). */
QK_INLINE const uint8_t* qk_gemm_row(const void* p, const void* zero, size_t a_offset) {
  return p == zero ? (const uint8_t*) p : (const uint8_t*) ((uintptr_t) p + a_offset);
}

/* Packed-weights formats (qk_ukernel.pack).  Add new formats here, with the
 * encoding of the weight bytes, and handle them in csrc/pack/gemm.c. */
enum qk_gemm_pack {
  QK_GEMM_PACK_I8 = 0, /* the layout above: one byte per weight, as given */
  /* avx512vnni: one byte per weight, the byte as given XOR 0x80 (padding
   * too): qs8 w + 128 as uint8, qu8 w - 128 as int8, so vpdpbusd gets one
   * unsigned and one signed operand.  Bias unchanged; the kernels add the
   * 128 * sum_k a term themselves (gemm-8x32c4-avx512vnni.inc). */
  QK_GEMM_PACK_X80,
  QK_GEMM_PACK_COUNT
};

/* Bytes per packed weight of a format, 0 for an unknown format. */
QK_INLINE size_t qk_gemm_pack_weight_bytes(uint32_t pack) {
  switch (pack) {
    case QK_GEMM_PACK_I8: return 1;
    case QK_GEMM_PACK_X80: return 1;
    default: return 0;
  }
}

/* Bytes of one packed block / of the whole packed buffer of n channels. */
QK_INLINE size_t qk_gemm_block_bytes(size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t pack,
                                     int32_t requantization) {
  return (size_t) nr * sizeof(int32_t) + ks * qk_round_up(kc, kr) * nr * qk_gemm_pack_weight_bytes(pack) +
         (size_t) nr * (requantization == QK_REQUANT_GEMMLOWP ? 2 * sizeof(int32_t) : sizeof(float));
}
QK_INLINE size_t qk_gemm_packed_bytes(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t pack,
                                      int32_t requantization) {
  return qk_divide_round_up(n, nr) * qk_gemm_block_bytes(kc, ks, nr, kr, pack, requantization);
}

/* Packing (csrc/pack/gemm.c).  Weights w are [n][ks][kc] (Linear [N][K] with
 * ks = 1; Conv2d OHWI [Cout_g][KH*KW][Cin_g] per group).  bias may be NULL
 * (zeros).  fp32 mode reads scale[n] (multiplier/shift may be NULL); gemmlowp
 * mode reads multiplier[n] and shift[n] (scale may be NULL).  Per-tensor
 * callers pass arrays filled with one value.  `pack` is the variant's format
 * (qk_ukernel.pack).  Returns 0, or -1 for an unsupported layout (sr != 1,
 * nr or kr == 0, unknown format, bad mode). */
int qk_pack_gemm_qs8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t pack,
                     const int8_t* w,
                     const int32_t* bias, int32_t a_zero_point, int32_t requantization, const float* scale,
                     const int32_t* multiplier, const int32_t* shift, void* packed);
int qk_pack_gemm_qu8(size_t n, size_t kc, size_t ks, uint32_t nr, uint32_t kr, uint32_t sr, uint32_t pack,
                     const uint8_t* w,
                     const int32_t* bias, int32_t a_zero_point, int32_t w_zero_point, int32_t requantization,
                     const float* scale, const int32_t* multiplier, const int32_t* shift, void* packed);

/* Drivers (csrc/ops/gemm.c): 2-D tiles over (rows, columns) on the pool.
 *
 * qk_run_gemm: c[m][g*n + j] for m < M, j < n, group g < groups, from rows
 * a + m*a_stride + g*kc (bytes) and packed weights
 * packed + g*packed_group_stride; c rows are c_stride bytes apart.
 * groups = 1 for Linear and 1x1 convolution. */
void qk_run_gemm(const qk_ukernel* ukernel, size_t groups, size_t m, size_t n, size_t kc, const void* a,
                 size_t a_stride, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                 const qk_gemm_params* params, size_t threads);

/* qk_run_igemm: convolution through an indirection buffer.
 * indirection holds ceil(m / MR) tiles of ks * MR pointers ([tile][tap][row]);
 * rows past m repeat a valid pointer.  For batch image b and group g the
 * kernel gets a_offset = a_offset + b*a_batch_stride + g*kc, output
 * c + b*c_batch_stride + row*c_stride + g*n, weights
 * packed + g*packed_group_stride.  `zero` holds at least kc bytes of a_zp. */
void qk_run_igemm(const qk_ukernel* ukernel, size_t batch, size_t groups, size_t m, size_t n, size_t kc,
                  size_t ks, const void* const* indirection, size_t a_offset, size_t a_batch_stride,
                  const void* zero, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                  size_t c_batch_stride, const qk_gemm_params* params, size_t threads);

/* Every variant (declared here so registry.c and tests see one list). */
#define QK_DECLARE_GEMM_UKERNEL(name)                                                                            \
  void name(size_t mr, size_t nc, size_t kc, size_t ks, const void* const* a, const void* w, void* c,         \
            size_t cm_stride, size_t cn_stride, size_t a_offset, const void* zero, const qk_gemm_params* params);

QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_2x4__scalar)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_2x4__scalar)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_3x4c8__sse41)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_3x4c8__sse41)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_3x8c8__avx2)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_3x8c8__avx2)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_8x32c4__avx512vnni)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_8x32c4__avx512vnni)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_4x8__neon)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_4x8__neon)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_4x4c16__neon)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_4x4c16__neon)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_2x4c16__neon)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_2x4c16__neon)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_4x16c4__neondot)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_4x16c4__neondot)
QK_DECLARE_GEMM_UKERNEL(qs8_gemm_ukernel_4x16c8__neoni8mm)
QK_DECLARE_GEMM_UKERNEL(qu8_gemm_ukernel_4x16c8__neoni8mm)

#endif
