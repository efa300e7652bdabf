/* fp32 CHW companion kernels: what a sparse MobileNet needs around its 1x1
 * SpMM layers so activations never leave CHW layout (XNNPACK's "CHW"
 * operator set).
 *
 *   stem      3x3 stride-2 pad-1 convolution, HWC input with 3 channels ->
 *             CHW output (the first layer reads an interleaved image)
 *   dwconv    depthwise 3x3 (s1 p1, s2 p1) and 5x5 (s1 p2, s2 p2) on one CHW
 *             channel plane, one call per (channel, band of output rows)
 *   gavgpool  global average pooling of CHW planes -> one value per channel
 *   transpose 32-bit matrix transpose: HWC <-> CHW conversion
 *
 * Numerics (every variant equals its scalar twin bit for bit, up to the sign
 * of zero): each output is bias + sum of its taps in row-major tap order,
 * float32, a product then an add per tap (never fused: the build uses
 * -std=c11, where gcc does not contract a*b+c, and NEON files use separate
 * vmul/vadd), then clamped as y = max(min, y), y = min(max, y) with NaN
 * propagating.  Padding taps are skipped by scalar code and added as w*0 by
 * SIMD code, which changes nothing but possibly the sign of a zero.  armv7
 * NEON flushes denormals to zero; the results then differ from the scalar
 * VFP code only for denormal intermediates. */
#ifndef QKERNELS_CHW_H
#define QKERNELS_CHW_H

#include "qkernels/dispatch.h"

/* Output clamp of every fp32 CHW kernel (-inf/+inf when not fused). */
typedef struct qk_chw_params {
  float min, max;
} qk_chw_params;

/* The clamp, as every variant applies it (matches SSE maxps/minps operand
 * order so that a NaN accumulator stays NaN). */
QK_INLINE float qk_chw_clamp(float y, const qk_chw_params* p) {
  y = p->min > y ? p->min : y;
  y = p->max < y ? p->max : y;
  return y;
}

/* ---- depthwise convolution, one channel plane ----
 * input:   [input_height][input_width] floats of one channel
 * weights: bias, then the K*K taps row-major (1 + K*K floats)
 * output:  [output_height][output_width] floats of the same channel; the
 *          kernel writes rows [output_y_start, output_y_end) only.
 * output_height/width = (in + 2*P - K) / S + 1 for the kernel's K, S, P. */
typedef void (*qk_f32_dwconv2d_chw_fn)(size_t input_height, size_t input_width, size_t output_y_start,
                                       size_t output_y_end, const float* input, const float* weights,
                                       float* output, const qk_chw_params* params);

/* ---- stem: 3x3 stride-2 pad-1 convolution, HWC (3 channels) -> CHW ----
 * input:   [input_height][input_width][3]
 * weights: packed by output-channel blocks of QK_HWC2CHW_COUT_BLOCK:
 *          for each block: bias[8], then 27 taps (ky, kx, ci row-major) x 8
 *          output channels, zero-padded past output_channels.
 * output:  [output_channels][output_height][output_width]; the kernel
 *          writes rows [output_y_start, output_y_end) of every channel. */
#define QK_HWC2CHW_COUT_BLOCK 8
#define QK_HWC2CHW_BLOCK_FLOATS (QK_HWC2CHW_COUT_BLOCK * (1 + 27))
typedef void (*qk_f32_conv_hwc2chw_fn)(size_t input_height, size_t input_width, size_t output_y_start,
                                       size_t output_y_end, const float* input, const float* packed_weights,
                                       float* output, size_t output_channels, const qk_chw_params* params);

/* ---- global average pooling of `channels` planes of `elements` floats ----
 * output[c] = clamp(sum(input[c][:]) * scale), scale = 1/elements as float.
 * The sum is taken in 4 interleaved partial sums (element i goes to sum
 * i % 4) combined as (s0 + s1) + (s2 + s3): the 4-lane SIMD order, which the
 * scalar twin reproduces exactly. */
typedef void (*qk_f32_gavgpool_chw_fn)(size_t channels, size_t elements, const float* input, float* output,
                                       float scale, const qk_chw_params* params);

