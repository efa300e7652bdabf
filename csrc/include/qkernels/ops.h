/* Operator drivers: the C side of each Python operator call.  They take an
 * already-selected microkernel, tile the work and run it on the thread pool.
 * Python (through thin Cython) validates arguments before calling them. */
#ifndef QKERNELS_OPS_H
#define QKERNELS_OPS_H

#include "qkernels/dispatch.h"
#include "qkernels/requant.h"

/* Requantize n int32 values to int8/uint8 (the family decides which).
 * fp32 mode uses `scale`; gemmlowp mode uses `multiplier` and `shift`. */
void qk_run_requant_fp32(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output, float scale,
                         const qk_qparams* params, size_t threads);
void qk_run_requant_gemmlowp(const qk_ukernel* ukernel, size_t n, const int32_t* input, void* output,
                             int32_t multiplier, uint32_t shift, const qk_qparams* params, size_t threads);

#endif
