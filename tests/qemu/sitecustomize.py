"""Imported at start-up by every guest python that run.sh starts (this
directory is on the guest's PYTHONPATH; it shadows Debian's sitecustomize,
which only hooks apport).

Tests start helpers with subprocess.run([sys.executable, ...]).  Under
qemu-user, sys.executable is the Arm binary ROOT/usr/bin/python3, which the
host kernel cannot exec without binfmt_misc.  run.sh writes a host shell
script that runs that python under the same qemu command and passes its path
in QKERNELS_QEMU_PYTHON; pointing sys.executable at it makes such subprocesses
(and multiprocessing's spawn) work unchanged.
"""
import os
import sys

if os.environ.get("QKERNELS_QEMU_PYTHON"):
    sys.executable = os.environ["QKERNELS_QEMU_PYTHON"]
