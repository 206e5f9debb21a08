"""How many threads NumPy's BLAS runs on, as the BLAS itself decides it at load time.

Kernels whose best layout depends on it (the convolution's column blocks) ask
:func:`blas_threads`: ``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS``,
``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS``, the first one set, else every usable CPU.
"""
import functools
import os

_THREAD_VARS = ('OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS',
                'MKL_NUM_THREADS')


@functools.lru_cache(maxsize=None)
def blas_threads():
    """Number of threads the BLAS uses; read once, as the BLAS reads it once."""
    for name in _THREAD_VARS:
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
