"""Buckets: many arrays of one fixed layout packed into a few large contiguous buffers.

MPI moves one large message far faster than many small ones (each message pays the
latency of a round trip), so the communicator never sends a parameter or a gradient on
its own: :class:`Buckets` lays out every array of a model, in order, in one buffer per
dtype (split at ``bucket_bytes``), plus a few header slots at the end of the first
buffer for numbers that travel with the data (how many examples each gradient
averages over, which parameters had one). The buffers are made once per layout and
reused at every step::

    buckets = Buckets([('W1', (784, 100), np.float32), ('b1', (100,), np.float32)],
                      header=1)
    buckets.pack([gW1, gb1], scale=50.0)      # 50 * gradient into the buffer
    for buffer in buckets.buffers:
        comm.Allreduce(MPI.IN_PLACE, buffer)   # one message per buffer
    gW1, gb1 = buckets.views                   # (784, 100), (100,): views, no copy

Pure NumPy: nothing here knows MPI.
"""
import numpy as np

__all__ = ['Buckets', 'DEFAULT_BUCKET_BYTES', 'layout_of']

#: Largest buffer: a model up to this size travels as one message per dtype.
DEFAULT_BUCKET_BYTES = 64 * 2 ** 20


def layout_of(named_arrays):
    """``[(name, shape, dtype), ...]`` of ``(name, array)`` pairs: the key of a Buckets."""
    return [(name, tuple(a.shape), np.dtype(a.dtype)) for name, a in named_arrays]


class Buckets:
    """Contiguous buffers holding arrays of a fixed layout, in order.

    Args:
        layout: ``[(name, shape, dtype), ...]`` of the arrays.
        bucket_bytes: a buffer is closed when the next array would take it past
            this size (an array larger than that gets a buffer of its own).
        header: number of extra slots at the end of the first buffer
            (:attr:`header`), in that buffer's dtype, which must then be floating.

    Attributes:
        buffers: the 1-D buffers, arrays of the same dtype in one or more of them.
        views: one view per array of the layout, of its shape, into the buffers.
        header: the header slots, a 1-D view (empty without ``header``).
    """

    def __init__(self, layout, bucket_bytes=DEFAULT_BUCKET_BYTES, header=0):
        self.layout = [(name, tuple(shape), np.dtype(dtype)) for name, shape, dtype in layout]
        sizes, slots = [], []          # elements per buffer; (buffer, start) per array
        open_bucket = {}               # dtype -> index of its buffer being filled
        dtypes = []
        for _, shape, dtype in self.layout:
            n = int(np.prod(shape, dtype=np.int64))
            b = open_bucket.get(dtype)
            if b is None or sizes[b] and (sizes[b] + n) * dtype.itemsize > bucket_bytes:
                b = open_bucket[dtype] = len(sizes)
                sizes.append(0)
                dtypes.append(dtype)
            slots.append((b, sizes[b]))
            sizes[b] += n
        if header and not sizes:
            sizes.append(0)
            dtypes.append(np.dtype(np.float64))
        if header and dtypes[0].kind != 'f':
            raise TypeError('Buckets: the header goes into the first buffer, which is %s; '
                            'it must be floating' % dtypes[0])
        self.data_sizes = list(sizes)
        if header:
            sizes[0] += header
        self.buffers = [np.zeros(n, dtype) for n, dtype in zip(sizes, dtypes)]
        self.views = [self.buffers[b][start:start + int(np.prod(shape, dtype=np.int64))]
                      .reshape(shape) for (b, start), (_, shape, _) in zip(slots, self.layout)]
        self.header = self.buffers[0][self.data_sizes[0]:] if header else np.zeros(0)

    @property
    def nbytes(self):
        """Bytes of all buffers (the size of one exchange)."""
        return sum(b.nbytes for b in self.buffers)

    def pack(self, arrays, scale=None):
        """Copy ``arrays`` (aligned with the layout) into the buffers, times ``scale``.

        A None entry, or a ``scale`` of 0, packs zeros (0 times a NaN would not be 0).
        The header is left as it is.
        """
        for view, array in zip(self.views, arrays):
            if array is None or scale == 0:
                view[...] = 0
            elif scale is None or scale == 1:
                np.copyto(view, array)
            else:
                np.multiply(array, scale, out=view)

    def unpack_into(self, targets):
        """Copy the views into ``targets`` (arrays aligned with the layout), in place."""
        for view, target in zip(self.views, targets):
            target[...] = view

    def divide_data(self, divisor):
        """Divide the packed arrays (not the header) by ``divisor``, in place."""
        for buffer, n in zip(self.buffers, self.data_sizes):
            np.divide(buffer[:n], divisor, out=buffer[:n])
