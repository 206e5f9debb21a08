"""Sliding windows over images: im2col, col2im and the views they are built on.

Convolution and pooling both look at ``kh x kw`` windows of an ``(N, C, H, W)``
image. :func:`windows` exposes them as a strided *view* (no copy) with axes
``(N, C, kh, kw, OH, OW)``; each caller permutes and copies it once into the
layout its GEMM or reduction wants. :func:`accumulate_windows` is the adjoint:
it adds window-shaped gradients back onto the image, summing overlaps.
"""
import numpy as np

from keisan.backend import get_array_module


def pair(v):
    """(v, v) for an int, else the (height, width) 2-tuple given.

    Used for window/kernel sizes, strides and pads. Raises ValueError for a
    sequence that is not of length 2 and TypeError for anything else.
    """
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v), int(v)
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError('expected an int or a (height, width) pair, got %r' % (v,))
        return int(v[0]), int(v[1])
    raise TypeError('expected an int or a (height, width) pair, got %s' % type(v).__name__)


def conv_output_size(size, k, stride, pad):
    """Output length of a window of size ``k``: floor((size + 2*pad - k) / stride) + 1."""
    return (size + 2 * pad - k) // stride + 1


def windows(x, kh, kw, stride=1, pad=0, pad_value=0):
    """Strided view of all windows of ``x``.

    Args:
        x: (N, C, H, W) array.
        kh, kw: window height and width.
        stride, pad: as in convolution, an int or a (height, width) pair;
            padding uses ``pad_value``.
    Returns:
        view of shape (N, C, kh, kw, OH, OW).
    """
    xp = get_array_module(x)
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kh, s_y, p_y), conv_output_size(w, kw, s_x, p_x)
    if p_y or p_x:
        x = xp.pad(x, ((0, 0), (0, 0), (p_y, p_y), (p_x, p_x)),
                   mode='constant', constant_values=pad_value)
    sn, sc, sh, sw = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (sn, sc, sh, sw, sh * s_y, sw * s_x))


def accumulate_windows(cols, x_shape, stride=1, pad=0):
    """Adjoint of :func:`windows`: sum window values back onto the image.

    Args:
        cols: array of shape (N, C, kh, kw, OH, OW) (any strides).
        x_shape: (N, C, H, W) of the unpadded image.
        stride, pad: an int or a (height, width) pair, as given to :func:`windows`.
    Returns:
        (N, C, H, W) array; overlapping windows add up.
    """
    xp = get_array_module(cols)
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    n, c, kh, kw, oh, ow = cols.shape
    _, _, h, w = x_shape
    # One extra stride of room so every slice below is in bounds.
    img = xp.zeros((n, c, h + 2 * p_y + s_y - 1, w + 2 * p_x + s_x - 1), dtype=cols.dtype)
    for i in range(kh):
        i_end = i + s_y * oh
        for j in range(kw):
            img[:, :, i:i_end:s_y, j:j + s_x * ow:s_x] += cols[:, :, i, j]
    return img[:, :, p_y:h + p_y, p_x:w + p_x]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold image windows into rows (the book's ``im2col``).

    Args:
        input_data: (N, C, H, W) array.
    Returns:
        (N*OH*OW, C*filter_h*filter_w) array; columns ordered (C, kh, kw), rows (N, OH, OW).
    """
    n = input_data.shape[0]
    view = windows(input_data, filter_h, filter_w, stride, pad)
    return view.transpose(0, 4, 5, 1, 2, 3).reshape(n * view.shape[4] * view.shape[5], -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Fold rows produced by :func:`im2col` back into an image, summing overlaps.

    Args:
        col: (N*OH*OW, C*filter_h*filter_w) array.
        input_shape: (N, C, H, W).
    Returns:
        (N, C, H, W) array.
    """
    n, c, h, w = input_shape
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    oh = conv_output_size(h, filter_h, s_y, p_y)
    ow = conv_output_size(w, filter_w, s_x, p_x)
    cols = col.reshape(n, oh, ow, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    return accumulate_windows(cols, input_shape, stride, pad)
