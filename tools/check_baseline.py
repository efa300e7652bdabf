#!/usr/bin/env python3
"""Check that no C file of qkernels contains instructions above its ISA level.

    check_baseline.py [--arch x86|aarch64|armv7] [--cc CC] [--objdump OBJDUMP] [-v]

A wheel must run on every core of its architecture (a Pi Zero 2 as well as a
Pi 5, a Core 2 as well as a Zen 4): only the ISA-named files (``*-avx2.c``,
``*-neondot.c`` ...) may use their extension, and only after runtime
detection calls them.  This script compiles every C file of
``qk_build.plan(arch)`` to an object, with the compiler, flags and defines the
package build uses for it (the ISA's flags for ISA files, the plain baseline
for the rest), disassembles it and fails if an object holds an instruction of
an extension above its level:

    x86     baseline, sse2: no SSSE3 / SSE4.1 / SSE4.2 / AVX (VEX, ymm) / AVX-512
            ssse3: no SSE4.1 and up;  sse41: no AVX and up;  avx2: no AVX-512;
            avx512vnni: anything x86 listed here
    aarch64 baseline, neon: no dotprod (sdot/udot), i8mm (smmla/ummla/usmmla/
            usdot/sudot) or SVE;  neondot: no i8mm or SVE;  neoni8mm: no SVE
    armv7   baseline: no NEON at all (q registers, NEON-only or integer-typed
            v-instructions);  neon: no dotprod / i8mm;  neondot: no i8mm

The compiler is the one a setuptools build of this Python would use (asked
from setuptools' own compiler setup when it is installed, else rebuilt from
$CC / sysconfig CC, CFLAGS, CCSHARED), then qk_build.BASE_CFLAGS, the ISA
flags and the QK_BUILD_* defines, as setup.py adds them.  --cc replaces the compiler and drops sysconfig's flags
(e.g. --cc aarch64-linux-gnu-gcc --arch aarch64 on an x86 host);
tools/cross_wheel.py instead runs this script with the target Python's
sysconfig, as it does the wheel build.  The disassembler defaults to
``<triplet>-objdump`` when the compiler has a triplet prefix, else objdump.

Exit status: 0 clean, 1 violations found, 2 the check could not run (no
compiler / objdump, a compile failed).  tests/test_baseline.py runs it.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import qk_build  # noqa: E402

# --------------------------------------------------------------------------
# Instruction classes.  Each is a predicate on (mnemonic, operands), both as
# objdump prints them (lower case); objdump's AT&T syntax for x86.

SSSE3 = {"pabsb", "pabsw", "pabsd", "palignr", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd",
         "phsubsw", "pmaddubsw", "pmulhrsw", "pshufb", "psignb", "psignw", "psignd"}
SSE41 = {"blendpd", "blendps", "blendvpd", "blendvps", "dppd", "dpps", "extractps", "insertps",
         "movntdqa", "mpsadbw", "packusdw", "pblendvb", "pblendw", "pcmpeqq", "pextrb", "pextrd",
         "pextrq", "phminposuw", "pinsrb", "pinsrd", "pinsrq", "pmaxsb", "pmaxsd", "pmaxud", "pmaxuw",
         "pminsb", "pminsd", "pminud", "pminuw", "pmovsxbw", "pmovsxbd", "pmovsxbq", "pmovsxwd",
         "pmovsxwq", "pmovsxdq", "pmovzxbw", "pmovzxbd", "pmovzxbq", "pmovzxwd", "pmovzxwq",
         "pmovzxdq", "pmuldq", "pmulld", "ptest", "roundpd", "roundps", "roundsd", "roundss"}
SSE42 = {"pcmpgtq", "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm", "crc32", "crc32b", "crc32w",
         "crc32l", "crc32q", "popcnt", "popcntw", "popcntl", "popcntq"}
# Legacy (non-VEX) instructions whose name starts with 'v'.
X86_V_LEGACY = {"verr", "verw"}


def _x86_avx(mn, ops):
    # Every VEX-encoded instruction is spelled v... by objdump; ymm registers
    # appear only in AVX code.
    return (mn.startswith("v") and mn not in X86_V_LEGACY) or "%ymm" in ops


def _x86_avx512(mn, ops):
    return "%zmm" in ops or re.search(r"%k[0-7]\b", ops) is not None or "{1to" in ops


ARM64_DOT = {"sdot", "udot"}
ARM64_I8MM = {"smmla", "ummla", "usmmla", "usdot", "sudot"}


def _a64_base(mn):
    return mn.split(".", 1)[0]  # Apple-style 'sdot.4s' -> 'sdot'


def _a64_sve(mn, ops):
    # SVE vectors z0-z31 and predicates p0-p15 (as 'p0/z', 'p1.b' ...).
    return re.search(r"\bz([0-9]|[12][0-9]|3[01])\.[bhsdq]\b", ops) is not None or \
        re.search(r"\bp([0-9]|1[0-5])(/[zm]|\.[bhsd])", ops) is not None


ARMV7_NEON_ONLY = re.compile(
    r"^v(ld[1-4]|st[1-4]|dup|ext|zip|uzp|trn|tbl|tbx|rev(16|32|64)|swp|padd|paddl|padal|pmax|pmin|"
    r"qadd|qsub|qdmulh|qrdmulh|qdmull|qdmlal|qdmlsl|qmovn|qmovun|movl|movn|addl|addw|subl|subw|"
    r"addhn|raddhn|subhn|rsubhn|mull|mlal|mlsl|rshl|rshr|rshrn|shr|shrn|shl|shll|sra|rsra|sri|sli|"
    r"qshl|qshlu|qrshl|qshrn|qshrun|qrshrn|qrshrun|bsl|bit|bif|cnt|clz|cls|and|orr|orn|eor|bic|tst|"
    r"hadd|rhadd|hsub|ceq|cge|cgt|cle|clt|cage|cagt|recpe|rsqrte|recps|rsqrts|max|min|abd|abdl|"
    r"aba|abal|qabs|qneg|mvn)$")
ARMV7_INT_TYPE = re.compile(r"\.(i8|i16|i32|i64|s8|s16|s64|u8|u16|u64|p8|p16)\b")


def _armv7_neon(mn, ops):
    base = mn.split(".", 1)[0]
    if re.search(r"\bq([0-9]|1[0-5])\b", ops):
        return True
    if ARMV7_NEON_ONLY.match(base):
        return True
    # Integer-typed data processing only exists in NEON; VFP's integer types
    # appear in conversions (vcvt.s32.f32) and core<->scalar moves (vmov.32).
    if base.startswith("v") and base not in ("vcvt", "vmov") and ARMV7_INT_TYPE.search(mn):
        return True
    # Single-precision arithmetic on d registers is NEON (VFP uses s regs).
    return ".f32" in mn and base not in ("vcvt", "vmov", "vldr", "vstr") and \
        re.search(r"\bd([0-9]|[12][0-9]|3[01])\b", ops) is not None


CLASSES = {
    "x86": {
        "ssse3": lambda mn, ops: mn in SSSE3,
        "sse4.1": lambda mn, ops: mn in SSE41,
        "sse4.2/popcnt": lambda mn, ops: mn in SSE42,
        "avx": _x86_avx,
        "avx512": _x86_avx512,
    },
    "aarch64": {
        "dotprod": lambda mn, ops: _a64_base(mn) in ARM64_DOT,
        "i8mm": lambda mn, ops: _a64_base(mn) in ARM64_I8MM,
        "sve": _a64_sve,
    },
    "armv7": {
        "neon": _armv7_neon,
        "dotprod": lambda mn, ops: mn.split(".", 1)[0] in ("vsdot", "vudot"),
        "i8mm": lambda mn, ops: mn.split(".", 1)[0] in ("vsmmla", "vummla", "vusmmla", "vusdot", "vsudot"),
    },
    "generic": {},
}

# Which instruction classes a file of a given ISA level must not contain
# (None = baseline file: no ISA token, or '-scalar').
FORBIDDEN = {
    "x86": {
        None: {"ssse3", "sse4.1", "sse4.2/popcnt", "avx", "avx512"},
        "sse2": {"ssse3", "sse4.1", "sse4.2/popcnt", "avx", "avx512"},
        "ssse3": {"sse4.1", "sse4.2/popcnt", "avx", "avx512"},
        "sse41": {"sse4.2/popcnt", "avx", "avx512"},
        "avx2": {"avx512"},
        "avx512vnni": set(),
    },
    "aarch64": {
        None: {"dotprod", "i8mm", "sve"},
        "neon": {"dotprod", "i8mm", "sve"},
        "neondot": {"i8mm", "sve"},
        "neoni8mm": {"sve"},
    },
    "armv7": {
        None: {"neon", "dotprod", "i8mm"},
        "neon": {"dotprod", "i8mm"},
        "neondot": {"i8mm"},
    },
    "generic": {None: set()},
}

X86_PREFIXES = {"lock", "rep", "repz", "repnz", "repe", "repne", "data16", "addr32", "notrack", "bnd",
                "cs", "ds", "es", "ss", "fs", "gs", "xacquire", "xrelease", "rex", "rex.w"}


def parse_objdump(text):
    """Yield (symbol, mnemonic, operands) of each instruction objdump -d printed."""
    symbol = "?"
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            symbol = m.group(1)
            continue
        parts = line.split("\t")
        # GNU objdump: '   4:\tmnemonic\toperands'; llvm-objdump (macOS) pads the
        # address field with spaces before the tab.
        if len(parts) < 2 or not re.match(r"^\s*[0-9a-f]+:\s*$", parts[0]):
            continue
        # With --no-show-raw-insn: addr:, mnemonic (maybe with prefixes), operands.
        insn = " ".join(p.strip() for p in parts[1:] if p.strip())
        words = insn.split()
        while words and words[0].lower() in X86_PREFIXES:
            words = words[1:]
        if not words:
            continue
        yield symbol, words[0].lower(), " ".join(words[1:]).lower()


# --------------------------------------------------------------------------
# The compile command.


def default_compiler():
    """(argv prefix, flags) of the C compiler a setuptools build would use.

    Asks setuptools itself where it is installed (its rules changed over
    time: recent versions let $CFLAGS replace sysconfig's CFLAGS, older ones
    appended it; on macOS $ARCHFLAGS replaces -arch).  Without setuptools
    (e.g. the QEMU guests) the same is rebuilt from sysconfig.
    """
    try:
        import setuptools  # noqa: F401  (makes `distutils` setuptools' own copy)
        from distutils.ccompiler import new_compiler
        from distutils.sysconfig import customize_compiler

        compiler = new_compiler()
        customize_compiler(compiler)
        argv = list(compiler.compiler_so)
        if argv:
            return argv[:1], argv[1:]
    except Exception:  # no setuptools, or a compiler class without compiler_so (MSVC)
        pass
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cflags = os.environ.get("CFLAGS", sysconfig.get_config_var("CFLAGS") or "")
    flags = shlex.split(cflags) + shlex.split(os.environ.get("CPPFLAGS", "")) + \
        shlex.split(sysconfig.get_config_var("CCSHARED") or "")
    if sys.platform == "darwin":
        # python.org builds are universal2 (-arch arm64 -arch x86_64); setuptools
        # replaces those with $ARCHFLAGS, cibuildwheel sets it per target.
        out, skip = [], False
        for f in flags:
            if skip:
                skip = False
            elif f == "-arch":
                skip = True
            else:
                out.append(f)
        flags = out + shlex.split(os.environ.get("ARCHFLAGS") or "-arch " + os.uname().machine)
    return shlex.split(cc), flags


def default_objdump(cc_argv):
    """<triplet>-objdump for a triplet-prefixed gcc (Debian, cross), else objdump."""
    name = os.path.basename(cc_argv[0])
    m = re.match(r"^(.*-)(gcc|cc|clang)(-[0-9.]+)?$", name)
    if m and shutil.which(m.group(1) + "objdump"):
        return m.group(1) + "objdump"
    for cand in ("objdump", "llvm-objdump"):
        if shutil.which(cand):
            return cand
    return None


def compile_and_scan(job):
    src, isa, argv, objdump, classes, forbidden = job
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "o.o")
        res = subprocess.run(argv + ["-c", src if os.path.isabs(src) else os.path.join(REPO, src), "-o", obj],
                             capture_output=True, text=True, cwd=REPO)
        if res.returncode != 0:
            return src, isa, None, "compile failed: $ %s\n%s" % (" ".join(argv), res.stderr[-2000:])
        dis = subprocess.run([objdump, "-d", "--no-show-raw-insn", obj], capture_output=True, text=True)
        if dis.returncode != 0:
            return src, isa, None, "%s failed: %s" % (objdump, dis.stderr[-2000:])
    bad, count = [], 0
    for symbol, mn, ops in parse_objdump(dis.stdout):
        count += 1
        for cls in sorted(forbidden):
            if classes[cls](mn, ops):
                bad.append("%s: %s %s  [%s]" % (symbol, mn, ops, cls))
    return src, isa, (count, bad), None


def toolchain(cc=None, objdump=None):
    """(compiler argv, flags, objdump) or an error string."""
    cc_argv, flags = default_compiler()
    if cc:
        # Another compiler than this Python's (a cross check): its sysconfig
        # flags may not apply; only $CFLAGS is kept.
        cc_argv, flags = shlex.split(cc), shlex.split(os.environ.get("CFLAGS", ""))
    if not shutil.which(cc_argv[0]):
        return "no C compiler: %r not found (set CC or pass --cc)" % cc_argv[0]
    objdump = objdump or default_objdump(cc_argv)
    if not objdump or not shutil.which(objdump):
        return "no objdump found (install binutils, or pass --objdump)"
    return cc_argv, flags, objdump


def scan_file(path, arch, level, isa_flags, cc=None, objdump=None):
    """Compile one C file (absolute path) with isa_flags, check it as an object
    of ISA `level` (None = baseline).  Returns (instruction count, violations)."""
    tc = toolchain(cc, objdump)
    if isinstance(tc, str):
        raise RuntimeError(tc)
    cc_argv, flags, objdump = tc
    argv = cc_argv + flags + list(qk_build.BASE_CFLAGS) + list(isa_flags)
    _, _, result, err = compile_and_scan((path, level, argv, objdump, CLASSES[arch], FORBIDDEN[arch][level]))
    if err:
        raise RuntimeError(err)
    return result


def run(arch=None, cc=None, objdump=None, jobs=2, verbose=False):
    """Check every file of the plan; returns (exit status, report text)."""
    arch = arch or qk_build.target_arch()
    tc = toolchain(cc, objdump)
    if isinstance(tc, str):
        return 2, tc
    cc_argv, flags, objdump = tc
    sources, defines = qk_build.plan(arch, root=REPO)
    common = cc_argv + flags + list(qk_build.BASE_CFLAGS) + ["-D%s=1" % d for d in defines] + \
        ["-I", os.path.join(REPO, "csrc", "include")]
    classes, forbidden_by_isa = CLASSES[arch], FORBIDDEN[arch]
    work = []
    for src, extra in sources:
        isa = qk_build.isa_of(src)
        isa = None if isa == "scalar" else isa
        work.append((src, isa, common + list(extra), objdump, classes, forbidden_by_isa.get(isa, set())))
    lines = ["check_baseline: arch=%s cc=%s objdump=%s, %d files" % (arch, " ".join(cc_argv), objdump, len(work))]
    status = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for src, isa, result, err in pool.map(compile_and_scan, work):
            level = isa or "baseline"
            if err:
                lines.append("ERROR %s (%s): %s" % (src, level, err))
                status = max(status, 2)
                continue
            count, bad = result
            if bad:
                status = max(status, 1)
                lines.append("FAIL  %s (%s): %d instruction(s) above its level:" % (src, level, len(bad)))
                lines += ["        " + b for b in bad[:20]]
                if len(bad) > 20:
                    lines.append("        ... and %d more" % (len(bad) - 20))
            elif verbose:
                lines.append("ok    %s (%s): %d instructions" % (src, level, count))
    lines.append("check_baseline: %s" % {0: "clean", 1: "VIOLATIONS", 2: "could not check"}[status])
    return status, "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(qk_build.ISA_FLAGS), help="default: qk_build.target_arch()")
    ap.add_argument("--cc", help="compiler command (default: $CC or sysconfig CC, with sysconfig CFLAGS)")
    ap.add_argument("--objdump", help="disassembler (default: <triplet>-objdump or objdump)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true", help="list clean files too")
    args = ap.parse_args()
    status, report = run(args.arch, args.cc, args.objdump, args.jobs, args.verbose)
    print(report)
    sys.exit(status)


if __name__ == "__main__":
    main()
