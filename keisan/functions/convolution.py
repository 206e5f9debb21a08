"""2-D convolution as GEMMs over im2col windows.

Each pass is one GEMM per block of images, never one per image (per-image GEMMs are
tiny for deep layers and thread poorly), in one of two layouts:

- channels-last (NumPy, kw*C >= :data:`CHANNELS_LAST_MIN_RUN`): one row of windows per
  output pixel, ``kernels.row_blocks`` ((N*OH*OW, kh*kw*C)), times W as (kh*kw*C, F);
  the output is (N, OH, OW, F) in memory. Each window row is a run of kw*C contiguous
  values, and the tall GEMM runs faster than the wide one below (for DeepConvNet's
  16-64-channel layers the forward pass took 0.6-0.75x the time).
- channel-major (few input channels, like the first layer on images, and CuPy):
  ``kernels.column_blocks`` ((C*kh*kw, N*OH*OW)); on NumPy ``columns.T @ W.T`` still
  writes (N, OH, OW, F), on CuPy ``W @ columns`` writes (F, N, OH, OW).

Either way the output is returned as an NCHW *view*; elementwise layers keep its memory
order, so the next convolution reads windows along contiguous memory and the gradient
arriving in backward is already a matrix of the same layout, without a copy. Window
matrices over 8 MB are made a block of about 1 MB at a time (8 MB with a multi-threaded
BLAS) and consumed by the GEMM while still in cache; the weight gradient then rebuilds
them from x instead of keeping a 45 MB matrix from forward. Smaller matrices are made
whole and kept for backward. With stride 1 the input gradient is a transposed
convolution (a correlation of gy with the flipped filters) instead of a GEMM followed by
col2im.

That input gradient is also ``deconvolution_2d`` (transposed convolution), and the
weight gradient is ``Convolution2DGradW``: with ``convolution_2d`` the three are each
other's gradients, which gives derivatives of any order.
"""

import numpy as np

from keisan.cuda import get_array_module
from keisan.core.function import Function
from keisan.kernels import accumulate_windows, column_blocks, conv_output_size, pair
from keisan.kernels.gemm import add_product_over_rows, matmul_into
from keisan.kernels.windows import image_blocks, memory_layout, row_blocks
from keisan.kernels.workspace import workspace

#: The channels-last layout is used when a window row, kw*C values, is at least this
#: long; shorter runs (a 3x3 filter on 1-2 channels) fill faster channel-major.
CHANNELS_LAST_MIN_RUN = 8


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
        check_conv_args('convolution_2d', x, w, self.stride, self.pad)
        f = len(w)
        if b is not None and b.shape != (f,):
            raise ValueError('convolution_2d: b of shape %s does not match W of shape %s '
                             '(expected (%d,))' % (b.shape, w.shape, f))
        self.x, self.w, self.has_bias = x, w, b is not None
        y, self.col = _correlate(x, w, self.stride, self.pad, keep_whole=True, bias=b)
        return y

    @property
    def w_mat(self):
        """W as the (F, C*kh*kw) matrix of the channel-major GEMM."""
        return self.w.reshape(len(self.w), -1)

    def backward(self, gy):
        need = self.needs_input_grad
        g = _PixelMatrix(gy)            # one view (or copy) for both parameter gradients
        gx = gw = gb = None
        if need[1]:
            gw = _weight_grad(self.x, g, self.w.shape, self.stride, self.pad, self.col)
        if self.has_bias and need[2]:
            gb = g.sum()
        if need[0]:
            gx = _input_grad(gy, self.w, self.x.shape, self.stride, self.pad)
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
            workspace.give(col[1])


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
        y = _input_grad(x, w, (len(x), f, oh, ow), self.stride, self.pad)
        if b is not None:
            y += b[:, None, None]
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = _correlate(gy, self.w, self.stride, self.pad)[0]
        if need[1]:
            gw = _weight_grad(gy, _PixelMatrix(self.x), self.w.shape, self.stride, self.pad)
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
        return _weight_grad(x, _PixelMatrix(gy), self.w_shape, self.stride, self.pad)

    def backward(self, ggw):
        need = self.needs_input_grad
        gx = ggy = None
        if need[0]:
            gx = _input_grad(self.gy, ggw, self.x.shape, self.stride, self.pad)
        if need[1]:
            ggy = _correlate(self.x, ggw, self.stride, self.pad)[0]
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


def _channels_last(x, w_shape):
    """Whether a convolution of x with filters of ``w_shape`` reads its windows
    channels-last (else channel-major)."""
    return get_array_module(x) is np and w_shape[1] * w_shape[3] >= CHANNELS_LAST_MIN_RUN


class _PixelMatrix:
    """gy (N, F, OH, OW) as the GEMMs read it: ``block(n0, n1)`` is the
    (pixels of images n0:n1, F) matrix, a view in gy's own memory order (rows of NHWC
    memory, or the transposed columns of CNHW; NCHW is copied to CNHW once)."""

    def __init__(self, gy):
        n, f, oh, ow = gy.shape
        self.per_image, self.rows = oh * ow, memory_layout(gy) == 'NHWC'
        self.matrix = gy.transpose(0, 2, 3, 1).reshape(n * oh * ow, f) if self.rows \
            else gy.transpose(1, 0, 2, 3).reshape(f, n * oh * ow)

    def block(self, n0, n1):
        pixels = slice(n0 * self.per_image, n1 * self.per_image)
        return self.matrix[pixels] if self.rows else self.matrix[:, pixels].T

    def sum(self):
        """Over the pixels, (F,); ones @ g is a GEMV, 5-7x faster than NumPy's sum over
        the long axis of an (L, F) matrix."""
        g = self.matrix
        return get_array_module(g).ones(len(g), g.dtype) @ g if self.rows else g.sum(axis=1)


