/* Packing of sparse fp32 1x1 convolution weights (format: qkernels/spmm.h).
 *
 * Runs once per operator.  Output channels are taken in order and grouped
 * greedily: 4 channels, else 2, else 1, whichever a small cost model says is
 * cheapest.  Per column (input channel touched by a group) a kernel spends one
 * load of the MR input pixels plus one multiply-accumulate per channel of the
 * group, so a group of s channels with u columns costs about u * (1 + s),
 * while s separate channels with k_1..k_s nonzeros cost 2 * sum(k_i).  Equal
 * patterns (block-sparse pruning) give 4 channels at 5/8 of the cost; random
 * sparsity almost never pays for the explicit zeros and stays ungrouped. */
#include "qkernels/spmm.h"

/* Columns of channels [co, co + s): input channels with any nonzero. */
static size_t union_columns(size_t cin, const float* weight, size_t co, size_t s) {
  size_t u = 0;
  for (size_t ci = 0; ci < cin; ci++) {
    int any = 0;
    for (size_t j = 0; j < s; j++) any |= weight[(co + j) * cin + ci] != 0.0f;
    u += (size_t) any;
  }
  return u;
}

static size_t row_nonzeros(size_t cin, const float* weight, size_t co) {
  size_t k = 0;
  for (size_t ci = 0; ci < cin; ci++) k += weight[co * cin + ci] != 0.0f;
  return k;
}

/* Cost of channels [co, co + s) as one group vs as singles (units: see above). */
static size_t group_cost(size_t cin, const float* weight, size_t co, size_t s) {
  return union_columns(cin, weight, co, s) * (1 + s);
}

static size_t singles_cost(size_t cin, const float* weight, size_t co, size_t s) {
  size_t c = 0;
  for (size_t j = 0; j < s; j++) c += 2 * row_nonzeros(cin, weight, co + j);
  return c;
}

/* Best cost of a pair taken as a group or as singles. */
static size_t pair_cost(size_t cin, const float* weight, size_t co) {
  const size_t g = group_cost(cin, weight, co, 2), s = singles_cost(cin, weight, co, 2);
  return g <= s ? g : s;
}

static uint32_t choose_group(size_t cout, size_t cin, const float* weight, size_t co, uint32_t max_group) {
  if (max_group >= 4 && co + 4 <= cout) {
    const size_t split = pair_cost(cin, weight, co) + pair_cost(cin, weight, co + 2);
    if (group_cost(cin, weight, co, 4) <= split) return 4;
  }
  if (max_group >= 2 && co + 2 <= cout) {
    if (group_cost(cin, weight, co, 2) <= singles_cost(cin, weight, co, 2)) return 2;
  }
  return 1;
}

int qk_f32_spmm_pack(size_t cout, size_t cin, const float* weight, const float* bias, uint32_t max_group,
                     qk_f32_spmm_sizes* sizes, uint32_t* desc, float* values, int32_t* diffs) {
  if ((max_group != 1 && max_group != 2 && max_group != 4) || cin >= (UINT32_C(1) << 29) || cin > INT32_MAX) {
    return -1;
  }
  const int fill = desc != NULL && values != NULL && diffs != NULL;
  size_t g = 0, v = 0, c = 0, nonzeros = 0;
  int64_t first = -1, prev = -1; /* input channel of the first / previous column */
  for (size_t co = 0; co < cout;) {
    const uint32_t s = choose_group(cout, cin, weight, co, max_group);
    if (fill) {
      for (uint32_t j = 0; j < s; j++) values[v + j] = bias != NULL ? bias[co + j] : 0.0f;
    }
    v += s;
    size_t columns = 0;
    for (size_t ci = 0; ci < cin; ci++) {
      int any = 0;
      for (uint32_t j = 0; j < s; j++) {
        const int nz = weight[(co + j) * cin + ci] != 0.0f;
        any |= nz;
        nonzeros += (size_t) nz;
      }
      if (!any) continue;
      if (fill) {
        for (uint32_t j = 0; j < s; j++) values[v + j] = weight[(co + j) * cin + ci];
        /* The previous column's increment leads here. */
        if (prev >= 0) diffs[c - 1] = (int32_t) ((int64_t) ci - prev);
      }
      if (first < 0) first = (int64_t) ci;
      prev = (int64_t) ci;
      v += s;
      c++;
      columns++;
    }
    if (fill) desc[g] = (uint32_t) (columns << QK_SPMM_DESC_SHIFT) | (s == 1 ? 0u : s == 2 ? 1u : 2u);
    g++;
    co += s;
  }
  /* Wrap around: after the last column the pointer returns to the first, so
   * every pixel tile starts from the same place. */
  if (fill && c > 0) diffs[c - 1] = (int32_t) (first - prev);
  sizes->groups = g;
  sizes->values = v;
  sizes->columns = c;
  sizes->nonzeros = nonzeros;
  sizes->first_channel = first < 0 ? 0u : (uint32_t) first;
  return 0;
}
