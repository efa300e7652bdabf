/* CPU feature detection and the microkernel registry.
 *
 * Every microkernel family (e.g. "qs8_gemm") is a qk_family: a const table of
 * its compiled variants, listed best first.  At first use, dispatch detects
 * the CPU's features once (thread-safely), applies the QKERNELS_ISA cap and
 * caches, per family, the first variant the CPU can run.  Operators ask for
 * that selection; tests ask for every usable variant by name so each one can
 * be compared with its scalar twin on the same machine. */
#ifndef QKERNELS_DISPATCH_H
#define QKERNELS_DISPATCH_H

#include "qkernels/common.h"

/* ISA levels.  Within one architecture they are ordered: QKERNELS_ISA=<name>
 * allows every level up to and including <name>. */
enum qk_isa {
  QK_ISA_SCALAR = 0,
  QK_ISA_SSE2,
  QK_ISA_SSSE3,
  QK_ISA_SSE41,
  QK_ISA_AVX2, /* AVX2 + FMA3 with OS-enabled YMM state */
  QK_ISA_NEON,
  QK_ISA_NEONDOT, /* sdot/udot (ARMv8.2 DotProd) */
  QK_ISA_NEONI8MM, /* smmla/ummla (ARMv8.6 I8MM) */
  /* AVX-512 F/BW/DQ/VL + VNNI (vpdpbusd) with OS-enabled opmask/ZMM state.
   * Listed after the Arm levels so existing enum values keep their numbers;
   * the x86 order (arch_levels in dispatch.c) puts it right after AVX2. */
  QK_ISA_AVX512VNNI,
  QK_ISA_COUNT
};

typedef struct qk_ukernel {
  const char* name; /* qs8_gemm_ukernel_4x8c4__neondot */
  int isa;          /* enum qk_isa needed to run it */
  const void* fn;   /* the microkernel; the family header says its type */
  /* Tile description, meaning fixed per family (GEMM: mr, nr, kr, sr). */
  uint32_t mr, nr, kr, sr;
  /* Packed-weights format the kernel reads, family-specific (GEMM: enum
   * qk_gemm_pack in gemm.h); 0 = the family's default layout.  Lets a variant
   * take weights pre-transformed at pack time (widened, complemented, ...). */
  uint32_t pack;
} qk_ukernel;

typedef struct qk_family {
  const char* name;          /* "qs8_gemm" */
  const qk_ukernel* variants; /* best first, scalar last */
  size_t count;
} qk_family;

/* Registry helpers for <family>/registry.c files:
 *   static const qk_ukernel qs8_gemm_variants[] = {
 *     QK_UKERNEL(qs8_gemm_ukernel_4x8c4__neondot, QK_ISA_NEONDOT, 4, 8, 4, 1), ...};
 *   QK_FAMILY(qs8_gemm)        -> const qk_family qk_family_qs8_gemm  */
#define QK_UKERNEL(fn, isa, mr, nr, kr, sr) {#fn, isa, (const void*) fn, mr, nr, kr, sr, 0}
#define QK_UKERNEL_PACK(fn, isa, mr, nr, kr, sr, pack) {#fn, isa, (const void*) fn, mr, nr, kr, sr, pack}
#define QK_ENTRY(fn, isa) QK_UKERNEL(fn, isa, 0, 0, 0, 0)
#define QK_FAMILY(name) \
  const qk_family qk_family_##name = {#name, name##_variants, sizeof(name##_variants) / sizeof(name##_variants[0])};

/* Every family, NULL-terminated (dispatch.c). */
extern const qk_family* const qk_families[];

/* Detect once; returns 0, or -1 if QKERNELS_ISA names an unknown level (the
 * message is then in qk_init_error()). Safe to call from any thread. */
int qk_init(void);
const char* qk_init_error(void);

const char* qk_arch_name(void);
const char* qk_isa_name(int isa);
int qk_isa_detected(int isa); /* the CPU (and OS) support it */
int qk_isa_usable(int isa);   /* detected and within the QKERNELS_ISA cap */
int qk_isa_cap(void);         /* highest allowed level */
/* Valid QKERNELS_ISA values for this architecture, space separated. */
const char* qk_isa_levels(void);

/* The variant operators use: first usable entry of the family. */
const qk_ukernel* qk_select(const qk_family* family);
/* A usable variant by name (NULL when unknown or not runnable here). */
const qk_ukernel* qk_find(const qk_family* family, const char* name);
const qk_family* qk_family_by_name(const char* name);

/* The families, defined in csrc/<family>/registry.c; add new ones here and
 * to qk_families[] in dispatch.c. */
extern const qk_family qk_family_qs8_requant_fp32, qk_family_qu8_requant_fp32;
extern const qk_family qk_family_qs8_requant_gemmlowp, qk_family_qu8_requant_gemmlowp;
extern const qk_family qk_family_qs8_gemm, qk_family_qu8_gemm;
extern const qk_family qk_family_f32_dwconv2d_chw_3x3s1p1, qk_family_f32_dwconv2d_chw_3x3s2p1, qk_family_f32_dwconv2d_chw_5x5s1p2, qk_family_f32_dwconv2d_chw_5x5s2p2, qk_family_f32_conv_hwc2chw_3x3s2p1c3, qk_family_f32_gavgpool_chw, qk_family_x32_transpose_chw;
extern const qk_family qk_family_qs8_vadd, qk_family_qu8_vadd, qk_family_f32_vadd, qk_family_qs8_gavgpool, qk_family_qu8_gavgpool;
extern const qk_family qk_family_qs8_dwconv9, qk_family_qs8_dwconv25, qk_family_qu8_dwconv9, qk_family_qu8_dwconv25;
extern const qk_family qk_family_qs8_dwconv9_mul8;
extern const qk_family qk_family_f32_spmm;

#endif
