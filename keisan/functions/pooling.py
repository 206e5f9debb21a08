"""Max and average pooling over kh x kw windows."""
import numpy as np

from keisan.backend import get_array_module
from keisan.core.function import Function
from keisan.kernels import accumulate_windows, conv_output_size, pair, windows


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

    def _fold(self, gcols):
        """Adjoint of ``_windows``: (N, C, OH, OW, kh*kw) -> (N, C, H, W)."""
        n, c, oh, ow, _ = gcols.shape
        cols = gcols.reshape(n, c, oh, ow, self.kh, self.kw).transpose(0, 1, 4, 5, 2, 3)
        return accumulate_windows(cols, self.x_shape, self.stride, self.pad)


class MaxPooling2D(_Pooling2D):
    """Max over each window; the gradient goes to the first maximal element."""
    label = 'max_pooling_2d'     # name in error messages (not 'max_pooling2_d')

    def __init__(self, ksize, stride=None, pad=0):
        super().__init__(ksize, stride, pad)
        if self.pad[0] >= self.kh or self.pad[1] >= self.kw:
            # The first window would hold only padding and output -inf.
            raise ValueError('max_pooling_2d: pad=%r must be smaller than ksize=%r'
                             % (pad, ksize))

    def forward(self, x):
        cols = self._windows(x, pad_value=-np.inf)
        self.argmax = cols.argmax(axis=4)
        xp = get_array_module(x)
        return xp.take_along_axis(cols, self.argmax[..., None], axis=4)[..., 0]

    def backward(self, gy):
        xp = get_array_module(gy)
        k = self.kh * self.kw
        gcols = xp.zeros((gy.size, k), gy.dtype)
        gcols[xp.arange(gy.size), self.argmax.ravel()] = gy.ravel()
        return self._fold(gcols.reshape(gy.shape + (k,)))


class AveragePooling2D(_Pooling2D):
    """Mean over each window; padded zeros count in the mean."""
    label = 'average_pooling_2d'

    def forward(self, x):
        y = self._windows(x, pad_value=0).mean(axis=4)
        return y.astype(x.dtype, copy=False) if x.dtype.kind == 'f' else y

    def backward(self, gy):
        xp = get_array_module(gy)
        k = self.kh * self.kw
        gcols = xp.broadcast_to((gy / k)[..., None], gy.shape + (k,))
        return self._fold(gcols)


def max_pooling_2d(x, ksize, stride=None, pad=0):
    """Max pooling. x (N, C, H, W) -> (N, C, OH, OW), OH = (H + 2*pad - k) // stride + 1.

    ``ksize``, ``stride`` and ``pad`` are ints or (height, width) pairs; ``stride``
    defaults to ``ksize``; padding (which must be smaller than ``ksize``) never wins
    the max.
    """
    return MaxPooling2D(ksize, stride, pad)(x)


def average_pooling_2d(x, ksize, stride=None, pad=0):
    """Average pooling with the same shapes as :func:`max_pooling_2d`."""
    return AveragePooling2D(ksize, stride, pad)(x)
