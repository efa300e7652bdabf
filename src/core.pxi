# Dispatch, CPU information and the thread pool.
from libc.stdint cimport int8_t, uint8_t, int16_t, int32_t, uint32_t, int64_t, uint64_t

cdef extern from "qkernels/dispatch.h":
    ctypedef struct qk_ukernel:
        const char* name
        int isa
        const void* fn
        uint32_t mr, nr, kr, sr, pack
    ctypedef struct qk_family:
        const char* name
        const qk_ukernel* variants
        size_t count
    const qk_family* qk_families[]
    enum: QK_ISA_COUNT
    int qk_init() nogil
    const char* qk_init_error()
    const char* qk_arch_name()
    const char* qk_isa_name(int isa)
    int qk_isa_detected(int isa)
    int qk_isa_usable(int isa)
    int qk_isa_cap()
    const char* qk_isa_levels()
    const qk_ukernel* qk_select(const qk_family* family)
    const qk_ukernel* qk_find(const qk_family* family, const char* name)
    const qk_family* qk_family_by_name(const char* name)

cdef extern from "qkernels/threadpool.h":
    enum: QK_MAX_THREADS
    size_t qk_available_cpus()
    size_t qk_get_num_threads()
    void qk_set_num_threads(size_t n)
    size_t qk_pool_workers()

MAX_THREADS = QK_MAX_THREADS


def init():
    """Detect the CPU once; raise ValueError for a bad QKERNELS_ISA."""
    if qk_init() != 0:
        raise ValueError(qk_init_error().decode())


def arch():
    return qk_arch_name().decode()


def isa_levels():
    """The ISA levels of this architecture, lowest first."""
    return qk_isa_levels().decode().split()


def isa_cap():
    return qk_isa_name(qk_isa_cap()).decode()


def features():
    """{level: detected} for every level of this architecture."""
    out = {}
    for i in range(QK_ISA_COUNT):
        name = qk_isa_name(i).decode()
        if name in isa_levels():
            out[name] = bool(qk_isa_detected(i))
    return out


def families():
    names = []
    cdef size_t i = 0
    while qk_families[i] != NULL:
        names.append(qk_families[i].name.decode())
        i += 1
    return names


cdef const qk_family* _family(str name) except NULL:
    cdef const qk_family* f = qk_family_by_name(name.encode())
    if f == NULL:
        raise ValueError(f"unknown kernel family {name!r}; known: {', '.join(families())}")
    return f


def selected(str family):
    """Name of the variant operators use for `family` (None if none runs here)."""
    cdef const qk_ukernel* k = qk_select(_family(family))
    return None if k == NULL else k.name.decode()


def variants(str family, bint usable_only=True):
    """Variant names of `family`, best first; by default only those that run here."""
    cdef const qk_family* f = _family(family)
    out = []
    for i in range(f.count):
        if not usable_only or qk_isa_usable(f.variants[i].isa):
            out.append(f.variants[i].name.decode())
    return out


def variant_info(str family, str name):
    """(isa, mr, nr, kr, sr) of one usable variant."""
    cdef const qk_ukernel* k = _ukernel(family, name)
    return (qk_isa_name(k.isa).decode(), k.mr, k.nr, k.kr, k.sr)


cdef const qk_ukernel* _ukernel(str family, name) except NULL:
    """The named variant, or the selected one when name is None."""
    cdef const qk_family* f = _family(family)
    cdef const qk_ukernel* k
    if name is None:
        k = qk_select(f)
    else:
        k = qk_find(f, (<str?>name).encode())
    if k == NULL:
        raise ValueError(f"kernel {name!r} of {family} does not run on this CPU/ISA cap; "
                         f"available: {', '.join(variants(family))}")
    return k


def available_cpus():
    return qk_available_cpus()


def get_num_threads():
    return qk_get_num_threads()


def set_num_threads(size_t n):
    qk_set_num_threads(n)


def pool_workers():
    return qk_pool_workers()
