"""Reusable scratch buffers for large temporaries (im2col columns and their gradients).

Writing a freshly allocated 45 MB array costs about twice as much as writing a
reused one on CPU (the kernel has to fault in and zero every page). Convolution
takes its column buffers from here and gives them back when its Function is
freed, so a training loop reuses the same memory every step. Only NumPy arrays of
at least ``MIN_BYTES`` are pooled; CuPy has its own memory pool.
"""
import numpy as np

MIN_BYTES = 1 << 20          # smaller arrays come cheap from malloc
MAX_POOLED_BYTES = 1 << 30   # never keep more than this many idle bytes


class Workspace:
    def __init__(self):
        self._free = {}      # (nbytes) -> list of 1-D uint8 blocks
        self._idle = 0

    def take(self, xp, shape, dtype):
        """An *uninitialized* array of ``shape``/``dtype`` (from the pool if possible)."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if xp is not np or nbytes < MIN_BYTES:
            return xp.empty(shape, dtype)
        blocks = self._free.get(nbytes)
        if blocks:
            self._idle -= nbytes
            return blocks.pop().view(dtype).reshape(shape)
        return np.empty(shape, dtype)

    def give(self, array):
        """Return an array obtained from :meth:`take`; it must not be used afterwards."""
        if type(array) is not np.ndarray or array.nbytes < MIN_BYTES:
            return
        base = array
        while base.base is not None and isinstance(base.base, np.ndarray):
            base = base.base
        if base.nbytes != array.nbytes or not base.flags.c_contiguous:
            return          # a view of something larger: not ours to recycle
        if self._idle + base.nbytes > MAX_POOLED_BYTES:
            self.clear()
        self._free.setdefault(base.nbytes, []).append(base.reshape(-1).view(np.uint8))
        self._idle += base.nbytes

    def clear(self):
        """Drop every idle buffer."""
        self._free.clear()
        self._idle = 0


workspace = Workspace()
