/* ISA-independent helpers over a per-ISA vector-op header (vec-sse2.h,
 * vec-avx2.h, vec-neon.h), which defines before including this file:
 *   qk_vec, QK_VEC_LANES        the float vector type and its lane count
 *   qk_vec_loadu, qk_vec_storeu unaligned load / store of QK_VEC_LANES floats
 *   qk_vec_dup(x), qk_vec_load_dup(p)   every lane = x, every lane = *p
 *   qk_vec_zero(), qk_vec_add(a, b), qk_vec_mul(a, b)   (never fused)
 *   qk_vec_clamp(v, vmin, vmax) clamp that keeps a NaN lane NaN (the operand
 *                               order is ISA-specific; see qk_chw_clamp)
 * The CHW kernel templates (dwconv-simd.h, convhwc2chw-simd.h,
 * gavgpool-simd.h) are written against these names only. */
#ifndef QK_F32_CHW_VEC_H
#define QK_F32_CHW_VEC_H

#include "qkernels/chw.h"

/* Partial tails go through a stack copy: nothing is read or written past
 * the n valid floats. */
QK_INLINE void qk_vec_store_n(float* out, qk_vec v, size_t n) {
  if (n == QK_VEC_LANES) {
    qk_vec_storeu(out, v);
  } else {
    float tmp[QK_VEC_LANES];
    qk_vec_storeu(tmp, v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[i];
  }
}

/* n < QK_VEC_LANES floats, the other lanes zero. */
QK_INLINE qk_vec qk_vec_load_n(const float* p, size_t n) {
  float tmp[QK_VEC_LANES] = {0.0f};
  for (size_t i = 0; i < n; i++) tmp[i] = p[i];
  return qk_vec_loadu(tmp);
}

#endif
