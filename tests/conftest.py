"""Shared test helpers.

Under QEMU (tests/qemu/run.sh sets QKERNELS_UNDER_QEMU=1) everything runs
~20-50x slower, so sweeps shrink by `scaled()`; natively they run in full.
"""
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
    # Stable per test, different across tests.
    seed = abs(hash(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
