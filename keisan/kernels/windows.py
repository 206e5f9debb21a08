"""Sliding windows over images: im2col, col2im and the views they are built on.

Convolution and pooling both look at ``kh x kw`` windows of an ``(N, C, H, W)``
image. :func:`windows` exposes them as a strided *view* (no copy) with axes
``(N, C, kh, kw, OH, OW)``; each caller permutes and copies it once into the
layout its GEMM or reduction wants. :func:`accumulate_windows` is the adjoint:
it adds window-shaped gradients back onto the image, summing overlaps.
:func:`column_blocks` (channel-major) and :func:`row_blocks` (channels-last) are im2col
for the GEMMs of convolution, produced a few images at a time so that each block is
consumed while it is still in cache; :func:`pad_images` pads into the memory order they
read.
"""
import math

import numpy as np

from keisan.cuda import get_array_module
from keisan.kernels import threads
from keisan.kernels.workspace import workspace


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
        x = pad_images(x, (p_y, p_x), pad_value)
    sn, sc, sh, sw = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (sn, sc, sh, sw, sh * s_y, sw * s_x))


#: Memory orders of (N, C, H, W) arrays: the axes of the C-contiguous buffer in order.
LAYOUTS = {'NCHW': (0, 1, 2, 3), 'CNHW': (1, 0, 2, 3), 'NHWC': (0, 2, 3, 1)}


def memory_layout(x):
    """'CNHW' (a channel-major convolution's output), 'NHWC' (a channels-last one's) or
    'NCHW' (anything else) for an (N, C, H, W) array, by its strides."""
    if not x.flags.c_contiguous:
        for name in ('CNHW', 'NHWC'):
            if x.transpose(LAYOUTS[name]).flags.c_contiguous:
                return name
    return 'NCHW'


def pad_images(x, pad, value=0, pooled=False, layout=None):
    """``x`` (N, C, H, W) with ``pad`` (p_y, p_x) rows and columns of ``value`` on each
    side -> (N, C, H + 2*p_y, W + 2*p_x), a view of a buffer in ``layout`` (one of
    :data:`LAYOUTS`; by default x's own, :func:`memory_layout`). ``pooled``: the buffer
    comes from ``workspace`` and the caller gives it back.

    Unlike ``np.pad`` it writes only the border and the interior, once each, in the
    memory order the windows are read in (a column fill from a CNHW source runs 1.1-1.6x
    faster than from np.pad's NCHW copy). ``pad`` (0, 0) gives a copy.
    """
    xp = get_array_module(x)
    (p_y, p_x), (n, c, h, w) = pad, x.shape
    order = LAYOUTS[layout or memory_layout(x)]
    shape = tuple((n, c, h + 2 * p_y, w + 2 * p_x)[axis] for axis in order)
    buffer = workspace.take(xp, shape, x.dtype) if pooled else xp.empty(shape, x.dtype)
    out = buffer.transpose(tuple(int(axis) for axis in np.argsort(order)))
    out[:, :, :p_y] = value
    out[:, :, h + p_y:] = value
    out[:, :, p_y:h + p_y, :p_x] = value
    out[:, :, p_y:h + p_y, w + p_x:] = value
    out[:, :, p_y:h + p_y, p_x:w + p_x] = x
    return out


#: Column matrices up to this size are made whole (and kept for the weight gradient):
#: they stay in the last-level cache, and rebuilding blocks in backward would cost more.
WHOLE_COLUMNS_MAX_BYTES = 8 << 20
#: Bytes of one block of windows from :func:`column_blocks` / :func:`row_blocks` for
#: larger matrices. The im2col copy and the GEMM that reads it ran 1.5-2x faster on 1-4 MB
#: blocks than on one 45 MB matrix that goes to DRAM and back (an AMD EPYC, 2 MB L2 /
#: 32 MB L3), and DeepConvNet's step 4% faster on 1 MB than on 2 MB blocks (a Xeon, 2 MB
#: L2 per core).
COLUMN_BLOCK_BYTES = 1 << 20


