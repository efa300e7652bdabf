/* CPU feature detection, the QKERNELS_ISA cap and per-family selection.
 * Compiled for the plain baseline: it only reads feature bits, it never runs
 * SIMD code itself. */
#define _GNU_SOURCE
#include "qkernels/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#define QK_ONCE_T INIT_ONCE
#define QK_ONCE_INIT INIT_ONCE_STATIC_INIT
#else
#include <pthread.h>
#endif

#if defined(QK_ARCH_X86) && !defined(_MSC_VER)
#include <cpuid.h>
#elif defined(QK_ARCH_X86) && defined(_MSC_VER)
#include <intrin.h>
#endif

#if (defined(QK_ARCH_AARCH64) || defined(QK_ARCH_ARMV7)) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

const qk_family* const qk_families[] = {
    &qk_family_qs8_requant_fp32,
    &qk_family_qu8_requant_fp32,
    &qk_family_qs8_requant_gemmlowp,
    &qk_family_qu8_requant_gemmlowp,
    &qk_family_qs8_gemm, &qk_family_qu8_gemm,
    &qk_family_f32_dwconv2d_chw_3x3s1p1, &qk_family_f32_dwconv2d_chw_3x3s2p1, &qk_family_f32_dwconv2d_chw_5x5s1p2, &qk_family_f32_dwconv2d_chw_5x5s2p2, &qk_family_f32_conv_hwc2chw_3x3s2p1c3, &qk_family_f32_gavgpool_chw, &qk_family_x32_transpose_chw,
    &qk_family_qs8_vadd, &qk_family_qu8_vadd, &qk_family_f32_vadd, &qk_family_qs8_gavgpool, &qk_family_qu8_gavgpool,
    &qk_family_qs8_dwconv9, &qk_family_qs8_dwconv25, &qk_family_qu8_dwconv9, &qk_family_qu8_dwconv25,
    &qk_family_qs8_dwconv9_mul8,
    &qk_family_f32_spmm,
    NULL,
};

#define QK_MAX_FAMILIES 64

static const char* const isa_names[QK_ISA_COUNT] = {"scalar", "sse2",    "ssse3",   "sse41",
                                                    "avx2",   "neon", "neondot", "neoni8mm",
                                                    "avx512vnni"};

/* The ordered levels of this architecture (QKERNELS_ISA accepts these). */
#if defined(QK_ARCH_X86)
static const int arch_levels[] = {QK_ISA_SCALAR, QK_ISA_SSE2, QK_ISA_SSSE3, QK_ISA_SSE41, QK_ISA_AVX2,
                                 QK_ISA_AVX512VNNI};
static const char arch_name[] = "x86_64";
#elif defined(QK_ARCH_AARCH64)
static const int arch_levels[] = {QK_ISA_SCALAR, QK_ISA_NEON, QK_ISA_NEONDOT, QK_ISA_NEONI8MM};
static const char arch_name[] = "aarch64";
#elif defined(QK_ARCH_ARMV7)
static const int arch_levels[] = {QK_ISA_SCALAR, QK_ISA_NEON, QK_ISA_NEONDOT, QK_ISA_NEONI8MM};
static const char arch_name[] = "armv7";
#else
static const int arch_levels[] = {QK_ISA_SCALAR};
static const char arch_name[] = "generic";
#endif
#define QK_NUM_LEVELS (sizeof(arch_levels) / sizeof(arch_levels[0]))

static struct {
  int detected[QK_ISA_COUNT];
  int rank[QK_ISA_COUNT]; /* position in arch_levels, -1 when foreign to this arch */
  int cap_rank;
  int error;
  char error_message[256];
  char levels[128];
  const qk_ukernel* selected[QK_MAX_FAMILIES];
} state;

#if defined(QK_ARCH_X86)
static void detect_x86(int* d) {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 1);
  ecx = (unsigned) r[2];
  edx = (unsigned) r[3];
