"""How many threads NumPy's BLAS runs on (asked once, then remembered), and setting it.

Kernels whose best layout depends on it (the convolution's column blocks) call
:func:`blas_threads`. With threadpoolctl installed (optional), its report of the
loaded BLAS is used; otherwise the environment, read by OpenBLAS's rules (NumPy's
wheels ship OpenBLAS): ``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS``,
``OMP_NUM_THREADS``, the first one set, else every usable CPU. Changing the
thread count later in the process (threadpoolctl limits) is not seen: that
only affects speed; :func:`set_blas_threads` is (several processes sharing a
machine, as under mpiexec, each take a part of its CPUs).
"""
import ctypes
import functools
import os

_OPENBLAS_VARS = ('OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS')
_chosen = []        # the count given to set_blas_threads, if any


def usable_cpus():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


def set_blas_threads(n):
    """Make NumPy's BLAS run ``n`` threads from now on; returns ``n``, or None if the
    BLAS offers no way (threadpoolctl when installed, else OpenBLAS's C API found in
    the libraries this process loaded, on Linux)."""
    n = int(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        setter = openblas_function('set_num_threads')
        if setter is None:
            return None
        setter(n)
    else:
        threadpool_limits(limits=n, user_api='blas')
    _chosen[:] = [n]
    blas_threads.cache_clear()
    return n


def openblas_function(name):
    """OpenBLAS's C function ``openblas_<name>`` (e.g. ``'get_num_threads'``) from a library
    this process loaded (NumPy's wheels add a ``scipy_`` prefix and a ``64_`` suffix), or
    None (no OpenBLAS, or not on Linux)."""
    try:
        with open('/proc/self/maps') as f:
            paths = sorted({line.split()[-1] for line in f
                            if 'openblas' in line.lower() and '.so' in line})
    except OSError:
        return None
    for path in paths:
        if not path.startswith('/'):
            continue
        lib = ctypes.CDLL(path)
        for symbol in ('scipy_openblas_%s64_' % name, 'openblas_%s64_' % name,
                       'openblas_%s' % name):
            function = getattr(lib, symbol, None)
            if function is not None:
                return function
    return None


@functools.lru_cache(maxsize=None)
def openblas_corename():
    """The CPU core whose kernels the loaded OpenBLAS runs (e.g. ``'SkylakeX'``; a
    DYNAMIC_ARCH build picks them at load time), or None (no OpenBLAS found)."""
    corename = openblas_function('get_corename')
    if corename is None:
        return None
    corename.restype = ctypes.c_char_p
    return (corename() or b'').decode('ascii', 'replace') or None


@functools.lru_cache(maxsize=None)
def blas_threads():
    """Number of threads the BLAS uses (at the first call, or as set since)."""
    if _chosen:
        return _chosen[0]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        counts = [info['num_threads'] for info in threadpool_info()
                  if info.get('user_api') == 'blas']
        if counts:
            return max(counts)
    for name in _OPENBLAS_VARS:
        try:
            value = int(os.environ.get(name, ''))
        except ValueError:
            continue
        if value > 0:
            return value
    return usable_cpus()
