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
"""
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
        self.x, self.w_mat, self.w_shape = x, w.reshape(f, -1), w.shape
        self.has_bias = b is not None
        y, self.col = _correlate(x, self.w_mat, w.shape[2:], self.stride, self.pad,
                                 (f, n, oh, ow), keep_whole=True)
        if b is not None:
            y += b[:, None, None, None]
        return y.transpose(1, 0, 2, 3)                                   # NCHW view of CNHW

    def backward(self, gy):
        n, f, oh, ow = gy.shape
        xp = get_array_module(gy)
        gy_t = gy.transpose(1, 0, 2, 3).reshape(f, n * oh * ow)        # free if gy is CNHW
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[1]:
            # Columns made in blocks are rebuilt block by block rather than kept from
            # forward: cheaper than a round trip through DRAM, and far less memory.
            # (K, F) = col @ gy.T runs ~1.4x faster than (F, K) = gy @ col.T in OpenBLAS.
            kh, kw = self.w_shape[2:]
            blocks = [(0, n, self.col)] if self.col is not None else \
                column_blocks(self.x, kh, kw, self.stride, self.pad)
            gw_t = xp.zeros(self.w_mat.shape[::-1], gy.dtype)
            for n0, n1, col in blocks:
                gw_t += col @ gy_t[:, n0 * oh * ow:n1 * oh * ow].T
            gw = xp.ascontiguousarray(gw_t.T).reshape(self.w_shape)
        if self.has_bias and need[2]:
            gb = gy_t.sum(axis=1)
        if need[0]:
            gx = self._input_grad(xp, gy, gy_t)
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def _input_grad(self, xp, gy, gy_t):
        n, f, oh, ow = gy.shape
        _, c, kh, kw = self.w_shape
        (s_y, s_x), (p_y, p_x) = pair(self.stride), pair(self.pad)
        if (s_y, s_x) == (1, 1) and p_y < kh and p_x < kw:
            # dx = gy (padded by k-1-pad) correlated with the flipped, transposed filters.
            w_t = self.w_mat.reshape(self.w_shape)[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
            h, w = self.x.shape[2:]
            gx, _ = _correlate(gy, w_t.reshape(c, -1), (kh, kw), 1,
                               (kh - 1 - p_y, kw - 1 - p_x), (c, n, h, w))
            return gx.transpose(1, 0, 2, 3)
        # General stride: GEMM into columns, then col2im (accumulate_windows), per block.
        gx = xp.empty(self.x.shape, gy.dtype)
        for n0, n1 in image_blocks(xp, n, self.w_mat.shape[1] * oh * ow * gy.itemsize):
            gcol = self.w_mat.T @ gy_t[:, n0 * oh * ow:n1 * oh * ow]
            gx[n0:n1] = accumulate_windows(
                gcol.reshape(c, kh, kw, n1 - n0, oh, ow).transpose(3, 0, 1, 2, 4, 5),
                (n1 - n0, c) + self.x.shape[2:], self.stride, self.pad)
        return gx

    def __del__(self):
        # Columns kept for backward go back to the pool with their Function.
        col = self.__dict__.get('col')
        if col is not None:
            self.col = None
            workspace.give(col)


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