/* ---- transpose of 32-bit elements ----
 * output[c * output_stride + r] = input[r * input_stride + c]
 * for r < rows, c < cols (pure data movement: any 4-byte type). */
typedef void (*qk_x32_transpose_fn)(size_t rows, size_t cols, const uint32_t* input, size_t input_stride,
                                    uint32_t* output, size_t output_stride);

#define QK_DECLARE_CHW(isa)                                                                                   \
  void f32_dwconv2d_chw_ukernel_3x3s1p1__##isa(size_t, size_t, size_t, size_t, const float*, const float*,   \
                                               float*, const qk_chw_params*);                                 \
  void f32_dwconv2d_chw_ukernel_3x3s2p1__##isa(size_t, size_t, size_t, size_t, const float*, const float*,   \
                                               float*, const qk_chw_params*);                                 \
  void f32_dwconv2d_chw_ukernel_5x5s1p2__##isa(size_t, size_t, size_t, size_t, const float*, const float*,   \
                                               float*, const qk_chw_params*);                                 \
  void f32_dwconv2d_chw_ukernel_5x5s2p2__##isa(size_t, size_t, size_t, size_t, const float*, const float*,   \
                                               float*, const qk_chw_params*);                                 \
  void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__##isa(size_t, size_t, size_t, size_t, const float*, const float*, \
                                                  float*, size_t, const qk_chw_params*);                      \
  void f32_gavgpool_chw_ukernel_4__##isa(size_t, size_t, const float*, float*, float, const qk_chw_params*);   \
  void x32_transpose_chw_ukernel_4x4__##isa(size_t, size_t, const uint32_t*, size_t, uint32_t*, size_t);

QK_DECLARE_CHW(scalar)
QK_DECLARE_CHW(sse2)
QK_DECLARE_CHW(neon)
/* AVX2 level (x86): depthwise kernels and the stem only. */
void f32_dwconv2d_chw_ukernel_3x3s1p1__avx2(size_t, size_t, size_t, size_t, const float*, const float*, float*,
                                            const qk_chw_params*);
void f32_dwconv2d_chw_ukernel_3x3s2p1__avx2(size_t, size_t, size_t, size_t, const float*, const float*, float*,
                                            const qk_chw_params*);
void f32_dwconv2d_chw_ukernel_5x5s1p2__avx2(size_t, size_t, size_t, size_t, const float*, const float*, float*,
                                            const qk_chw_params*);
void f32_dwconv2d_chw_ukernel_5x5s2p2__avx2(size_t, size_t, size_t, size_t, const float*, const float*, float*,
                                            const qk_chw_params*);
void f32_conv_hwc2chw_ukernel_3x3s2p1c3x8__avx2(size_t, size_t, size_t, size_t, const float*, const float*, float*,
                                                size_t, const qk_chw_params*);

/* ---- drivers (csrc/ops/chw.c): tile one operator call over the pool ----
 * Python validates every argument before calling; sizes are all >= 1. */

/* x: [batch][channels][H][W]; weights: [channels][1 + K*K];
 * y: [batch][channels][OH][OW]. */
void qk_run_f32_dwconv2d_chw(const qk_ukernel* ukernel, size_t kernel_size, size_t stride, size_t padding,
                             size_t batch, size_t channels, size_t input_height, size_t input_width,
                             const float* input, const float* weights, float* output, float output_min,
                             float output_max, size_t threads);

/* x: [batch][H][W][3]; y: [batch][output_channels][OH][OW]. */
void qk_run_f32_conv_hwc2chw(const qk_ukernel* ukernel, size_t batch, size_t input_height, size_t input_width,
                             size_t output_channels, const float* input, const float* packed_weights,
                             float* output, float output_min, float output_max, size_t threads);

/* x: [batch * channels][elements]; y: [batch * channels]. */
void qk_run_f32_gavgpool_chw(const qk_ukernel* ukernel, size_t planes, size_t elements, const float* input,
                             float* output, float output_min, float output_max, size_t threads);

/* For each of `batch` matrices [rows][cols] -> [cols][rows]. */
void qk_run_x32_transpose(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t cols,
                          const uint32_t* input, uint32_t* output, size_t threads);

#endif
