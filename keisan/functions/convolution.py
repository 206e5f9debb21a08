"""2-D convolution as one GEMM over im2col windows."""
from keisan.core.function import Function
from keisan.kernels import accumulate_windows, conv_output_size, pair, windows


def check_conv_args(where, x, w, stride, pad):
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError('%s: x must be (N, C, H, W) and W (out_channels, in_channels, kh, '
                         'kw), got shapes %s and %s' % (where, x.shape, w.shape))
    if x.shape[1] != w.shape[1]:
        raise ValueError('%s: x of shape %s has %d channels but W of shape %s expects %d'
                         % (where, x.shape, x.shape[1], w.shape, w.shape[1]))
    try:
        (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    except (TypeError, ValueError):
        raise ValueError('%s: stride and pad must be ints or (height, width) pairs, got '
                         'stride=%r pad=%r' % (where, stride, pad)) from None
    if min(s_y, s_x) < 1 or min(p_y, p_x) < 0:
        raise ValueError('%s: stride must be >= 1 and pad >= 0, got stride=%r pad=%r'
                         % (where, stride, pad))
    oh = conv_output_size(x.shape[2], w.shape[2], s_y, p_y)
    ow = conv_output_size(x.shape[3], w.shape[3], s_x, p_x)
    if oh < 1 or ow < 1:
        raise ValueError('%s: a %dx%d filter (W of shape %s) does not fit x of shape %s with '
                         'pad=%r' % (where, w.shape[2], w.shape[3], w.shape, x.shape, pad))
    return oh, ow


class Convolution2D(Function):
    """y[n, f] = sum_c W[f, c] * x[n, c] (cross-correlation) + b[f], with stride and pad.

    Shapes: x (N, C, H, W), W (F, C, kh, kw), b (F,) -> y (N, F, OH, OW).
    """
    label = 'convolution_2d'     # name in error messages (not 'convolution2_d')

    def __init__(self, stride=1, pad=0):
        self.stride, self.pad = stride, pad

    def forward(self, x, w, b=None):
        oh, ow = check_conv_args('convolution_2d', x, w, self.stride, self.pad)
        n, f = len(x), len(w)
        if b is not None and b.shape != (f,):
            raise ValueError('convolution_2d: b of shape %s does not match W of shape %s '
                             '(expected (%d,))' % (b.shape, w.shape, f))
        # Rows (N, OH, OW), columns (C, kh, kw): one copy of the strided window view.
        self.col = windows(x, w.shape[2], w.shape[3], self.stride, self.pad) \
            .transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)
        self.w_mat = w.reshape(f, -1)
        self.x_shape, self.w_shape, self.has_bias = x.shape, w.shape, b is not None
        y = self.col @ self.w_mat.T
        if b is not None:
            y += b
        return y.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)

    def backward(self, gy):
        n, f, oh, ow = gy.shape
        gy_mat = gy.transpose(0, 2, 3, 1).reshape(-1, f)
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[1]:
            gw = (gy_mat.T @ self.col).reshape(self.w_shape)
        if self.has_bias and need[2]:
            gb = gy_mat.sum(axis=0)
        if need[0]:
            _, c, kh, kw = self.w_shape
            gcol = (gy_mat @ self.w_mat).reshape(n, oh, ow, c, kh, kw)
            gx = accumulate_windows(gcol.transpose(0, 3, 4, 5, 1, 2), self.x_shape,
                                    self.stride, self.pad)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def convolution_2d(x, W, b=None, stride=1, pad=0):
    """2-D convolution (cross-correlation, as in the book and every framework).

    Args:
        x: (N, C, H, W) input.
        W: (out_channels, C, kh, kw) filters.
        b: optional (out_channels,) bias.
        stride, pad: ints or (height, width) pairs.
    Returns:
        (N, out_channels, OH, OW) with OH = (H + 2*pad - kh) // stride + 1.
    """
    fn = Convolution2D(stride, pad)
    return fn(x, W) if b is None else fn(x, W, b)