def _correlate(x, w, stride, pad, keep_whole=False, bias=None):
    """``(y, kept)``: y (N, F, OH, OW) = the correlation of x (N, C, H, W) with filters
    w (F, C, kh, kw) (+ ``bias`` (F,)), one GEMM per block of images, returned as a view
    of NHWC memory (CuPy: CNHW). With ``keep_whole``, kept is ``(channels_last,
    windows)`` if the window matrix was made in one block (the caller gives ``windows``
    back to the workspace), else None."""
    xp = get_array_module(x)
    (n, c, h, w_), (f, _, kh, kw) = x.shape, w.shape
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    oh, ow = conv_output_size(h, kh, s_y, p_y), conv_output_size(w_, kw, s_x, p_x)
    per_image, dtype = oh * ow, xp.result_type(x.dtype, w.dtype)        # as w @ col
    channels_last = _channels_last(x, w.shape)
    if channels_last:           # (pixels, kh*kw*C) @ (kh*kw*C, F)
        blocks = row_blocks(x, kh, kw, stride, pad, keep_whole)
        w_t = w.transpose(2, 3, 1, 0).reshape(kh * kw * c, f)
    else:                       # (C*kh*kw, pixels).T @ (C*kh*kw, F)
        blocks = column_blocks(x, kh, kw, stride, pad, keep_whole)
        w_t = w.reshape(f, -1).T
    pixels_first = xp is np      # a tall GEMM writing NHWC; CuPy keeps (F, pixels)
    y = xp.empty((n * per_image, f) if pixels_first else (f, n * per_image), dtype)
    for n0, n1, windows in blocks:
        pixels = slice(n0 * per_image, n1 * per_image)
        if pixels_first:
            block = y[pixels]
            matmul_into(windows if channels_last else windows.T, w_t, block)
        else:
            block = y[:, pixels].T
            xp.matmul(w_t.T, windows, out=block.T)
        if bias is not None:        # while the block is in cache
            block += bias
    y = y.reshape(n, oh, ow, f).transpose(0, 3, 1, 2) if pixels_first else \
        y.reshape(f, n, oh, ow).transpose(1, 0, 2, 3)
    whole = keep_whole and (n0, n1) == (0, n)
    return y, ((channels_last, windows) if whole else None)


def _weight_grad(x, g, w_shape, stride, pad, kept=None):
    """gW (F, C, kh, kw) of a convolution of x (N, C, H, W) with output gradient g, the
    :class:`_PixelMatrix` of gy (N, F, OH, OW); ``kept``: the ``(channels_last,
    windows)`` forward kept, if any."""
    xp = get_array_module(x)
    f, c, kh, kw = w_shape
    channels_last = kept[0] if kept else _channels_last(x, w_shape)
    # Windows made in blocks are rebuilt block by block rather than kept from forward:
    # cheaper than a round trip through DRAM, and far less memory.
    blocks = [(0, len(x), kept[1])] if kept else \
        (row_blocks if channels_last else column_blocks)(x, kh, kw, stride, pad)
    gw_t = xp.zeros((c * kh * kw, f), g.matrix.dtype)       # (K, F) = windows @ gy
    for n0, n1, windows in blocks:
        add_product_over_rows(gw_t, windows if channels_last else windows.T, g.block(n0, n1))
    if channels_last:                                       # K ordered (kh, kw, C)
        return xp.ascontiguousarray(gw_t.reshape(kh, kw, c, f).transpose(3, 2, 0, 1))
    return xp.ascontiguousarray(gw_t.T).reshape(w_shape)


def _input_grad(gy, w, x_shape, stride, pad):
    """dx (N, C, H, W) of a convolution with filters w (F, C, kh, kw), for output
    gradient gy (N, F, OH, OW)."""
    xp = get_array_module(gy)
    n, f, oh, ow = gy.shape
    _, c, kh, kw = w.shape
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    if (s_y, s_x) == (1, 1) and p_y < kh and p_x < kw:
        # dx = gy (padded by k-1-pad) correlated with the flipped, transposed filters.
        w_t = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return _correlate(gy, w_t, 1, (kh - 1 - p_y, kw - 1 - p_x))[0]
    # General stride: GEMM into columns, then col2im (accumulate_windows), per block.
    g, w_mat = _PixelMatrix(gy), w.reshape(f, -1)
    gx = xp.empty(x_shape, gy.dtype)
    for n0, n1 in image_blocks(xp, n, w_mat.shape[1] * oh * ow * gy.itemsize):
        gcol = w_mat.T @ g.block(n0, n1).T
        gx[n0:n1] = accumulate_windows(
            gcol.reshape(c, kh, kw, n1 - n0, oh, ow).transpose(3, 0, 1, 2, 4, 5),
            (n1 - n0, c) + tuple(x_shape[2:]), stride, pad)
    return gx


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
