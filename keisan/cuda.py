"""Arrays on the CPU (NumPy) and on NVIDIA GPUs (CuPy): which module an array belongs to,
and moving arrays between host and device.

Every kernel in keisan is written once against an array module ``xp`` obtained with
:func:`get_array_module`, so the same code runs on NumPy and CuPy arrays. CuPy is
imported on first use only: a CPU-only machine never pays for it.

    from keisan import cuda
    if cuda.is_available():
        x = cuda.to_gpu(x)
"""
import numpy as np

__all__ = ['device_name', 'get_array_module', 'get_cupy', 'is_array',
           'is_available', 'is_cupy_array', 'scatter_add', 'to_cpu', 'to_gpu']

_cupy = None          # the cupy module once imported, False if unavailable
_cupy_error = None    # why it is unavailable


def _load_cupy():
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as e:  # ImportError, CUDA driver errors, no device
            _cupy, _cupy_error = False, e
    return _cupy or None


def is_available():
    """True when CuPy imports and a CUDA device answers."""
    return _load_cupy() is not None


def get_cupy(where='keisan'):
    """The ``cupy`` module; RuntimeError naming ``where`` and the reason if it is unusable."""
    cupy = _load_cupy()
    if cupy is None:
        raise RuntimeError("%s: CuPy with a CUDA device is not available (%s); install it "
                           "with pip install 'keisan[gpu]'" % (where, _cupy_error))
    return cupy


def is_cupy_array(a):
    """True for a ``cupy.ndarray`` (checked without importing CuPy)."""
    return type(a).__module__.startswith('cupy')


def is_array(a):
    """True for a NumPy or CuPy ndarray."""
    return isinstance(a, np.ndarray) or is_cupy_array(a)


def get_array_module(*arrays):
    """Return ``cupy`` if any argument is a CuPy array (or a Variable on it), else ``numpy``."""
    for a in arrays:
        if isinstance(a, np.ndarray):
            continue
        if is_cupy_array(a) or is_cupy_array(getattr(a, 'data', None)):
            return _load_cupy()
    return np


def device_name(a):
    """'cpu' or 'gpu:N' for an array, used in error messages."""
    if is_cupy_array(a):
        return 'gpu:%d' % a.device.id
    return 'cpu'


def to_gpu(array, device=None):
    """Copy a NumPy array to a CUDA device (CuPy arrays pass through, moved if needed).

    Args:
        array: ndarray or None.
        device: device id (int) or None for the current device.
    """
    if array is None:
        return None
    cupy = get_cupy('to_gpu')
    with cupy.cuda.Device(device):
        return cupy.asarray(array)


def to_cpu(array):
    """Copy a CuPy array to host memory as a NumPy array (NumPy arrays and None pass through)."""
    if array is None or isinstance(array, np.ndarray):
        return array
    if is_cupy_array(array):
        return array.get()
    raise TypeError('to_cpu: expected a NumPy or CuPy array, got %s' % type(array).__name__)


def scatter_add(target, index, values):
    """``target[index] += values`` that sums repeated indices (np.add.at / cupyx.scatter_add)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)


def __getattr__(name):
    if name == 'available':         # Chainer's ``cuda.available``, evaluated lazily
        return is_available()
    raise AttributeError("module 'keisan.cuda' has no attribute %r" % name)
