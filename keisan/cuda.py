"""GPU support through CuPy: availability, array module lookup and transfers.

Nothing here imports CuPy until it is used, so a CPU-only machine never pays for it.
"""
import numpy as np

from keisan import backend
from keisan.backend import get_array_module

__all__ = ['available', 'get_array_module', 'to_cpu', 'to_gpu']


def __getattr__(name):
    if name == 'available':         # evaluated lazily: importing keisan stays cheap
        return backend.cupy_available()
    raise AttributeError(name)


def to_gpu(array, device=None):
    """Copy a NumPy array to a CUDA device (CuPy arrays pass through, moved if needed).

    Args:
        array: ndarray or None.
        device: device id (int) or None for the current device.
    """
    if array is None:
        return None
    cupy = backend._import_cupy()
    if cupy is None:
        raise RuntimeError('to_gpu: CuPy with a CUDA device is not available (%s); '
                           "install it with pip install 'keisan[gpu]'" % backend._cupy_error)
    with cupy.cuda.Device(device):
        return cupy.asarray(array)


def to_cpu(array):
    """Copy a CuPy array to host memory as a NumPy array (NumPy arrays pass through)."""
    if array is None or isinstance(array, np.ndarray):
        return array
    if backend.is_cupy_array(array):
        return backend.to_numpy(array)
    raise TypeError('to_cpu: expected a NumPy or CuPy array, got %s' % type(array).__name__)
