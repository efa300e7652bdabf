"""pytest plugin that run.sh loads in the guest (`-p qemu_plugin`).

It imports qkernels while pytest is still parsing its options, i.e. before
pytest puts the repo root or a test directory at the front of sys.path (a
root conftest.py or tests/__init__.py does that).  From then on every
`import qkernels` gets this cached module: the cross-built package from
PYTHONPATH, not the source tree ./qkernels that has no Arm extension.
"""
import os
import platform

import qkernels
import qkernels._ext

_out = os.environ["PYTHONPATH"].split(os.pathsep)[0]
if not os.path.abspath(qkernels._ext.__file__).startswith(os.path.abspath(_out) + os.sep):
    raise ImportError("qkernels._ext was imported from %s, not from the cross build in %s"
                      % (qkernels._ext.__file__, _out))


def pytest_report_header(config):
    return ["qemu: cpu=%s machine=%s, qkernels._ext from %s"
            % (os.environ.get("QKERNELS_QEMU_CPU"), platform.machine(), qkernels._ext.__file__)]
