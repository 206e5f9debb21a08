"""Max and average pooling over kh x kw windows.

For higher-order gradients each pooling's backward is also a Function, linear in gy:
max pooling routes gy to the window maxima found in forward (``MaxPooling2DGrad``),
whose gradient gathers from those positions (``MaxPooling2DGather``) and back;
average pooling spreads gy over the windows (``AveragePooling2DGrad``), whose gradient
is average pooling again.
"""
import numpy as np

from keisan.cuda import get_array_module
from keisan.core.function import Function
from keisan.kernels import accumulate_windows, conv_output_size, pair, windows


def _lowest(dtype):
    """Padding that never wins a max: -inf, or the minimum of an integer dtype (an
    integer array cannot hold -inf)."""
    if dtype.kind in 'iu':
        return np.iinfo(dtype).min
    return False if dtype.kind == 'b' else -np.inf


class _Pooling2D(Function):
    """ksize, stride and pad are ints or (height, width) pairs; stride defaults to ksize."""

    def __init__(self, ksize, stride=None, pad=0):
        try:
            self.kh, self.kw = pair(ksize)
            self.stride = (self.kh, self.kw) if stride is None else pair(stride)
            self.pad = pair(pad)
        except (TypeError, ValueError):
            raise ValueError('%s: ksize, stride and pad must be ints or (height, width) '
                             'pairs, got ksize=%r stride=%r pad=%r'
                             % (self.label, ksize, stride, pad)) from None
        if min(self.stride) < 1 or min(self.pad) < 0 or self.kh < 1 or self.kw < 1:
            raise ValueError('%s: ksize and stride must be >= 1 and pad >= 0, got ksize=%r '
                             'stride=%r pad=%r' % (self.label, ksize, stride, pad))

    def _windows(self, x, pad_value):
        """Copy of the windows as (N, C, OH, OW, kh*kw)."""
        if x.ndim != 4:
            raise ValueError('%s: x must be (N, C, H, W), got shape %s' % (self.label, x.shape))
        oh = conv_output_size(x.shape[2], self.kh, self.stride[0], self.pad[0])
        ow = conv_output_size(x.shape[3], self.kw, self.stride[1], self.pad[1])
        if oh < 1 or ow < 1:
            raise ValueError('%s: a %dx%d window does not fit x of shape %s with pad=%s'
                             % (self.label, self.kh, self.kw, x.shape, self.pad))
        self.x_shape = x.shape
        view = windows(x, self.kh, self.kw, self.stride, self.pad, pad_value)
        n, c = x.shape[:2]
        return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c, oh, ow, self.kh * self.kw)

    def _tiles(self, x):
        """For non-overlapping windows without padding: a (N, C, OH, kh, OW, kw) *view*
        of x (trailing rows/columns that fit no window are left out), else None."""
        if self.stride != (self.kh, self.kw) or self.pad != (0, 0) or x.ndim != 4:
            return None
        n, c, h, w = x.shape
        oh, ow = h // self.kh, w // self.kw
        if oh < 1 or ow < 1:
            return None
        self.x_shape, self.x = x.shape, x
        return x[:, :, :oh * self.kh, :ow * self.kw].reshape(n, c, oh, self.kh, ow, self.kw)

    def _fold(self, gcols):
        """Adjoint of ``_windows``: (N, C, OH, OW, kh*kw) -> (N, C, H, W)."""
        n, c, oh, ow, _ = gcols.shape
        cols = gcols.reshape(n, c, oh, ow, self.kh, self.kw).transpose(0, 1, 4, 5, 2, 3)
        return accumulate_windows(cols, self.x_shape, self.stride, self.pad)


class MaxPooling2D(_Pooling2D):
    """Max over each window; the gradient goes to the first maximal element.

    Padding never wins the max (``pad_value=None``: the dtype's lowest value), unless
    a ``pad_value`` is given: the book's Pooling layer pads with 0, as its im2col does.
    """
    label = 'max_pooling_2d'     # name in error messages (not 'max_pooling2_d')

    def __init__(self, ksize, stride=None, pad=0, pad_value=None):
        super().__init__(ksize, stride, pad)
        self.pad_value = pad_value
        if pad_value is None and (self.pad[0] >= self.kh or self.pad[1] >= self.kw):
            # The first window would hold only padding and output -inf.
            raise ValueError('max_pooling_2d: pad=%r must be smaller than ksize=%r'
                             % (pad, ksize))

    def forward(self, x):
        xp = get_array_module(x)
        self.tiles = self._tiles(x)
        if self.tiles is not None:
            # Fast path: a running maximum over the kh*kw strided views of the window
            # positions (NumPy's max over two strided axes is ~30x slower).
            t = self.tiles
            y = xp.maximum(t[:, :, :, 0, :, 0], t[:, :, :, 0, :, 1]) if self.kw > 1 \
                else t[:, :, :, 0, :, 0].copy()
            for i in range(self.kh):
                for j in range(2 if i == 0 else 0, self.kw):
                    xp.maximum(y, t[:, :, :, i, :, j], out=y)
            self.y = y
            return y
        cols = self._windows(x, pad_value=_lowest(x.dtype) if self.pad_value is None
                             else self.pad_value)
        self._argmax = cols.argmax(axis=4)
        return xp.take_along_axis(cols, self._argmax[..., None], axis=4)[..., 0]

    @property
    def argmax(self):
        """Index of the max within each window, row-major over (kh, kw): (N, C, OH, OW)."""
        if self.tiles is None:
            return self._argmax
        n, c, oh, _, ow, _ = self.tiles.shape
        return self.tiles.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, -1).argmax(axis=4)

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.tiles is not None:
            return self._backward_tiles(xp, gy)
        k = self.kh * self.kw
        gcols = xp.zeros((gy.size, k), gy.dtype)
        gcols[xp.arange(gy.size), self._argmax.ravel()] = gy.ravel()
        return self._fold(gcols.reshape(gy.shape + (k,)))

    def backward_graph(self, gy):
        return MaxPooling2DGrad(self)(gy)

    def gather(self, x):
        """x (N, C, H, W) read at the maximum of each window of the forward pass: the
        adjoint of ``backward``. -> (N, C, OH, OW)."""
        xp = get_array_module(x)
        cols = self._windows(x, pad_value=0)    # padding is read as 0 where it won
        return xp.take_along_axis(cols, self.argmax[..., None], axis=4)[..., 0]

    def _backward_tiles(self, xp, gy):
        """Route gy to the first maximal element of each window (row-major), like argmax,
        by visiting the kh*kw window positions in order: a few elementwise passes."""
        n, c, oh, kh, ow, kw = self.tiles.shape
        if gy.strides != self.y.strides:
            # gy from an Affine layer is NCHW while x and y follow the convolution's CNHW
            # memory: one copy into y's layout makes the passes below 3x faster.
            aligned = xp.empty_like(self.y)
            aligned[...] = gy
            gy = aligned
        # When the windows tile x exactly, every element of gx is written below: no
        # zero fill. Same memory order as x (NCHW or CNHW).
        tiled = (oh * kh, ow * kw) == tuple(self.x_shape[2:])
        gx = xp.empty_like(self.x) if tiled else xp.zeros_like(self.x)
        g_tiles = gx[:, :, :oh * kh, :ow * kw].reshape(self.tiles.shape)   # a view of gx
        taken = None
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            hit = self.tiles[:, :, :, i, :, j] == self.y
            if taken is None:
                taken = hit
            else:
                xp.greater(hit, taken, out=hit)     # hit and not taken (for bools, a > b)
                if k < kh * kw - 1:
                    taken |= hit
            xp.multiply(gy, hit, out=g_tiles[:, :, :, i, :, j])
        return gx


