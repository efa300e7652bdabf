"""Shared test helpers.

Under QEMU (tests/qemu/run.sh sets QKERNELS_UNDER_QEMU=1) everything runs
~20-50x slower, so sweeps shrink by `scaled()`; natively they run in full.
"""
import zlib
import os

import numpy as np
import pytest

UNDER_QEMU = os.environ.get("QKERNELS_UNDER_QEMU") == "1"
QEMU_CPU = os.environ.get("QKERNELS_QEMU_CPU", "")


def scaled(full, qemu):
    """Pick the native or the emulated size of a sweep."""
    return qemu if UNDER_QEMU else full


@pytest.fixture
def rng(request):
    # Stable per test (across runs and processes: not hash(), which Python
    # salts per process), different across tests.
    seed = zlib.crc32(request.node.nodeid.encode())
    return np.random.default_rng(seed)
