/* Instruction-count driver for the 8-bit GEMM kernels under qemu-user (see
 * bench/gemm_icount.py, which builds and runs it).
 *
 *   gemm_icount FAMILY KERNEL M K N REPS [fp32|gemmlowp]
 *   gemm_icount --list FAMILY
 *
 * Packs a random N x K weight matrix for KERNEL, then runs the plain-GEMM
 * driver (qk_run_gemm, one thread: the operator's own tiling) REPS times on a
 * random M x K input.  The icount plugin counts the whole process; the
 * difference of two runs with different REPS is the cost of REPS2 - REPS1
 * layer calls, without start-up and packing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qkernels/gemm.h"

static uint32_t lcg(uint32_t* s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 24;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--list") == 0) { /* usable variants of a family, best first */
    if (qk_init() != 0) return 3;
    const qk_family* f = qk_family_by_name(argv[2]);
    for (size_t i = 0; f != NULL && i < f->count; i++)
      if (qk_isa_usable(f->variants[i].isa)) printf("%s\n", f->variants[i].name);
    return 0;
  }
  if (argc < 7) {
    fprintf(stderr, "usage: %s FAMILY KERNEL M K N REPS [fp32|gemmlowp]\n", argv[0]);
    return 2;
  }
  const char* family = argv[1];
  const char* kernel = argv[2];
  const size_t m = strtoul(argv[3], NULL, 10), k = strtoul(argv[4], NULL, 10), n = strtoul(argv[5], NULL, 10);
  const long reps = strtol(argv[6], NULL, 10);
  const int mode = argc > 7 && strcmp(argv[7], "gemmlowp") == 0 ? QK_REQUANT_GEMMLOWP : QK_REQUANT_FP32;
  if (qk_init() != 0) return 3;
  const qk_family* f = qk_family_by_name(family);
  const qk_ukernel* uk = f ? qk_find(f, kernel) : NULL;
  if (uk == NULL) {
    fprintf(stderr, "kernel %s of %s not available here\n", kernel, family);
    return 4;
  }
  const int is_signed = strcmp(family, "qs8_gemm") == 0;
  uint8_t* a = malloc(m * k);
  uint8_t* w = malloc(n * k);
  uint8_t* c = malloc(m * n);
  float* scale = malloc(n * sizeof(float));
  int32_t* mult = malloc(n * sizeof(int32_t));
  int32_t* shift = malloc(n * sizeof(int32_t));
  uint32_t s = 12345;
  for (size_t i = 0; i < m * k; i++) a[i] = (uint8_t) lcg(&s);
  for (size_t i = 0; i < n * k; i++) w[i] = (uint8_t) lcg(&s);
  for (size_t i = 0; i < n; i++) {
    scale[i] = 0.0007f + 0.00001f * (float) (i % 13);
    mult[i] = 1500000000 + (int32_t) (i % 7) * 1000;
    shift[i] = 10 + (int32_t) (i % 3);
  }
  const size_t bytes = qk_gemm_packed_bytes(n, k, 1, uk->nr, uk->kr, uk->pack, mode);
  void* packed = malloc(bytes);
  const int32_t azp = is_signed ? 3 : 128, wzp = is_signed ? 0 : 120, ozp = is_signed ? -1 : 127;
  int rc = is_signed ? qk_pack_gemm_qs8(n, k, 1, uk->nr, uk->kr, uk->sr, uk->pack, (const int8_t*) w, NULL, azp, mode, scale,
                                        mult, shift, packed)
                     : qk_pack_gemm_qu8(n, k, 1, uk->nr, uk->kr, uk->sr, uk->pack, w, NULL, azp, wzp, mode, scale, mult,
                                        shift, packed);
  if (rc != 0) return 5;
  qk_gemm_params p;
  qk_gemm_params_init(&p, azp, wzp, mode, ozp, is_signed ? -128 : 0, is_signed ? 127 : 255);
  for (long r = 0; r < reps; r++) qk_run_gemm(uk, 1, m, n, k, a, k, packed, 0, c, n, &p, 1);
  uint32_t sum = 0;
  for (size_t i = 0; i < m * n; i++) sum = sum * 31u + c[i];
  printf("%s %zux%zux%zu reps=%ld checksum=%08x\n", kernel, m, k, n, reps, sum);
  return 0;
}
