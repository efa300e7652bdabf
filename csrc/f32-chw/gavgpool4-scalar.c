/* Global average pooling of CHW planes: the scalar reference twin.  It keeps
 * 4 interleaved partial sums (element i into sum i % 4) and combines them as
 * (s0 + s1) + (s2 + s3): exactly the order of the 4-lane SIMD variants, so
 * they agree bit for bit, and 4 independent chains are also faster than one. */
#include "qkernels/chw.h"

void f32_gavgpool_chw_ukernel_4__scalar(size_t channels, size_t elements, const float* input, float* output,
                                        float scale, const qk_chw_params* params) {
  for (size_t c = 0; c < channels; c++) {
    const float* x = input + c * elements;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= elements; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    /* The tail lands in the lanes the SIMD code's zero-filled partial load
     * puts it in (adding 0 to the other lanes changes nothing). */
    if (i < elements) s0 += x[i];
    if (i + 1 < elements) s1 += x[i + 1];
    if (i + 2 < elements) s2 += x[i + 2];
    const float sum = (s0 + s1) + (s2 + s3);
    output[c] = qk_chw_clamp(sum * scale, params);
  }
}
