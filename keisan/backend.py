"""Array backends: NumPy always, CuPy when it is installed and asked for.

Every kernel in keisan is written once against an array module ``xp`` obtained
with :func:`get_array_module`, so the same code runs on NumPy and CuPy arrays.
CuPy is imported lazily: a CPU-only machine never pays for it.
"""
import numpy as np

_cupy = None          # the cupy module once imported, False if unavailable
_cupy_error = None    # why cupy is unavailable


def _import_cupy():
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as e:  # ImportError, CUDA driver errors, no device
            _cupy, _cupy_error = False, e
    return _cupy or None


def cupy_available():
    """True when CuPy imports and a CUDA device answers."""
    return _import_cupy() is not None


def is_cupy_array(a):
    """True for a ``cupy.ndarray`` (checked without importing CuPy)."""
    return type(a).__module__.startswith('cupy')


def get_array_module(*arrays):
    """Return ``cupy`` if any argument is a CuPy array (or a Variable on it), else ``numpy``."""
    for a in arrays:
        if isinstance(a, np.ndarray):
            continue
        if is_cupy_array(a) or is_cupy_array(getattr(a, 'data', None)):
            return _import_cupy()
    return np


def device_name(a):
    """'cpu' or 'gpu:N' for an array, used in error messages."""
    if is_cupy_array(a):
        return 'gpu:%d' % a.device.id
    return 'cpu'


def is_array(a):
    """True for a NumPy or CuPy ndarray."""
    return isinstance(a, np.ndarray) or is_cupy_array(a)


def scatter_add(target, index, values):
    """``target[index] += values`` that sums repeated indices (np.add.at / cupyx.scatter_add)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)


def as_float(x):
    """``x`` if it has a float (or complex) dtype, else ``x`` as float64, as NumPy's own
    ``np.exp(int_array)`` would compute it. Explicit, because NumPy 1.x turns e.g.
    ``int8 * 0.5`` into float16, and in-place float steps cannot write into int arrays."""
    if x.dtype.kind in 'fc':
        return x
    return x.astype(get_array_module(x).float64)


def to_numpy(a):
    """The array as a NumPy array (copied from the GPU if it lives there)."""
    return a if isinstance(a, np.ndarray) else a.get()
