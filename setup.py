"""Build of the qkernels extension.

The C sources and per-ISA flags come from qk_build.py (shared with the QEMU
cross build).  setuptools has no per-file flags, so build_ext compiles each
ISA-specific file on its own, with its flags, and links the objects in; the
rest of the package is compiled for the plain baseline of the target.
An ISA the compiler cannot build (an old gcc without i8mm, say) is dropped
with a warning, and its kernels are left out of the dispatch table.

Environment:
  QKERNELS_SANITIZE=address,undefined   build with sanitizers (tests only)
  QKERNELS_TARGET_ARCH=aarch64|armv7|x86|generic   override the detected arch
                      (cross builds that set _PYTHON_HOST_PLATFORM need not)
"""
import glob
import os
import sys
import tempfile

import setuptools
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# pyproject.toml uses a PEP 639 license string, which older setuptools reject
# with a long schema error.  With build isolation pip installs a recent one;
# with --no-build-isolation (Termux, distro setuptools) say what to do instead.
if int(setuptools.__version__.split(".")[0]) < 77:
    sys.exit("qkernels needs setuptools>=77 to build, found %s: pip install -U 'setuptools>=77' 'Cython>=3'"
             % setuptools.__version__)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qk_build  # noqa: E402

ARCH = qk_build.target_arch()


def _is_msvc(compiler):
    return getattr(compiler, "compiler_type", "") == "msvc"


def _thread_libs(msvc):
    """-lpthread where pthreads is a library of its own.

    Android's libc (bionic: Termux, cibuildwheel's android builds) has pthreads
    built in and its NDK ships no libpthread, so -lpthread fails to link there.
    """
    if msvc or sys.platform == "android" or hasattr(sys, "getandroidapilevel"):
        return []
    return ["-lpthread"]


class BuildExt(build_ext):
    def _probe(self, isa, flags):
        """Can the compiler build a tiny use of this ISA's intrinsics?"""
        src = qk_build.PROBE.get(isa)
        if src is None:
            return True
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "probe_%s.c" % isa)
            with open(path, "w") as f:
                f.write(src)
            try:
                self.compiler.compile([path], output_dir=tmp, extra_postargs=flags)
                return True
            except Exception:
                return False

    def build_extension(self, ext):
        msvc = _is_msvc(self.compiler)
        available = []
        for isa, flags in qk_build.ISA_FLAGS[ARCH].items():
            if msvc or self._probe(isa, flags):
                available.append(isa)
            else:
                print("qkernels: compiler cannot build %s kernels; they are left out" % isa)
        plan, defines = qk_build.plan(ARCH, available_isas=available)
        base = [] if msvc else list(qk_build.BASE_CFLAGS)
        sanitize = os.environ.get("QKERNELS_SANITIZE", "").strip()
        link_extra = []
        if sanitize and not msvc:
            base += ["-fsanitize=" + sanitize, "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"]
            link_extra += ["-fsanitize=" + sanitize]
        macros = [(d, "1") for d in defines]
        objects = []
        generic = []
        for src, flags in plan:
            if flags and not msvc:
                objects += self.compiler.compile(
                    [src], output_dir=self.build_temp, macros=macros, include_dirs=ext.include_dirs,
                    extra_postargs=base + flags, depends=ext.depends)
            else:
                generic.append(src)
        ext.sources = list(ext.sources) + generic
        ext.define_macros = list(ext.define_macros) + macros
        ext.extra_compile_args = base
        ext.extra_objects = list(ext.extra_objects) + objects
        ext.extra_link_args = list(ext.extra_link_args) + link_extra + _thread_libs(msvc)
        super().build_extension(ext)


def extensions():
    from Cython.Build import cythonize

    ext = Extension(
        "qkernels._ext",
        sources=["src/_ext.pyx"],
        include_dirs=["csrc/include"],
        # Every C file and header: setuptools relinks only when one of these
        # is newer than the module (ISA files are compiled as extra objects).
        depends=sorted(glob.glob("csrc/**/*.h", recursive=True) + qk_build.c_sources()),
    )
    return cythonize([ext], include_path=["src"], compiler_directives={"language_level": "3"})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
