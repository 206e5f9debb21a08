"""Reusable scratch buffers for large temporaries (im2col columns).

Writing a freshly allocated 45 MB array costs about twice as much as writing a
reused one on CPU (the kernel has to fault in and zero every page).
``kernels.column_blocks`` takes its buffers from here and gives them back when it
is done (or, for columns kept for the backward pass, the Function does when it is
freed), so a training loop reuses the same memory every step. Only NumPy arrays
of at least ``MIN_BYTES`` are pooled; CuPy has its own memory pool.
"""
import weakref

import numpy as np

MIN_BYTES = 1 << 20          # smaller arrays come cheap from malloc
MAX_POOLED_BYTES = 1 << 30   # never keep more than this many idle bytes


class Workspace:
    """A best-fit pool of idle byte blocks; a request may use a block up to 4x its size.

    The pool remembers which blocks it has lent, so giving back an array twice (or
    one it never lent) is ignored instead of letting two users share memory. Not
    thread-safe: keisan takes and gives from one thread.
    """

    def __init__(self):
        self._free = []      # idle 1-D uint8 blocks
        self._idle = 0
        self._lent = {}      # id(block) -> weak reference, for each block handed out

    def take(self, xp, shape, dtype):
        """An *uninitialized* C-contiguous array of ``shape``/``dtype``."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if xp is not np or nbytes < MIN_BYTES:
            return xp.empty(shape, dtype)
        fits = [i for i, b in enumerate(self._free) if nbytes <= b.nbytes <= 4 * nbytes]
        if fits:
            block = self._free.pop(min(fits, key=lambda i: self._free[i].nbytes))
            self._idle -= block.nbytes
        else:
            block = np.empty(nbytes, np.uint8)
        key = id(block)

        def forget(ref, key=key):           # a lent block dropped without give()
            if self._lent.get(key) is ref:
                del self._lent[key]
        self._lent[key] = weakref.ref(block, forget)
        return block[:nbytes].view(dtype).reshape(shape)

    def give(self, array):
        """Return an array obtained from :meth:`take`; it must not be used afterwards."""
        if type(array) is not np.ndarray:
            return
        block = array
        while isinstance(block.base, np.ndarray):
            block = block.base
        ref = self._lent.get(id(block))
        if ref is None or ref() is not block:
            return          # not lent by this pool, or already given back
        del self._lent[id(block)]
        if self._idle + block.nbytes > MAX_POOLED_BYTES:
            self.clear()
        self._free.append(block)
        self._idle += block.nbytes

    def clear(self):
        """Drop every idle buffer."""
        self._free.clear()
        self._idle = 0


workspace = Workspace()
