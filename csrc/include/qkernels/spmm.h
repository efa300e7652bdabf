/* Sparse fp32 1x1 convolution in CHW layout (XNNPACK f32-spmm design).
 *
 *   y[co][p] = clamp(bias[co] + sum_ci w[co][ci] * x[ci][p], min, max)
 *
 * for p over the H*W pixels of one image.  The weights are packed once
 * (qk_f32_spmm_pack) into output-channel GROUPS of 1, 2 or 4 consecutive
 * channels.  A group stores its bias and, for every input channel ("column")
 * where any of its channels has a nonzero weight, one weight per channel of
 * the group.  Grouping 2 or 4 channels lets one load of MR input pixels feed
 * 2 or 4 multiply-accumulates; the packer only groups channels whose sparsity
 * patterns are similar enough that the explicit zeros it must then store cost
 * less than the loads they save (random sparsity: always groups of 1).
 *
 * Packed format (shared by every variant of the family):
 *   desc[g]    uint32  (columns of group g) << 2 | code, code 0/1/2 = 1/2/4 channels.
 *                      One word per group so the kernel spends a single load
 *                      (and no extra pointer register) per group.
 *   values[]   float   per group, in order: bias[size], then per column its
 *                      `size` weights (channel-minor).  One stream, read
 *                      strictly forward.
 *   diffs[]    int32   per column, in the global order of all groups: the
 *                      increment from this column's input channel to the next
 *                      column's (the last one wraps around to the first
 *                      column).  qk_f32_spmm_pack emits it in CHANNELS; the
 *                      operator multiplies by H*W*sizeof(float) once per
 *                      image size (checked against int32 overflow) and the
 *                      kernels take it in BYTES, so walking the input is one
 *                      load and one add per nonzero.
 *   first_channel      input channel of the first column (0 when there is
 *                      none): the kernels get `input` already pointing there.
 *
 * Because the increments wrap around, the input pointer is back at the first
 * column after every full pass over the groups, i.e. at the same pixel of the
 * same channel; every load stays inside [pixel, pixel + pixels) of some
 * input channel slice, so nothing outside the input is ever read.
 */
#ifndef QKERNELS_SPMM_H
#define QKERNELS_SPMM_H

#include "qkernels/dispatch.h"


/* One call computes `pixels` consecutive pixels (any count >= 1) of every
 * output channel.
 *   input          &x[first_channel][p0]
 *   output         &y[0][p0]
 *   output_stride  bytes between output channel slices (H*W*4)
 * Loads touch only pixels [p0, p0 + pixels) of the input channels the diffs
 * visit; stores only those pixels of every output channel. */
typedef void (*qk_f32_spmm_fn)(size_t pixels, size_t groups, const float* input, const float* values,
                               const int32_t* diffs, const uint32_t* desc, float* output, size_t output_stride,
                               const qk_f32_minmax* params);

#define QK_SPMM_DESC_SHIFT 2
#define QK_SPMM_DESC_CODE_MASK 3u
/* Channels of a group from its descriptor: 1, 2 or 4. */
#define QK_SPMM_GROUP_SIZE(desc) (1u << ((desc) & QK_SPMM_DESC_CODE_MASK))
#define QK_SPMM_GROUP_COLUMNS(desc) ((desc) >> QK_SPMM_DESC_SHIFT)

#define QK_DECLARE_F32_SPMM(mr, nr, isa)                                                                \
  void f32_spmm_ukernel_##mr##x##nr##__##isa(size_t pixels, size_t groups, const float* input,            \
                                             const float* values, const int32_t* diffs, const uint32_t* desc, \
                                             float* output, size_t output_stride, const qk_f32_minmax* params);

/* The tile is MR pixels x up to 4 channels (the largest group). */
QK_DECLARE_F32_SPMM(8, 4, scalar)
QK_DECLARE_F32_SPMM(16, 4, sse2)
QK_DECLARE_F32_SPMM(32, 4, avx2)
QK_DECLARE_F32_SPMM(16, 4, neon) /* vmla: armv7, also built for aarch64 (exact twin of scalar) */
QK_DECLARE_F32_SPMM(64, 4, neon) /* aarch64 only: FMA and 32 registers */

/* ---- packing (csrc/pack/f32-spmm.c) ---- */

typedef struct qk_f32_spmm_sizes {
  size_t groups;        /* entries of desc */
  size_t values;        /* floats of values (biases + stored weights, explicit zeros included) */
  size_t columns;       /* entries of diffs */
  size_t nonzeros;      /* nonzero weights of the dense matrix */
  uint32_t first_channel;
} qk_f32_spmm_sizes;

/* Pack a dense row-major weight [cout][cin] (zeros are skipped) and bias
 * [cout] (NULL = zeros).  max_group is 1, 2 or 4: the largest channel group
 * the packer may form.  With desc/values/diffs NULL it only fills *sizes;
 * otherwise the arrays must hold sizes->groups / ->values / ->columns entries
 * (from a first, counting call with the same arguments).
 * Returns 0, or -1 if an argument is out of range (cin >= 2^29, bad max_group). */
int qk_f32_spmm_pack(size_t cout, size_t cin, const float* weight, const float* bias, uint32_t max_group,
                     qk_f32_spmm_sizes* sizes, uint32_t* desc, float* values, int32_t* diffs);

/* ---- driver (csrc/ops/spmm.c) ---- */

/* batch images of [cin][hw] -> [cout][hw].  `diffs` are in bytes for this hw.
 * Threads split every image into pixel tiles (multiples of the kernel's MR). */
void qk_run_f32_spmm(const qk_ukernel* ukernel, size_t batch, size_t cin, size_t cout, size_t hw,
                     const float* input, size_t groups, uint32_t first_channel,
                     const uint32_t* desc, const float* values, const int32_t* diffs, float* output,
                     const qk_f32_minmax* params, size_t threads);

#endif
