"""2-D convolution as GEMMs over im2col windows.

Layout: the columns are channel-major, (C*kh*kw, N*OH*OW), so each pass is one
GEMM per block of images, never one per image (per-image GEMMs are tiny for deep
layers and thread poorly). The columns are made a block of about 2 MB at a time
(``kernels.column_blocks``, with a single-threaded BLAS, for matrices over 8 MB)
and consumed by the GEMM while still in cache; the weight gradient then rebuilds
them from x instead of keeping a 45 MB matrix from forward. Smaller matrices, and
all of them with a multi-threaded BLAS, are made whole and kept for backward.
The output is returned as an NCHW *view* of the (F, N, OH, OW) result; elementwise
layers keep that memory order, so the next convolution reads its windows with
contiguous rows and the gradient arriving in backward is already (F, N*OH*OW)
without a copy. With stride 1 the input gradient is a transposed convolution (a
correlation of gy with the flipped filters) instead of a GEMM followed by col2im.

That input gradient is also ``deconvolution_2d`` (transposed convolution), and the
weight gradient is ``Convolution2DGradW``: with ``convolution_2d`` the three are each
other's gradients, which gives derivatives of any order.
"""
import math

from keisan.cuda import get_array_module
from keisan.core.function import Function
from keisan.kernels import accumulate_windows, column_blocks, conv_output_size, pair
from keisan.kernels.windows import image_blocks
from keisan.kernels.workspace import workspace


def check_conv_args(where, x, w, stride, pad):
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError('%s: x must be (N, C, H, W) and W (out_channels, in_channels, kh, '
                         'kw), got shapes %s and %s' % (where, x.shape, w.shape))
    if x.shape[1] != w.shape[1]:
        raise ValueError('%s: x of shape %s has %d channels but W of shape %s expects %d'
                         % (where, x.shape, x.shape[1], w.shape, w.shape[1]))
    (s_y, s_x), (p_y, p_x) = _stride_and_pad(where, stride, pad)
    oh = conv_output_size(x.shape[2], w.shape[2], s_y, p_y)
    ow = conv_output_size(x.shape[3], w.shape[3], s_x, p_x)
    if oh < 1 or ow < 1:
        raise ValueError('%s: a %dx%d filter (W of shape %s) does not fit x of shape %s with '
                         'pad=%r' % (where, w.shape[2], w.shape[3], w.shape, x.shape, pad))
    return oh, ow