#else
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
#endif
  d[QK_ISA_SSE2] = (edx >> 26) & 1;
  d[QK_ISA_SSSE3] = d[QK_ISA_SSE2] && ((ecx >> 9) & 1);
  d[QK_ISA_SSE41] = d[QK_ISA_SSSE3] && ((ecx >> 19) & 1);
  const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
  if (!(osxsave && avx && fma)) return;
  /* The OS must save YMM state on context switches (XCR0 bits 1 and 2). */
#if defined(_MSC_VER)
  const unsigned long long xcr0 = _xgetbv(0);
#else
  unsigned int xlo, xhi;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  const unsigned long long xcr0 = ((unsigned long long) xhi << 32) | xlo;
#endif
  if ((xcr0 & 6) != 6) return;
#if defined(_MSC_VER)
  __cpuidex(r, 7, 0);
  ebx = (unsigned) r[1];
  ecx = (unsigned) r[2];
#else
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return;
#endif
  d[QK_ISA_AVX2] = d[QK_ISA_SSE41] && ((ebx >> 5) & 1);
  /* AVX-512 VNNI level: F (EBX 16), DQ (17), BW (30), VL (31) and
   * AVX512_VNNI (ECX 11), and the OS must also save the opmask and both
   * halves of the ZMM file (XCR0 bits 5, 6, 7 besides SSE/AVX 1, 2): a
   * kernel may be pre-empted with live k/zmm registers.  (macOS enables ZMM
   * state lazily, so XCR0 may not show it there: the level is then simply
   * not detected and AVX2 runs.) */
  const unsigned avx512_ebx = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  d[QK_ISA_AVX512VNNI] = d[QK_ISA_AVX2] && (ebx & avx512_ebx) == avx512_ebx && ((ecx >> 11) & 1) &&
                         (xcr0 & 0xE6) == 0xE6;
}
#endif

#if defined(QK_ARCH_AARCH64)
static void detect_aarch64(int* d) {
  d[QK_ISA_NEON] = 1; /* Advanced SIMD is mandatory in AArch64 */
#if defined(__linux__) || defined(__ANDROID__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  d[QK_ISA_NEONDOT] = (hwcap >> 20) & 1;    /* HWCAP_ASIMDDP */
  d[QK_ISA_NEONI8MM] = (hwcap2 >> 13) & 1;  /* HWCAP2_I8MM */
#elif defined(__APPLE__)
  int v = 0;
  size_t len = sizeof v;
  if (sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, NULL, 0) == 0) d[QK_ISA_NEONDOT] = v != 0;
  v = 0;
  len = sizeof v;
  if (sysctlbyname("hw.optional.arm.FEAT_I8MM", &v, &len, NULL, 0) == 0) d[QK_ISA_NEONI8MM] = v != 0;
#endif
  /* Our i8mm kernels may also use sdot; never pick them without it. */
  d[QK_ISA_NEONI8MM] = d[QK_ISA_NEONI8MM] && d[QK_ISA_NEONDOT];
}
#endif

#if defined(QK_ARCH_ARMV7)
static void detect_armv7(int* d) {
#if defined(__linux__) || defined(__ANDROID__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  d[QK_ISA_NEON] = (hwcap >> 12) & 1; /* HWCAP_NEON */
  /* A 32-bit task on an ARMv8 kernel reports these in AT_HWCAP as well. */
  d[QK_ISA_NEONDOT] = d[QK_ISA_NEON] && ((hwcap >> 24) & 1);   /* HWCAP_ASIMDDP */
  d[QK_ISA_NEONI8MM] = d[QK_ISA_NEONDOT] && ((hwcap >> 27) & 1); /* HWCAP_I8MM */
#elif defined(__ARM_NEON)
  d[QK_ISA_NEON] = 1;
#endif
}
#endif

