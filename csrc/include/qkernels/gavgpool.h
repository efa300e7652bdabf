/* Global average pooling, NHWC [N, H, W, C] -> [N, C], qs8 and qu8.
 *
 * One microkernel call reduces `rows` = H*W pixels of `channels` channels
 * (pixel stride `input_stride` bytes, so a channel slice of a wider tensor
 * is fine) into `channels` outputs:
 *   acc[c] = sum_r x[r, c] + bias,       bias = -rows * input_zero_point
 * exactly in int32 (rows <= QK_GAVGPOOL_MAX_ROWS keeps |acc| < 2^31), then
 *   fp32:     y = clamp(rint(float(acc) * scale) + zp)          (requant.h qk_requant_fp32)
 *   gemmlowp: y = clamp(RDBPOT(SRDHM(acc, m), shift) + zp)      (requant.h qk_requant_gemmlowp)
 * with scale (or m, shift) from the real multiplier
 * input_scale / (output_scale * rows), derived in Python.  The mode is a
 * run-time field rather than a separate family: it only selects the
 * epilogue, run once per 16 outputs after `rows` loads, so the branch costs
 * nothing and each ISA needs one kernel instead of two. */
#ifndef QKERNELS_GAVGPOOL_H
#define QKERNELS_GAVGPOOL_H

#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

/* 255 * 2^23 = 2^31 - 2^23: the largest |acc| for int8 and uint8 alike. */
#define QK_GAVGPOOL_MAX_ROWS (UINT32_C(1) << 23)

enum { QK_GAVGPOOL_FP32 = 0, QK_GAVGPOOL_GEMMLOWP = 1 };

typedef struct qk_gavgpool_params {
  int32_t bias;       /* -rows * input_zero_point */
  int32_t mode;       /* QK_GAVGPOOL_FP32 or QK_GAVGPOOL_GEMMLOWP */
  float scale;        /* fp32 mode: float32(input_scale / (output_scale * rows)) */
  int32_t multiplier; /* gemmlowp mode: Q31 multiplier ... */
  uint32_t shift;     /* ... and right shift in [0, 31] */
  qk_qparams output;
} qk_gavgpool_params;

QK_INLINE int32_t qk_gavgpool_requant(int32_t sum, const qk_gavgpool_params* p) {
  const int32_t acc = sum + p->bias;
  return p->mode == QK_GAVGPOOL_FP32 ? qk_requant_fp32(acc, p->scale, &p->output)
                                     : qk_requant_gemmlowp(acc, p->multiplier, p->shift, &p->output);
}

/* input: rows x channels bytes (int8 for qs8, uint8 for qu8), pixel r at
 * input + r * input_stride; output: channels bytes.  rows >= 1. */
typedef void (*qk_gavgpool_fn)(size_t rows, size_t channels, const void* input, size_t input_stride,
                               void* output, const qk_gavgpool_params* params);

#define QK_DECLARE_GAVGPOOL(tile, isa)                                                        \
  void qs8_gavgpool_ukernel_##tile##__##isa(size_t, size_t, const void*, size_t, void*,     \
                                            const qk_gavgpool_params*);                     \
  void qu8_gavgpool_ukernel_##tile##__##isa(size_t, size_t, const void*, size_t, void*,     \
                                            const qk_gavgpool_params*);

QK_DECLARE_GAVGPOOL(c1, scalar)
QK_DECLARE_GAVGPOOL(c16, sse41)
QK_DECLARE_GAVGPOOL(c16, neon)

/* Driver (csrc/ops/gavgpool.c): batch x channel tiles over the pool.
 * input [batch, rows, channels] contiguous, output [batch, channels]. */
void qk_run_gavgpool(const qk_ukernel* ukernel, size_t batch, size_t rows, size_t channels, const void* input,
                     void* output, const qk_gavgpool_params* params, size_t threads);

#endif
