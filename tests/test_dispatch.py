"""CPU detection, the QKERNELS_ISA cap and the kernel table."""
import os
import subprocess
import sys

import pytest

import qkernels as qk
from qkernels import _ext
from conftest import QEMU_CPU, UNDER_QEMU


def test_cpu_info_shape():
    info = qk.cpu_info()
    assert info["arch"] in ("x86_64", "aarch64", "armv7", "generic")
    assert info["features"]["scalar"] is True
    assert set(info["features"]) == set(info["isa_levels"])
    assert info["num_threads"] >= 1
    for family, name in info["kernels"].items():
        assert name is not None and name.startswith(family.split("_")[0] + "_")
        assert name in _ext.variants(family)


def test_selected_respects_cap_and_features():
    cap = qk.cpu_info()["isa_cap"]
    levels = _ext.isa_levels()
    for family in _ext.families():
        for name in _ext.variants(family):
            isa = _ext.variant_info(family, name)[0]
            assert levels.index(isa) <= levels.index(cap)
            assert qk.cpu_info()["features"][isa]
        # the selection is the best usable variant: the first one listed
        assert _ext.selected(family) == _ext.variants(family)[0]


def _run(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                          cwd=os.path.dirname(__file__))


def test_isa_cap_scalar_selects_scalar_everywhere():
    r = _run("import qkernels as qk; print(sorted(set(k.rsplit('__',1)[1] for k in qk.cpu_info()['kernels'].values())))",
             QKERNELS_ISA="scalar")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['scalar']"


def test_unknown_isa_is_an_error_listing_valid_levels():
    r = _run("import qkernels", QKERNELS_ISA="avx9000")
    assert r.returncode != 0
    assert "QKERNELS_ISA=avx9000" in r.stderr
    for level in _ext.isa_levels():
        assert level in r.stderr


def test_info_cli_runs():
    r = subprocess.run([sys.executable, "-m", "qkernels", "info"], capture_output=True, text=True,
                       cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stderr
    assert "kernels:" in r.stdout and qk.cpu_info()["arch"] in r.stdout


EXPECTED = {
    # -cpu model: (arch, neon, dotprod, i8mm)
    "cortex-a53": ("aarch64", True, False, False),
    "cortex-a72": ("aarch64", True, False, False),
    "cortex-a76": ("aarch64", True, True, False),
    "max": ("aarch64", True, True, True),
    "cortex-a7": ("armv7", True, False, False),
    "cortex-a15": ("armv7", True, False, False),
}


@pytest.mark.skipif(not UNDER_QEMU, reason="checks the emulated CPU model; runs in the QEMU stages")
def test_dispatch_sees_the_emulated_cpu():
    arch, neon, dot, i8mm = EXPECTED[QEMU_CPU]
    f = qk.cpu_info()["features"]
    assert qk.cpu_info()["arch"] == arch
    assert (f["neon"], f["neondot"], f["neoni8mm"]) == (neon, dot, i8mm)


def _cpuinfo_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


X86 = qk.cpu_info()["arch"] == "x86_64"
AVX512VNNI_FLAGS = {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni"}


@pytest.mark.skipif(not X86 or _cpuinfo_flags() is None, reason="compares with Linux /proc/cpuinfo on x86")
def test_x86_detection_matches_cpuinfo():
    flags = _cpuinfo_flags()
    f = qk.cpu_info()["features"]
    assert f["avx2"] == ({"avx2", "fma"} <= flags)
    # Linux lists AVX-512 flags only when it also manages the opmask/ZMM state
    assert f["avx512vnni"] == (AVX512VNNI_FLAGS <= flags)
    assert _ext.isa_levels().index("avx512vnni") == _ext.isa_levels().index("avx2") + 1


@pytest.mark.skipif(not X86, reason="x86 ISA levels")
@pytest.mark.parametrize("cap", ["avx2", "avx512vnni"])
def test_x86_cap_avx2_and_avx512vnni(cap):
    code = ("import qkernels as qk; i = qk.cpu_info(); "
            "print(i['isa_cap'], i['features']['avx512vnni'], i['kernels']['qs8_gemm'], i['kernels']['qu8_gemm'])")
    r = _run(code, QKERNELS_ISA=cap)
    assert r.returncode == 0, r.stderr
    got_cap, detected, qs8, qu8 = r.stdout.split()
    assert got_cap == cap
    assert detected == str(qk.cpu_info()["features"]["avx512vnni"])
    vnni = cap == "avx512vnni" and detected == "True"
    for name in (qs8, qu8):
        assert name.endswith("__avx512vnni") == vnni, name
        if not vnni and qk.cpu_info()["features"]["avx2"]:
            assert name.endswith("__avx2"), name