static void init_once(void) {
  state.detected[QK_ISA_SCALAR] = 1;
#if defined(QK_ARCH_X86)
  detect_x86(state.detected);
#elif defined(QK_ARCH_AARCH64)
  detect_aarch64(state.detected);
#elif defined(QK_ARCH_ARMV7)
  detect_armv7(state.detected);
#endif
  for (int i = 0; i < QK_ISA_COUNT; i++) state.rank[i] = -1;
  state.levels[0] = '\0';
  for (size_t r = 0; r < QK_NUM_LEVELS; r++) {
    state.rank[arch_levels[r]] = (int) r;
    if (r) strcat(state.levels, " ");
    strcat(state.levels, isa_names[arch_levels[r]]);
  }
  state.cap_rank = (int) QK_NUM_LEVELS - 1;
  const char* cap = getenv("QKERNELS_ISA");
  if (cap != NULL && cap[0] != '\0') {
    int found = -1;
    for (size_t r = 0; r < QK_NUM_LEVELS; r++) {
      if (strcmp(cap, isa_names[arch_levels[r]]) == 0) found = (int) r;
    }
    if (found < 0) {
      state.error = 1;
      snprintf(state.error_message, sizeof state.error_message,
               "QKERNELS_ISA=%.40s is not a level of %s; valid values: %s", cap, arch_name, state.levels);
      return;
    }
    state.cap_rank = found;
  }
  for (size_t f = 0; qk_families[f] != NULL && f < QK_MAX_FAMILIES; f++) {
    const qk_family* fam = qk_families[f];
    state.selected[f] = NULL;
    for (size_t v = 0; v < fam->count; v++) {
      if (qk_isa_usable(fam->variants[v].isa)) {
        state.selected[f] = &fam->variants[v];
        break;
      }
    }
  }
}

#if defined(_WIN32)
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK init_once_win(PINIT_ONCE o, PVOID p, PVOID* c) {
  (void) o; (void) p; (void) c;
  init_once();
  return TRUE;
}
int qk_init(void) {
  InitOnceExecuteOnce(&once, init_once_win, NULL, NULL);
  return state.error ? -1 : 0;
}
#else
static pthread_once_t once = PTHREAD_ONCE_INIT;
int qk_init(void) {
  pthread_once(&once, init_once);
  return state.error ? -1 : 0;
}
#endif

const char* qk_init_error(void) { return state.error ? state.error_message : NULL; }
const char* qk_arch_name(void) { return arch_name; }
const char* qk_isa_name(int isa) { return isa >= 0 && isa < QK_ISA_COUNT ? isa_names[isa] : "?"; }
const char* qk_isa_levels(void) {
  qk_init();
  return state.levels;
}

int qk_isa_detected(int isa) {
  qk_init();
  return isa >= 0 && isa < QK_ISA_COUNT && state.detected[isa];
}

int qk_isa_cap(void) {
  qk_init();
  return arch_levels[state.cap_rank];
}

int qk_isa_usable(int isa) {
  /* Called from init_once too, so read state directly. */
  if (isa < 0 || isa >= QK_ISA_COUNT) return 0;
  return state.detected[isa] && state.rank[isa] >= 0 && state.rank[isa] <= state.cap_rank;
}

static int family_index(const qk_family* family) {
  for (int f = 0; qk_families[f] != NULL; f++) {
    if (qk_families[f] == family) return f;
  }
  return -1;
}

const qk_ukernel* qk_select(const qk_family* family) {
  if (qk_init() != 0) return NULL;
  const int f = family_index(family);
  return f < 0 ? NULL : state.selected[f];
}

const qk_ukernel* qk_find(const qk_family* family, const char* name) {
  if (qk_init() != 0 || family == NULL) return NULL;
  for (size_t v = 0; v < family->count; v++) {
    if (strcmp(family->variants[v].name, name) == 0) {
      return qk_isa_usable(family->variants[v].isa) ? &family->variants[v] : NULL;
    }
  }
  return NULL;
}

const qk_family* qk_family_by_name(const char* name) {
  for (int f = 0; qk_families[f] != NULL; f++) {
    if (strcmp(qk_families[f]->name, name) == 0) return qk_families[f];
  }
  return NULL;
}
