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
    """(v, v) for an int, else the 2-tuple given (window and kernel sizes)."""
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(v)


def conv_output_size(size, k, stride, pad):
    """Output length of a window of size ``k``: floor((size + 2*pad - k) / stride) + 1."""
    return (size + 2 * pad - k) // stride + 1


def windows(x, kh, kw, stride=1, pad=0, pad_value=0):
    """Strided view of all windows of ``x``.

    Args:
        x: (N, C, H, W) array.
        kh, kw: window height and width.
        stride, pad: as in convolution; padding uses ``pad_value``.
    Returns:
        view of shape (N, C, kh, kw, OH, OW).
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    if pad:
        x = xp.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)),
                   mode='constant', constant_values=pad_value)
    sn, sc, sh, sw = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (sn, sc, sh, sw, sh * stride, sw * stride))


def accumulate_windows(cols, x_shape, stride=1, pad=0):
    """Adjoint of :func:`windows`: sum window values back onto the image.

    Args:
        cols: array of shape (N, C, kh, kw, OH, OW) (any strides).
        x_shape: (N, C, H, W) of the unpadded image.
    Returns:
        (N, C, H, W) array; overlapping windows add up.
    """
    xp = get_array_module(cols)
    n, c, kh, kw, oh, ow = cols.shape
    _, _, h, w = x_shape
    # One extra stride of room so every slice below is in bounds.
    img = xp.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1),
                   dtype=cols.dtype)
    for i in range(kh):
        i_end = i + stride * oh
        for j in range(kw):
            img[:, :, i:i_end:stride, j:j + stride * ow:stride] += cols[:, :, i, j]
    return img[:, :, pad:h + pad, pad:w + pad]


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
    oh = conv_output_size(h, filter_h, stride, pad)
    ow = conv_output_size(w, filter_w, stride, pad)
    cols = col.reshape(n, oh, ow, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    return accumulate_windows(cols, input_shape, stride, pad)
