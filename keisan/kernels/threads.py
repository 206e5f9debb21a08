"""How many threads NumPy's BLAS runs on (asked once, then remembered).

Kernels whose best layout depends on it (the convolution's column blocks) call
:func:`blas_threads`. With threadpoolctl installed (optional), its report of the
loaded BLAS is used; otherwise the environment, read by OpenBLAS's rules (NumPy's
wheels ship OpenBLAS): ``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS``,
``OMP_NUM_THREADS``, the first one set, else every usable CPU. Changing the
thread count later in the process (threadpoolctl limits) is not seen: that
only affects speed.
"""
import functools
import os

_OPENBLAS_VARS = ('OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS')


@functools.lru_cache(maxsize=None)
def blas_threads():
    """Number of threads the BLAS uses (at the first call)."""
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
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1
