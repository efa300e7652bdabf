"""Build description shared by setup.py and the cross-compiling QEMU harness.

One table says which C files exist, which ISA each belongs to (the token after
the last '-' of its file name, e.g. ``csrc/qs8-gemm/4x8c4-neondot.c`` ->
``neondot``) and which compiler flags that ISA needs.  Files without an ISA
suffix (``dispatch.c``, ``pack/*.c``, ``*-scalar.c``) are built for the plain
baseline of the target: no -march=native, no SIMD baseline, so a wheel runs on
every core of its architecture and the SIMD files are only *called* after
runtime detection (csrc/dispatch.c).
"""
import glob
import os
import platform

HERE = os.path.dirname(os.path.abspath(__file__))

# Per-architecture ISA tokens and the flags of files carrying that token.
ISA_FLAGS = {
    "x86": {
        "sse2": ["-msse2"],
        "ssse3": ["-mssse3"],
        "sse41": ["-msse4.1"],
        # Every AVX2 core has FMA3 as well; dispatch checks both bits.
        "avx2": ["-mavx2", "-mfma"],
        # AVX-512 with VNNI (vpdpbusd): Ice Lake / Cascade Lake, Zen 4 and
        # later.  Dispatch checks every one of these bits and XCR0.
        "avx512vnni": ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                       "-mavx512vnni"],
    },
    "aarch64": {
        "neon": [],  # NEON is part of the aarch64 baseline
        "neondot": ["-march=armv8.2-a+dotprod"],
        "neoni8mm": ["-march=armv8.6-a+i8mm"],
    },
    "armv7": {
        # Raspberry Pi OS 32-bit compilers default to armv6; NEON files need
        # armv7-a explicitly. They are only called when AT_HWCAP says NEON.
        "neon": ["-march=armv7-a", "-mfpu=neon"],
        "neondot": ["-march=armv8.2-a+dotprod", "-mfpu=neon-fp-armv8"],
    },
    "generic": {},
}

ALL_ISA_TOKENS = sorted({t for m in ISA_FLAGS.values() for t in m} | {"scalar"})

BASE_CFLAGS = ["-std=c11", "-O2", "-fno-strict-aliasing", "-Wall", "-Wno-unused-function"]


def _host_platform_machine():
    """The machine part of _PYTHON_HOST_PLATFORM, set by cross builds.

    cibuildwheel sets it when it builds macOS x86_64 wheels on arm64 (and the
    reverse), tools/cross_wheel.py when it cross-builds Linux Arm wheels:
    e.g. 'macosx-10.9-x86_64' -> 'x86_64', 'linux-aarch64' -> 'aarch64'.
    A universal2 build has no single target: refused, as the per-file ISA
    flags (-mavx2, -march=armv8.2-a+dotprod) cannot be given to both slices.
    """
    hp = os.environ.get("_PYTHON_HOST_PLATFORM", "")
    if not hp:
        return None
    m = hp.rsplit("-", 1)[-1]
    if m == "universal2":
        raise RuntimeError("qkernels cannot be built as universal2: build arm64 and x86_64 wheels separately")
    return m


def target_arch(machine=None):
    """Map the target machine to x86/aarch64/armv7/generic.

    The machine is, first found: the argument, QKERNELS_TARGET_ARCH, the
    machine of _PYTHON_HOST_PLATFORM (cross builds), platform.machine().
    """
    m = (machine or os.environ.get("QKERNELS_TARGET_ARCH") or _host_platform_machine()
         or platform.machine()).lower()
    if m in ("x86_64", "amd64", "i386", "i686", "x86"):
        return "x86"
    if m in ("aarch64", "arm64", "armv8b", "aarch64_be"):
        return "aarch64"
    if m.startswith("armv7") or m.startswith("armv8l") or m in ("arm", "armv7", "armhf"):
        return "armv7"
    return "generic"


def isa_of(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    if "-" not in stem:
        return None
    token = stem.rsplit("-", 1)[1]
    return token if token in ALL_ISA_TOKENS else None


def c_sources(root=HERE):
    """All C files of the package, relative to root, sorted."""
    files = glob.glob(os.path.join(root, "csrc", "**", "*.c"), recursive=True)
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in files)


def plan(arch, root=HERE, available_isas=None):
    """Return (sources, defines): [(path, extra_flags)], [macro names].

    Files of ISAs foreign to `arch` are left out; `available_isas` (a set of
    tokens the compiler accepted, or None for all) lets setup.py drop an ISA
    an old compiler cannot build instead of failing the whole install.
    """
    flags = ISA_FLAGS[arch]
    isas = set(flags) if available_isas is None else set(flags) & set(available_isas)
    out = []
    for src in c_sources(root):
        isa = isa_of(src)
        if isa is None or isa == "scalar":
            out.append((src, []))
        elif isa in isas:
            out.append((src, list(flags[isa])))
    defines = ["QK_BUILD_%s" % isa.upper() for isa in sorted(isas)]
    return out, defines


PROBE = {
    "sse2": "#include <emmintrin.h>\nint f(void){__m128i a=_mm_set1_epi32(1);return _mm_cvtsi128_si32(_mm_add_epi32(a,a));}\n",
    "ssse3": "#include <tmmintrin.h>\nint f(void){__m128i a=_mm_set1_epi32(-1);return _mm_cvtsi128_si32(_mm_abs_epi32(a));}\n",
    "sse41": "#include <smmintrin.h>\nint f(void){__m128i a=_mm_set1_epi32(1);return _mm_cvtsi128_si32(_mm_mullo_epi32(a,a));}\n",
    "avx2": "#include <immintrin.h>\nint f(void){__m256i a=_mm256_set1_epi32(1);__m256 b=_mm256_fmadd_ps(_mm256_set1_ps(1.f),_mm256_set1_ps(1.f),_mm256_set1_ps(1.f));return _mm256_extract_epi32(_mm256_add_epi32(a,a),0)+(int)_mm256_cvtss_f32(b);}\n",
    "avx512vnni": "#include <immintrin.h>\nint f(int*p){__m512i a=_mm512_dpbusd_epi32(_mm512_set1_epi32(1),_mm512_set1_epi32(2),_mm512_set1_epi32(3));__m128i b=_mm_maskz_loadu_epi8((__mmask16)3,p);return _mm512_reduce_add_epi32(a)+_mm_cvtsi128_si32(b);}\n",
    "neon": "#include <arm_neon.h>\nint f(void){int32x4_t a=vdupq_n_s32(1);return vgetq_lane_s32(vaddq_s32(a,a),0);}\n",
    "neondot": "#include <arm_neon.h>\nint f(void){int32x4_t a=vdupq_n_s32(1);int8x16_t b=vdupq_n_s8(1);return vgetq_lane_s32(vdotq_s32(a,b,b),0);}\n",
    "neoni8mm": "#include <arm_neon.h>\nint f(void){int32x4_t a=vdupq_n_s32(1);int8x16_t b=vdupq_n_s8(1);return vgetq_lane_s32(vmmlaq_s32(a,b,b),0);}\n",
}