class AveragePooling2D(_Pooling2D):
    """Mean over each window; padded zeros count in the mean."""
    label = 'average_pooling_2d'

    def forward(self, x):
        tiles = self._tiles(x)
        self.fast = tiles is not None
        if not self.fast:
            y = self._windows(x, pad_value=0).mean(axis=4)
            return y.astype(x.dtype, copy=False) if x.dtype.kind == 'f' else y
        # Sum of the kh*kw strided position views (a reduction over them is slow).
        y = tiles[:, :, :, 0, :, 0].astype(x.dtype if x.dtype.kind == 'f' else np.float64)
        for i in range(self.kh):
            for j in range(1 if i == 0 else 0, self.kw):
                y += tiles[:, :, :, i, :, j]
        y /= self.kh * self.kw
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        k = self.kh * self.kw
        if self.fast:
            gx = xp.zeros(self.x_shape, gy.dtype)
            n, c, oh, ow = gy.shape
            g_tiles = gx[:, :, :oh * self.kh, :ow * self.kw].reshape(
                n, c, oh, self.kh, ow, self.kw)
            g_tiles[...] = (gy / k)[:, :, :, None, :, None]
            return gx
        gcols = xp.broadcast_to((gy / k)[..., None], gy.shape + (k,))
        return self._fold(gcols)

    def backward_graph(self, gy):
        return AveragePooling2DGrad(self)(gy)


class MaxPooling2DGrad(Function):
    """Max pooling's gradient as a Function of gy: gy routed to the maxima that
    ``pool`` (a MaxPooling2D after forward) found. (N, C, OH, OW) -> (N, C, H, W)."""
    label = 'max_pooling_2d_grad'

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gy):
        return self.pool.backward(gy)

    def backward(self, ggx):
        return self.pool.gather(ggx)

    def backward_graph(self, ggx):
        return MaxPooling2DGather(self.pool)(ggx)


class MaxPooling2DGather(Function):
    """x read at the maxima that ``pool`` found in its own input: max pooling with the
    positions fixed, the adjoint of MaxPooling2DGrad. (N, C, H, W) -> (N, C, OH, OW)."""
    label = 'max_pooling_2d_gather'

    def __init__(self, pool):
        self.pool = pool

    def forward(self, x):
        return self.pool.gather(x)

    def backward(self, gy):
        return self.pool.backward(gy)

    def backward_graph(self, gy):
        return MaxPooling2DGrad(self.pool)(gy)


class AveragePooling2DGrad(Function):
    """Average pooling's gradient as a Function of gy (gy / (kh*kw) over each window);
    its own gradient is average pooling. (N, C, OH, OW) -> (N, C, H, W)."""
    label = 'average_pooling_2d_grad'

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gy):
        return self.pool.backward(gy)

    def backward(self, ggx):
        p = self.pool
        return AveragePooling2D((p.kh, p.kw), p.stride, p.pad).forward(ggx)

    def backward_graph(self, ggx):
        p = self.pool
        return average_pooling_2d(ggx, (p.kh, p.kw), p.stride, p.pad)


def max_pooling_2d(x, ksize, stride=None, pad=0):
    """Max pooling. x (N, C, H, W) -> (N, C, OH, OW), OH = (H + 2*pad - k) // stride + 1.

    ``ksize``, ``stride`` and ``pad`` are ints or (height, width) pairs; ``stride``
    defaults to ``ksize``; padding (which must be smaller than ``ksize``) never wins
    the max: it is -inf, or the dtype's minimum for integer x. The dtype is kept.
    """
    return MaxPooling2D(ksize, stride, pad)(x)


def average_pooling_2d(x, ksize, stride=None, pad=0):
    """Average pooling with the same shapes as :func:`max_pooling_2d`."""
    return AveragePooling2D(ksize, stride, pad)(x)
