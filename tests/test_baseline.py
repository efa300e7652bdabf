"""No C file holds instructions above its ISA level (tools/check_baseline.py).

Every file of qk_build.plan() for the architecture of the qkernels being
tested is compiled with the compiler a setuptools build of this Python uses
(its sysconfig CC and CFLAGS: natively the system compiler; in the QEMU
guests Debian's `aarch64-linux-gnu-gcc` / `arm-linux-gnueabihf-gcc`, which
run on the host), disassembled, and checked: no AVX in x86 baseline code, no
dotprod / i8mm outside the neondot / neoni8mm files, no NEON in armv7
baseline code.  The second test proves the detector is not vacuous: code that
does use each extension is caught.
"""
import os
import sys

import pytest

from qkernels import _ext

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tools")
sys.path.insert(0, TOOLS)
import check_baseline  # noqa: E402
import qk_build  # noqa: E402  (check_baseline put the repo root on sys.path)

ARCH = qk_build.target_arch(_ext.arch())

# Code that uses each extension, for the detector test: (ISA token, source,
# instruction class the baseline check must report).  Arguments come from
# memory so nothing can be constant-folded away.
SNIPPETS = {
    "x86": [
        ("ssse3", "#include <tmmintrin.h>\nvoid f(void*o,const void*a,const void*b){_mm_storeu_si128(o,"
                  "_mm_shuffle_epi8(_mm_loadu_si128(a),_mm_loadu_si128(b)));}\n", "ssse3"),
        ("sse41", "#include <smmintrin.h>\nvoid f(void*o,const void*a,const void*b){_mm_storeu_si128(o,"
                  "_mm_mullo_epi32(_mm_loadu_si128(a),_mm_loadu_si128(b)));}\n", "sse4.1"),
        ("avx2", "#include <immintrin.h>\nvoid f(void*o,const void*a,const void*b){_mm256_storeu_si256(o,"
                 "_mm256_add_epi32(_mm256_loadu_si256(a),_mm256_loadu_si256(b)));}\n", "avx"),
        ("avx512vnni", "#include <immintrin.h>\nvoid f(void*o,const void*a,const void*b){_mm512_storeu_si512(o,"
                       "_mm512_dpbusd_epi32(_mm512_loadu_si512(o),_mm512_loadu_si512(a),_mm512_loadu_si512(b)));}\n",
         "avx512"),
    ],
    "aarch64": [
        ("neondot", "#include <arm_neon.h>\nvoid f(int32_t*o,const int8_t*a,const int8_t*b){vst1q_s32(o,"
                    "vdotq_s32(vld1q_s32(o),vld1q_s8(a),vld1q_s8(b)));}\n", "dotprod"),
        ("neoni8mm", "#include <arm_neon.h>\nvoid f(int32_t*o,const int8_t*a,const int8_t*b){vst1q_s32(o,"
                     "vmmlaq_s32(vld1q_s32(o),vld1q_s8(a),vld1q_s8(b)));}\n", "i8mm"),
    ],
    "armv7": [
        ("neon", "#include <arm_neon.h>\nvoid f(int32_t*o,const int32_t*a,const int32_t*b){vst1q_s32(o,"
                 "vaddq_s32(vld1q_s32(a),vld1q_s32(b)));}\n", "neon"),
        ("neondot", "#include <arm_neon.h>\nvoid f(int32_t*o,const int8_t*a,const int8_t*b){vst1q_s32(o,"
                    "vdotq_s32(vld1q_s32(o),vld1q_s8(a),vld1q_s8(b)));}\n", "dotprod"),
    ],
}


def _toolchain_or_skip():
    tc = check_baseline.toolchain()
    if isinstance(tc, str):
        # A wheel installed where there is no compiler (a Pi without gcc): the
        # check is about how the package's C files compile, so it needs one.
        pytest.skip("baseline check needs the C toolchain the package builds with: " + tc)
    return tc


@pytest.mark.skipif(ARCH == "generic", reason="no SIMD extensions on this architecture")
def test_no_instructions_above_isa_level():
    _toolchain_or_skip()
    status, report = check_baseline.run(ARCH)
    print(report)
    assert status == 0, report


@pytest.mark.skipif(ARCH == "generic", reason="no SIMD extensions on this architecture")
@pytest.mark.parametrize("isa,code,cls", SNIPPETS.get(ARCH, []), ids=[s[0] for s in SNIPPETS.get(ARCH, [])])
def test_detector_catches_extension_code(tmp_path, isa, code, cls):
    _toolchain_or_skip()
    src = tmp_path / ("probe-%s.c" % isa)
    src.write_text(code)
    flags = qk_build.ISA_FLAGS[ARCH][isa]
    # As its own ISA level the code is legal...
    count, bad = check_baseline.scan_file(str(src), ARCH, isa, flags)
    assert count > 0 and bad == [], bad
    # ...as baseline code (a file without ISA token) it must be reported.
    count, bad = check_baseline.scan_file(str(src), ARCH, None, flags)
    assert any(b.endswith("[%s]" % cls) for b in bad), (count, bad)