def _stride_and_pad(where, stride, pad):
    try:
        (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    except (TypeError, ValueError):
        raise ValueError('%s: stride and pad must be ints or (height, width) pairs, got '
                         'stride=%r pad=%r' % (where, stride, pad)) from None
    if min(s_y, s_x) < 1 or min(p_y, p_x) < 0:
        raise ValueError('%s: stride must be >= 1 and pad >= 0, got stride=%r pad=%r'
                         % (where, stride, pad))
    return (s_y, s_x), (p_y, p_x)


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
        self.x, self.w_mat, self.w_shape = x, w.reshape(f, -1), w.shape
        self.has_bias = b is not None
        y, self.col = _correlate(x, self.w_mat, w.shape[2:], self.stride, self.pad,
                                 (f, n, oh, ow), keep_whole=True)
        if b is not None:
            y += b[:, None, None, None]
        return y.transpose(1, 0, 2, 3)                                   # NCHW view of CNHW

    def backward(self, gy):
        gy_t = _channel_major(gy)                                       # free if gy is CNHW
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[1]:
            gw = _weight_grad(self.x, gy_t, self.w_shape, self.stride, self.pad, self.col)
        if self.has_bias and need[2]:
            gb = gy_t.sum(axis=1)
        if need[0]:
            gx = _input_grad(gy, gy_t, self.w_mat, self.w_shape, self.x.shape, self.stride,
                             self.pad)
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward_graph(self, gy):
        x, w = self.inputs[:2]
        need, s, p = self.needs_input_grad, self.stride, self.pad
        gx = deconvolution_2d(gy, w, None, s, p, outsize=x.shape[2:]) if need[0] else None
        gw = Convolution2DGradW(w.shape, s, p)(x, gy) if need[1] else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy.sum(axis=(0, 2, 3)) if need[2] else None

    def __del__(self):
        # Columns kept for backward go back to the pool with their Function.
        col = self.__dict__.get('col')
        if col is not None:
            self.col = None
            workspace.give(col)


class Deconvolution2D(Function):
    """Transposed convolution: y is the gradient of ``convolution_2d(·, W)`` with respect
    to its input, given x as the gradient of its output (plus b[f]).

    Shapes: x (N, C, H, W), W (C, F, kh, kw), b (F,) -> y (N, F, OH, OW) with
    OH = stride * (H - 1) + kh - 2 * pad unless ``outsize`` gives (OH, OW).
    """
    label = 'deconvolution_2d'

    def __init__(self, stride=1, pad=0, outsize=None):
        self.stride, self.pad, self.outsize = stride, pad, outsize

    def forward(self, x, w, b=None):
        oh, ow = check_deconv_args(x, w, self.stride, self.pad, self.outsize)
        c, f = w.shape[:2]
        if b is not None and b.shape != (f,):
            raise ValueError('deconvolution_2d: b of shape %s does not match W of shape %s '
                             '(expected (%d,))' % (b.shape, w.shape, f))
        self.x, self.w, self.has_bias = x, w, b is not None
        # W (C, F, kh, kw) is the filter bank of the convolution from y back to x.
        y = _input_grad(x, _channel_major(x), w.reshape(c, -1), w.shape,
                        (len(x), f, oh, ow), self.stride, self.pad)
        if b is not None:
            y += b[:, None, None]
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        n, c, h, w = self.x.shape
        gx = gw = gb = None
        if need[0]:
            gx = _correlate(gy, self.w.reshape(c, -1), self.w.shape[2:], self.stride,
                            self.pad, (c, n, h, w))[0].transpose(1, 0, 2, 3)
        if need[1]:
            gw = _weight_grad(gy, _channel_major(self.x), self.w.shape, self.stride, self.pad)
        if self.has_bias and need[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward_graph(self, gy):
        x, w = self.inputs[:2]
        need, s, p = self.needs_input_grad, self.stride, self.pad
        gx = convolution_2d(gy, w, None, s, p) if need[0] else None
        gw = Convolution2DGradW(w.shape, s, p)(gy, x) if need[1] else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy.sum(axis=(0, 2, 3)) if need[2] else None


class Convolution2DGradW(Function):
    """The weight gradient of ``convolution_2d``, gW = sum_n gy[n] * windows(x[n]), as a
    Function of (x, gy) of shapes (N, C, H, W) and (N, F, OH, OW) -> (F, C, kh, kw).

    Linear in each input: <ggW, gW(x, gy)> = <gy, conv(x, ggW)>, so its gradients are
    ``convolution_2d(x, ggW)`` for gy and the transposed one for x.
    """
    label = 'convolution_2d_grad_w'

    def __init__(self, w_shape, stride=1, pad=0):
        self.w_shape, self.stride, self.pad = tuple(w_shape), stride, pad

    def forward(self, x, gy):
        self.x, self.gy = x, gy
        return _weight_grad(x, _channel_major(gy), self.w_shape, self.stride, self.pad)

    def backward(self, ggw):
        need = self.needs_input_grad
        n, f, oh, ow = self.gy.shape
        ggw_mat = ggw.reshape(f, -1)
        gx = ggy = None
        if need[0]:
            gx = _input_grad(self.gy, _channel_major(self.gy), ggw_mat, ggw.shape,
                             self.x.shape, self.stride, self.pad)
        if need[1]:
            ggy = _correlate(self.x, ggw_mat, ggw.shape[2:], self.stride, self.pad,
                             (f, n, oh, ow))[0].transpose(1, 0, 2, 3)
        return gx, ggy

    def backward_graph(self, ggw):
        x, gy = self.inputs
        need, s, p = self.needs_input_grad, self.stride, self.pad
        return (deconvolution_2d(gy, ggw, None, s, p, outsize=x.shape[2:]) if need[0] else None,
                convolution_2d(x, ggw, None, s, p) if need[1] else None)


def check_deconv_args(x, w, stride, pad, outsize):
    """(OH, OW) of ``deconvolution_2d``; ValueError for shapes that do not fit."""
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError('deconvolution_2d: x must be (N, C, H, W) and W (in_channels, '
                         'out_channels, kh, kw), got shapes %s and %s' % (x.shape, w.shape))
    if x.shape[1] != w.shape[0]:
        raise ValueError('deconvolution_2d: x of shape %s has %d channels but W of shape %s '
                         'expects %d' % (x.shape, x.shape[1], w.shape, w.shape[0]))
    (s_y, s_x), (p_y, p_x) = _stride_and_pad('deconvolution_2d', stride, pad)
    kh, kw = w.shape[2:]
    h, w_ = x.shape[2:]
    oh, ow = (s_y * (h - 1) + kh - 2 * p_y, s_x * (w_ - 1) + kw - 2 * p_x) \
        if outsize is None else pair(outsize)
    # A convolution of the output must give back x's size: outsize may add up to
    # stride - 1 rows and columns that no window reaches.
    if min(oh, ow) < 1 or (conv_output_size(oh, kh, s_y, p_y),
                           conv_output_size(ow, kw, s_x, p_x)) != (h, w_):
        raise ValueError('deconvolution_2d: output size (%d, %d) does not fit x of shape %s '
                         'with a %dx%d filter, stride=%r pad=%r (a convolution of it must '
                         'give (%d, %d))' % (oh, ow, x.shape, kh, kw, stride, pad, h, w_))
    return oh, ow


def _channel_major(y):
    """(N, F, OH, OW) -> (F, N*OH*OW), a free view when y is CNHW in memory."""
    n, f, oh, ow = y.shape
    return y.transpose(1, 0, 2, 3).reshape(f, n * oh * ow)


def _weight_grad(x, gy_t, w_shape, stride, pad, col=None):
    """gW (F, C, kh, kw) of a convolution of x (N, C, H, W) with gy_t = gy as (F, N*OH*OW);
    ``col``: the whole column matrix if forward kept it."""
    xp = get_array_module(x)
    n, per_image = len(x), gy_t.shape[1] // max(len(x), 1)
    # Columns made in blocks are rebuilt block by block rather than kept from
    # forward: cheaper than a round trip through DRAM, and far less memory.
    # (K, F) = col @ gy.T runs ~1.4x faster than (F, K) = gy @ col.T in OpenBLAS.
    blocks = [(0, n, col)] if col is not None else \
        column_blocks(x, w_shape[2], w_shape[3], stride, pad)
    gw_t = xp.zeros((math.prod(w_shape[1:]), w_shape[0]), gy_t.dtype)
    for n0, n1, block in blocks:
        gw_t += block @ gy_t[:, n0 * per_image:n1 * per_image].T
    return xp.ascontiguousarray(gw_t.T).reshape(w_shape)


def _input_grad(gy, gy_t, w_mat, w_shape, x_shape, stride, pad):
    """dx (N, C, H, W) of a convolution with filters ``w_mat`` (F, C*kh*kw) of shape
    ``w_shape`` for gy (N, F, OH, OW), given also as gy_t (F, N*OH*OW)."""
    xp = get_array_module(gy)
    n, f, oh, ow = gy.shape
    _, c, kh, kw = w_shape
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    if (s_y, s_x) == (1, 1) and p_y < kh and p_x < kw:
        # dx = gy (padded by k-1-pad) correlated with the flipped, transposed filters.
        w_t = w_mat.reshape(w_shape)[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        h, w = x_shape[2:]
        gx, _ = _correlate(gy, w_t.reshape(c, -1), (kh, kw), 1,
                           (kh - 1 - p_y, kw - 1 - p_x), (c, n, h, w))
        return gx.transpose(1, 0, 2, 3)
    # General stride: GEMM into columns, then col2im (accumulate_windows), per block.
    gx = xp.empty(x_shape, gy.dtype)
    for n0, n1 in image_blocks(xp, n, w_mat.shape[1] * oh * ow * gy.itemsize):
        gcol = w_mat.T @ gy_t[:, n0 * oh * ow:n1 * oh * ow]
        gx[n0:n1] = accumulate_windows(
            gcol.reshape(c, kh, kw, n1 - n0, oh, ow).transpose(3, 0, 1, 2, 4, 5),
            (n1 - n0, c) + tuple(x_shape[2:]), stride, pad)
    return gx


def _correlate(x, w_mat, kernel, stride, pad, out_shape, keep_whole=False):
    """``(y, col)``: y (F, N, OH, OW) = ``w_mat @ columns(x)``, one GEMM per block of
    images; with ``keep_whole``, col is the column matrix if it was made in one block
    (the caller gives it back to the workspace), else None."""
    xp = get_array_module(x)
    f, n, oh, ow = out_shape
    y = xp.empty((f, n * oh * ow), xp.result_type(x.dtype, w_mat.dtype))   # as w @ col
    for n0, n1, col in column_blocks(x, kernel[0], kernel[1], stride, pad, keep_whole):
        xp.matmul(w_mat, col, out=y[:, n0 * oh * ow:n1 * oh * ow])
    whole = keep_whole and (n0, n1) == (0, n)
    return y.reshape(out_shape), (col if whole else None)


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


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None):
    """2-D transposed convolution: the input gradient of :func:`convolution_2d`.

    ``deconvolution_2d(gy, W, stride=s, pad=p, outsize=x.shape[2:])`` is the gradient of
    ``convolution_2d(x, W, stride=s, pad=p)`` with respect to x, for output gradient gy;
    with stride > 1 it upsamples.

    Args:
        x: (N, C, H, W) input.
        W: (C, out_channels, kh, kw) filters (the layout of the convolution going the
            other way: its (out_channels, in_channels, kh, kw) with C as out_channels).
        b: optional (out_channels,) bias.
        stride, pad: ints or (height, width) pairs.
        outsize: optional (OH, OW); by default the smallest,
            OH = stride * (H - 1) + kh - 2 * pad. Up to stride - 1 more fit too.
    Returns:
        (N, out_channels, OH, OW).
    """
    fn = Deconvolution2D(stride, pad, outsize)
    return fn(x, W) if b is None else fn(x, W, b)