#: Block bytes when NumPy's BLAS runs several threads. A multi-threaded OpenBLAS keeps
#: its threads spinning for a while after each call: on a 2-core AMD EPYC that slowed the
#: copies between many 1-2 MB GEMMs 2-3x, and blocks of 4-64 MB gained nothing there over
#: one whole matrix; on a 2-core Xeon 8 MB blocks made DeepConvNet's step 0.86x and its
#: inference 0.75x the time of whole matrices at 2 threads.
MULTI_THREAD_BLOCK_BYTES = 8 << 20


def image_blocks(xp, n, bytes_per_image):
    """``(n0, n1)`` ranges covering ``n`` images, each about :data:`COLUMN_BLOCK_BYTES`
    (:data:`MULTI_THREAD_BLOCK_BYTES` when NumPy's BLAS runs several threads) of windows,
    at least one image, when the windows of all ``n`` images exceed
    :data:`WHOLE_COLUMNS_MAX_BYTES`; otherwise a single range. CuPy: one range (a launch
    costs more than the memory traffic)."""
    if xp is not np or n * bytes_per_image <= WHOLE_COLUMNS_MAX_BYTES:
        return [(0, n)]
    block_bytes = COLUMN_BLOCK_BYTES if threads.blas_threads() == 1 else \
        MULTI_THREAD_BLOCK_BYTES
    step = max(1, min(n, block_bytes // bytes_per_image))
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def column_blocks(x, kh, kw, stride=1, pad=0, keep_whole=False):
    """Channel-major im2col of ``x``, one cache-sized block of images at a time.

    Args:
        x: (N, C, H, W) array (any memory order).
        kh, kw, stride, pad: as for :func:`windows`.
        keep_whole: if the batch fits one block, hand its buffer to the caller,
            who gives it back to ``workspace`` when done (the columns kept for a
            backward pass); otherwise every buffer goes back to the pool here.
    Yields:
        ``(n0, n1, col)``: ``col`` of shape (C*kh*kw, (n1-n0)*OH*OW) holds the windows
        of images ``n0:n1``; rows ordered (C, kh, kw), columns (image, OH, OW). The
        buffer is reused: ``col`` is valid until the next block is requested. The
        blocks are those of :func:`image_blocks`.
    """
    pad = pair(pad)
    source = pad_images(x, pad, pooled=True) if pad != (0, 0) else x
    view = windows(source, kh, kw, stride).transpose(1, 2, 3, 0, 4, 5)   # (C,kh,kw,N,OH,OW)
    return _copied_blocks(view, 3, source is not x and source, keep_whole)


def row_blocks(x, kh, kw, stride=1, pad=0, keep_whole=False):
    """Channels-last im2col of ``x`` (the book's row layout, with the channel innermost),
    one cache-sized block of images at a time.

    The windows are read from an NHWC copy of x (padded), so each window row is one run
    of kw*C contiguous values instead of the OW values of :func:`column_blocks`; for
    3x3 filters over 16-64 channels that, and the GEMM shape (rows @ W), made forward
    convolutions 1.3-1.7x faster (docs/BENCHMARKS.md).

    Args and blocks: as for :func:`column_blocks`.
    Yields:
        ``(n0, n1, rows)``: ``rows`` of shape ((n1-n0)*OH*OW, kh*kw*C) holds the windows
        of images ``n0:n1``, one row per output pixel (image, OH, OW), columns ordered
        (kh, kw, C). Valid until the next block is requested.
    """
    xp = get_array_module(x)
    source = x.transpose(0, 2, 3, 1)
    copied = pair(pad) != (0, 0) or not source.flags.c_contiguous
    if copied:
        source = pad_images(x, pair(pad), pooled=True, layout='NHWC').transpose(0, 2, 3, 1)
    (n, h, w, c), (s_y, s_x) = source.shape, pair(stride)
    sn, sh, sw, sc = source.strides
    oh, ow = conv_output_size(h, kh, s_y, 0), conv_output_size(w, kw, s_x, 0)
    view = xp.lib.stride_tricks.as_strided(                             # (N,OH,OW,kh,kw,C)
        source, (n, oh, ow, kh, kw, c), (sn, sh * s_y, sw * s_x, sh, sw, sc))
    return _copied_blocks(view, 0, copied and source, keep_whole)


def _copied_blocks(view, image_axis, padded, keep_whole):
    """The loop of :func:`column_blocks` and :func:`row_blocks`: copy the images of each
    block of :func:`image_blocks` out of the 6-D window ``view`` (images on
    ``image_axis``) into one reused buffer, and yield ``(n0, n1, matrix)``, the copy as a
    matrix of its first three axes by its last three. ``padded``: the pooled padded
    source, given back at the end (or False)."""
    xp = get_array_module(view)
    n = view.shape[image_axis]
    per_image = view.size // max(n, 1)
    blocks = image_blocks(xp, n, per_image * view.dtype.itemsize)
    buffer = workspace.take(xp, (per_image * blocks[0][1],), view.dtype)
    handed_over = keep_whole and len(blocks) == 1
    try:
        for n0, n1 in blocks:
            part = view[(slice(None),) * image_axis + (slice(n0, n1),)]
            copy = buffer[:part.size].reshape(part.shape)
            xp.copyto(copy, part)
            yield n0, n1, copy.reshape(math.prod(part.shape[:3]), math.prod(part.shape[3:]))
    finally:
        if not handed_over:
            workspace.give(buffer)
        if padded is not False:
            workspace.give(padded)


def accumulate_windows(cols, x_shape, stride=1, pad=0, add=True):
    """Adjoint of :func:`windows`: sum window values back onto the image.

    Args:
        cols: array of shape (N, C, kh, kw, OH, OW) (any strides).
        x_shape: (N, C, H, W) of the unpadded image.
        stride, pad: an int or a (height, width) pair, as given to :func:`windows`.
        add: overlapping windows add up (the adjoint); with False each pixel takes the
            value of the last window covering it, so windows of an image give the image
            back (pixels that no window covers are 0).
    Returns:
        (N, C, H, W) array.
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
            if add:
                img[:, :, i:i_end:s_y, j:j + s_x * ow:s_x] += cols[:, :, i, j]
            else:
                img[:, :, i:i_end:s_y, j:j + s_x * ow:s_x] = cols[:, :, i, j]
    return img[:, :, p_y:h + p_y, p_x:w + p_x]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    """Unfold image windows into rows (the book's ``im2col``).

    Args:
        input_data: (N, C, H, W) array.
        constant_values: the value of the padding (e.g. ``-np.inf`` for max pooling).
    Returns:
        (N*OH*OW, C*filter_h*filter_w) array; columns ordered (C, kh, kw), rows (N, OH, OW).
    """
    n = input_data.shape[0]
    view = windows(input_data, filter_h, filter_w, stride, pad, constant_values)
    return view.transpose(0, 4, 5, 1, 2, 3).reshape(n * view.shape[4] * view.shape[5], -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0, is_backward=True):
    """Fold rows produced by :func:`im2col` back into an image.

    Args:
        col: (N*OH*OW, C*filter_h*filter_w) array.
        input_shape: (N, C, H, W).
        is_backward: sum overlapping windows (the book's col2im, the gradient of
            im2col); False: each pixel takes one window's value, so ``col2im(im2col(x))``
            is x again.
    Returns:
        (N, C, H, W) array.
    """
    n, c, h, w = input_shape
    (s_y, s_x), (p_y, p_x) = pair(stride), pair(pad)
    oh = conv_output_size(h, filter_h, s_y, p_y)
    ow = conv_output_size(w, filter_w, s_x, p_x)
    cols = col.reshape(n, oh, ow, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    return accumulate_windows(cols, input_shape, stride, pad, add=is_backward)
