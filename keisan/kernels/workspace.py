"""Reusable scratch buffers for large temporaries (im2col columns).

Writing a freshly allocated 45 MB array costs about twice as much as writing a
reused one on CPU (the kernel has to fault in and zero every page).
``kernels.column_blocks`` takes its buffers from here and gives them back when it
is done (or, for columns kept for the backward pass, the Function does when it is
freed), so a training loop reuses the same memory every step. Only NumPy arrays
of at least ``MIN_BYTES`` are pooled; CuPy has its own memory pool.
"""
import numpy as np

MIN_BYTES = 1 << 20          # smaller arrays come cheap from malloc
MAX_POOLED_BYTES = 1 << 30   # never keep more than this many idle bytes


class Workspace:
    """A best-fit pool of idle byte blocks; a request may use a block up to 4x its size."""

    def __init__(self):
        self._free = []      # idle 1-D uint8 blocks
        self._idle = 0

    def take(self, xp, shape, dtype):
        """An *uninitialized* C-contiguous array of ``shape``/``dtype``."""
        dtype = np.dtype(dtype)
        count = int(np.prod(shape))
        nbytes = count * dtype.itemsize
        if xp is not np or nbytes < MIN_BYTES:
            return xp.empty(shape, dtype)
        fits = [i for i, b in enumerate(self._free) if nbytes <= b.nbytes <= 4 * nbytes]
        if not fits:
            return np.empty(shape, dtype)
        block = self._free.pop(min(fits, key=lambda i: self._free[i].nbytes))
        self._idle -= block.nbytes
        return block[:nbytes].view(dtype).reshape(shape)

    def give(self, array):
        """Return an array obtained from :meth:`take`; it must not be used afterwards."""
        if type(array) is not np.ndarray or array.nbytes < MIN_BYTES:
            return
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        if not root.flags.c_contiguous or not root.flags.writeable:
            return
        if any(b is root or (b.base is root) for b in self._free):
            return          # already idle
        if self._idle + root.nbytes > MAX_POOLED_BYTES:
            self.clear()
        self._free.append(root.reshape(-1).view(np.uint8))
        self._idle += root.nbytes

    def clear(self):
        """Drop every idle buffer."""
        self._free.clear()
        self._idle = 0


workspace = Workspace()
