"""Convolution, the im2col/col2im kernels, column blocks and the workspace pool."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.functions.convolution import Convolution2DGradW
from keisan.gradient_check import check_backward
from keisan.kernels import col2im, conv_output_size, im2col
from reference import conv_ref, deconv_ref, im2col_ref, rng


@pytest.fixture(params=['channels_last', 'channel_major'])
def window_layout(request, monkeypatch):
    """Run the test with each of the convolution's two window layouts (chosen by the
    length of a window row, kw*C)."""
    import keisan.functions.convolution as convolution
    monkeypatch.setattr(convolution, 'CHANNELS_LAST_MIN_RUN',
                        1 if request.param == 'channels_last' else 10 ** 9)
    return request.param


CONV_CASES = [
    # x shape, W shape, stride, pad, bias
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0, True),
    ((1, 2, 7, 6), (3, 2, 3, 2), 2, 1, False),
    ((2, 1, 8, 7), (2, 1, 2, 3), 3, 2, True),
    ((1, 3, 4, 4), (2, 3, 1, 1), 1, 0, True),
    ((2, 2, 6, 5), (3, 2, 4, 3), 2, 0, True),
    ((1, 2, 5, 5), (2, 2, 5, 5), 1, 2, False),
    ((1, 1, 3, 9), (1, 1, 3, 1), 3, 1, True),
    ((2, 2, 5, 4), (1, 2, 2, 2), 1, 1, False),
]


@pytest.mark.parametrize('x_shape, w_shape, stride, pad, bias', CONV_CASES)
def test_convolution_2d(x_shape, w_shape, stride, pad, bias, window_layout):
    r = rng(21)
    x = r.standard_normal(x_shape)
    W = r.standard_normal(w_shape)
    b = r.standard_normal(w_shape[0]) if bias else None
    y = F.convolution_2d(x, W, b, stride=stride, pad=pad)
    oh = (x_shape[2] + 2 * pad - w_shape[2]) // stride + 1
    ow = (x_shape[3] + 2 * pad - w_shape[3]) // stride + 1
    assert y.shape == (x_shape[0], w_shape[0], oh, ow)
    assert np.allclose(y.data, conv_ref(x, W, b, stride, pad))
    if bias:
        check_backward(lambda a, w, c: F.convolution_2d(a, w, c, stride=stride, pad=pad),
                       (x, W, b))
    else:
        check_backward(lambda a, w: F.convolution_2d(a, w, stride=stride, pad=pad), (x, W))


@pytest.mark.parametrize('stride, pad', [((1, 2), (0, 1)), ((2, 1), 1), (2, (2, 0))])
def test_convolution_2d_stride_and_pad_pairs(stride, pad, window_layout):
    r = rng(30)
    x, W, b = r.standard_normal((2, 2, 6, 5)), r.standard_normal((3, 2, 3, 2)), \
        r.standard_normal(3)
    y = F.convolution_2d(x, W, b, stride=stride, pad=pad)
    assert np.allclose(y.data, conv_ref(x, W, b, stride, pad))
    check_backward(lambda a, w, c: F.convolution_2d(a, w, c, stride=stride, pad=pad),
                   (x, W, b))


def test_convolution_2d_matches_book_im2col_formula():
    r = rng(22)
    x, W, b = r.standard_normal((2, 3, 6, 5)), r.standard_normal((4, 3, 3, 2)), \
        r.standard_normal(4)
    col = im2col(x, 3, 2, stride=2, pad=1)
    oh, ow = conv_output_size(6, 3, 2, 1), conv_output_size(5, 2, 2, 1)
    ref = (col @ W.reshape(4, -1).T + b).reshape(2, oh, ow, 4).transpose(0, 3, 1, 2)
    assert np.allclose(F.convolution_2d(x, W, b, stride=2, pad=1).data, ref)


def test_convolution_2d_non_contiguous_input(window_layout):
    r = rng(23)
    x = r.standard_normal((2, 5, 5, 3)).transpose(0, 3, 1, 2)     # (2, 3, 5, 5) view
    W = r.standard_normal((2, 3, 3, 3))
    assert np.allclose(F.convolution_2d(x, W, pad=1).data, conv_ref(x, W, None, 1, 1))


@pytest.mark.parametrize('x_shape, w_shape, kw', [
    ((1, 3, 5, 5), (2, 4, 3, 3), {}),
    ((1, 3, 5), (2, 3, 3, 3), {}),
    ((1, 3, 2, 2), (2, 3, 3, 3), {}),
    ((1, 3, 5, 5), (2, 3, 3, 3), {'b': np.zeros(3)}),
])
def test_convolution_2d_shape_mismatch(x_shape, w_shape, kw):
    with pytest.raises(ValueError) as e:
        F.convolution_2d(np.ones(x_shape), np.ones(w_shape), **kw)
    msg = str(e.value)
    assert 'convolution_2d' in msg and str(w_shape) in msg
    assert str(x_shape) in msg or 'b of shape' in msg


def test_convolution_2d_bad_stride_pad():
    with pytest.raises(ValueError, match='stride'):
        F.convolution_2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), stride=0)
    with pytest.raises(ValueError, match='pad'):
        F.convolution_2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), pad=-1)




# ----- deconvolution_2d: the transposed convolution -----------------------------------
DECONV_CASES = [
    # x shape, W shape, stride, pad, outsize, bias
    ((2, 3, 3, 4), (3, 2, 3, 3), 1, 0, None, True),
    ((1, 2, 3, 3), (2, 3, 3, 2), 2, 1, None, False),
    ((2, 1, 4, 3), (1, 2, 2, 3), (2, 3), (0, 1), None, True),
    ((1, 2, 3, 3), (2, 1, 3, 3), 2, 1, (6, 6), True),      # outsize one more than minimal
    ((1, 1, 2, 2), (1, 1, 2, 2), 3, 0, (6, 5), False),     # stride > kernel: gaps
    ((1, 2, 5, 5), (2, 2, 3, 3), 1, 3, None, False),       # pad >= kernel
]


@pytest.mark.parametrize('x_shape, w_shape, stride, pad, outsize, bias', DECONV_CASES)
def test_deconvolution_2d(x_shape, w_shape, stride, pad, outsize, bias, window_layout):
    r = rng(40)
    x, W = r.standard_normal(x_shape), r.standard_normal(w_shape)
    b = r.standard_normal(w_shape[1]) if bias else None
    y = F.deconvolution_2d(x, W, b, stride, pad, outsize)
    ref = deconv_ref(x, W, b, stride, pad, outsize)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)
    if bias:
        check_backward(lambda a, w, c: F.deconvolution_2d(a, w, c, stride, pad, outsize),
                       (x, W, b))
    else:
        check_backward(lambda a, w: F.deconvolution_2d(a, w, None, stride, pad, outsize),
                       (x, W))


@pytest.mark.parametrize('x_shape, w_shape, stride, pad', [c[:4] for c in CONV_CASES])
def test_deconvolution_2d_is_the_input_gradient_of_convolution_2d(x_shape, w_shape, stride,
                                                                   pad):
    r = rng(41)
    x, W = ks.Variable(r.standard_normal(x_shape)), r.standard_normal(w_shape)
    y = F.convolution_2d(x, W, stride=stride, pad=pad)
    gy = r.standard_normal(y.shape)
    y.grad = gy
    y.backward()
    gx = F.deconvolution_2d(gy, W, stride=stride, pad=pad, outsize=x_shape[2:])
    np.testing.assert_allclose(gx.data, x.grad, rtol=1e-12, atol=1e-12)


def test_convolution_weight_gradient_function(window_layout):
    r = rng(42)
    x, W = ks.Variable(r.standard_normal((2, 3, 6, 5))), ks.Variable(
        r.standard_normal((4, 3, 3, 2)))
    y = F.convolution_2d(x, W, stride=2, pad=1)
    gy = r.standard_normal(y.shape)
    y.grad = gy
    y.backward()
    gw = Convolution2DGradW(W.shape, 2, 1)(x.data, gy)
    np.testing.assert_allclose(gw.data, W.grad, rtol=1e-12, atol=1e-12)
    check_backward(lambda a, g: Convolution2DGradW(W.shape, 2, 1)(a, g), (x.data, gy))


def test_deconvolution_2d_float32_stays_float32():
    x = np.ones((1, 2, 3, 3), np.float32)
    W, b = np.ones((2, 3, 2, 2), np.float32), np.ones(3, np.float32)
    assert F.deconvolution_2d(x, W, b, stride=2).dtype == np.float32
    assert F.deconvolution_2d(x, W, b).dtype == np.float32


@pytest.mark.parametrize('x_shape, w_shape, kw, fragment', [
    ((1, 2, 3), (2, 3, 3, 3), {}, 'x must be (N, C, H, W)'),
    ((1, 2, 3, 3), (3, 2, 3, 3), {}, 'has 2 channels but W of shape (3, 2, 3, 3) expects 3'),
    ((1, 2, 3, 3), (2, 3, 3, 3), {'b': np.zeros(2)}, 'b of shape (2,)'),
    ((1, 2, 3, 3), (2, 3, 3, 3), {'stride': 2, 'outsize': (9, 7)}, 'output size (9, 7)'),
    ((1, 2, 3, 3), (2, 3, 3, 3), {'stride': 0}, 'stride must be >= 1'),
    ((1, 2, 1, 1), (2, 3, 2, 2), {'pad': 1}, 'output size (0, 0)'),
])
def test_deconvolution_2d_errors_name_it(x_shape, w_shape, kw, fragment):
    with pytest.raises(ValueError) as e:
        F.deconvolution_2d(np.ones(x_shape), np.ones(w_shape), **kw)
    assert str(e.value).startswith('deconvolution_2d: ') and fragment in str(e.value)


def test_deconvolution_2d_in_several_column_blocks_is_gradient_checked(monkeypatch,
                                                                     window_layout):
    """Deconvolution's and the weight gradient's GEMMs over blocked columns."""
    import sys
    from keisan.kernels import threads
    windows_module = sys.modules['keisan.kernels.windows']
    r = rng(43)
    x, W, b = r.standard_normal((3, 2, 3, 4)), r.standard_normal((2, 3, 3, 3)), \
        r.standard_normal(3)
    whole = F.deconvolution_2d(x, W, b, 2, 1).data
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    monkeypatch.setattr(windows_module, 'WHOLE_COLUMNS_MAX_BYTES', 0)
    monkeypatch.setattr(windows_module, 'COLUMN_BLOCK_BYTES', 1)      # one image per block
    np.testing.assert_allclose(F.deconvolution_2d(x, W, b, 2, 1).data, whole,
                               rtol=1e-12, atol=1e-12)
    check_backward(lambda a, w, c: F.deconvolution_2d(a, w, c, 2, 1), (x, W, b))
    check_backward(lambda a, g: Convolution2DGradW((4, 2, 3, 3), 2, 1)(a, g),
                   (r.standard_normal((3, 2, 5, 5)), r.standard_normal((3, 4, 3, 3))))


IM2COL_CASES = [
    ((2, 3, 5, 5), 3, 3, 1, 0), ((1, 2, 7, 6), 3, 2, 2, 1), ((2, 1, 8, 7), 2, 3, 3, 2),
    ((1, 3, 4, 4), 1, 1, 1, 0), ((1, 2, 6, 5), 4, 3, 2, 0), ((1, 1, 5, 5), 2, 2, 2, 1),
]
IM2COL_PAIR_CASES = [((1, 2, 7, 6), 3, 2, (2, 1), (1, 0)), ((2, 1, 5, 6), 2, 2, (1, 3), 1)]


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_CASES)
def test_im2col_shape_and_column_order(shape, kh, kw, stride, pad):
    x = rng(28).standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    n, c, h, w = shape
    oh, ow = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    assert oh == (h + 2 * pad - kh) // stride + 1
    assert col.shape == (n * oh * ow, c * kh * kw)
    assert np.array_equal(col, im2col_ref(x, kh, kw, stride, pad))


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_CASES)
def test_col2im_is_the_adjoint_of_im2col(shape, kh, kw, stride, pad):
    r = rng(29)
    x = r.standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    c = r.standard_normal(col.shape)
    img = col2im(c, shape, kh, kw, stride=stride, pad=pad)
    assert img.shape == shape
    assert np.isclose((col * c).sum(), (x * img).sum())


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_CASES)
def test_col2im_without_summing_gives_the_image_back(shape, kh, kw, stride, pad):
    """The listings' ``col2im(..., is_backward=False)``: windows of x fold back into x
    (where a window covers it; 0 elsewhere); the default sums, as the book's col2im."""
    x = rng(34).standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    img = col2im(col, shape, kh, kw, stride=stride, pad=pad, is_backward=False)
    covered = col2im(np.ones_like(col), shape, kh, kw, stride=stride, pad=pad) > 0
    np.testing.assert_array_equal(img, np.where(covered, x, 0))
    summed = col2im(col, shape, kh, kw, stride=stride, pad=pad)
    np.testing.assert_array_equal(summed, col2im(col, shape, kh, kw, stride, pad,
                                                 is_backward=True))


def test_im2col_pads_with_constant_values():
    x = rng(35).standard_normal((2, 1, 3, 3))
    col = im2col(x, 2, 2, stride=2, pad=1, constant_values=-np.inf)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    np.testing.assert_array_equal(col, im2col_ref(padded, 2, 2, 2, 0))
    assert np.isinf(col).sum() == 2 * 7


@pytest.mark.parametrize('shape, kh, kw, stride, pad', IM2COL_PAIR_CASES)
def test_im2col_col2im_with_stride_and_pad_pairs(shape, kh, kw, stride, pad):
    r = rng(33)
    x = r.standard_normal(shape)
    col = im2col(x, kh, kw, stride=stride, pad=pad)
    assert np.array_equal(col, im2col_ref(x, kh, kw, stride, pad))
    c = r.standard_normal(col.shape)
    img = col2im(c, shape, kh, kw, stride=stride, pad=pad)
    assert np.isclose((col * c).sum(), (x * img).sum())


def test_col2im_sums_overlaps():
    shape = (1, 1, 3, 3)
    col = im2col(np.ones(shape), 2, 2, stride=1, pad=0)
    img = col2im(col, shape, 2, 2, stride=1, pad=0)
    assert np.array_equal(img[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize('size, k, stride, pad, expected', [
    (28, 5, 1, 0, 24), (28, 3, 1, 1, 28), (7, 3, 2, 1, 4), (8, 3, 3, 2, 4), (5, 2, 2, 0, 2),
])
def test_conv_output_size(size, k, stride, pad, expected):
    assert conv_output_size(size, k, stride, pad) == expected




def test_convolution_returns_its_column_buffers_to_the_pool(monkeypatch):
    """Large column matrices are reused across calls instead of freshly allocated
    (fresh pages cost ~2x a reused buffer); whole or in blocks, every buffer goes back."""
    import sys
    from keisan.kernels import threads
    from keisan.kernels.workspace import workspace
    from keisan.functions.convolution import Convolution2D
    windows_module = sys.modules['keisan.kernels.windows']
    rng = np.random.default_rng(0)
    x = rng.random((60, 16, 20, 20), dtype=np.float32)     # windows: 144 x 24000 = 13.8 MB
    w = rng.random((8, 16, 3, 3), dtype=np.float32)
    for blas_threads, whole in ((1, False), (2, False), (1, True)):
        monkeypatch.setattr(threads, 'blas_threads', lambda: blas_threads)
        monkeypatch.setattr(windows_module, 'WHOLE_COLUMNS_MAX_BYTES', 1 << 30 if whole else 0)
        assert len(windows_module.image_blocks(np, 60, 144 * 400 * 4)) == \
            (1 if whole else 15 if blas_threads == 1 else 2)        # 1 MB / 8 MB blocks
        workspace.clear()
        fn = Convolution2D(1, 1)
        y = fn.forward(x, w)
        assert (fn.col is None) == (not whole)
        fn.backward(np.ones_like(y))
        del fn
        idle = workspace._idle
        assert idle >= 1 << 20                             # the buffer is back in the pool
        fn = Convolution2D(1, 1)
        fn.forward(x, w)
        if not whole:               # blocks are given back at once: reused, nothing new
            assert workspace._idle == idle
        else:                       # the whole matrix is taken again and kept for backward
            assert workspace._idle < idle
        del fn


@pytest.mark.parametrize('stride, pad', [(1, 1), (1, 0), (2, 1), ((1, 2), (0, 1))])
def test_convolution_in_several_column_blocks_is_gradient_checked(monkeypatch, stride, pad,
                                                                 window_layout):
    """The blocked im2col path (single-threaded BLAS, large batches) forced onto a small
    float64 input: same values as one whole block, and a passing gradient check."""
    import sys
    from keisan.kernels import threads
    windows_module = sys.modules['keisan.kernels.windows']
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    whole = F.convolution_2d(x, w, b, stride, pad).data
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    monkeypatch.setattr(windows_module, 'WHOLE_COLUMNS_MAX_BYTES', 0)
    monkeypatch.setattr(windows_module, 'COLUMN_BLOCK_BYTES', 1)      # one image per block
    assert len(windows_module.image_blocks(np, 5, 8)) == 5
    np.testing.assert_allclose(F.convolution_2d(x, w, b, stride, pad).data, whole,
                               rtol=1e-12, atol=1e-12)
    check_backward(lambda x_, w_, b_: F.convolution_2d(x_, w_, b_, stride, pad), (x, w, b))


def test_convolution_output_dtype_follows_x_and_w_like_matmul():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 1, 3, 3))
    x_int = rng.integers(0, 255, size=(2, 1, 5, 5)).astype(np.uint8)        # raw pixels
    y = F.convolution_2d(x_int, w)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, F.convolution_2d(x_int.astype(np.float64), w).data)
    assert F.convolution_2d(x_int.astype(np.float32), w).dtype == np.float64
    assert F.convolution_2d(x_int.astype(np.float32), w.astype(np.float32)).dtype == np.float32


def test_workspace_ignores_a_second_give_and_foreign_arrays():
    from keisan.kernels.workspace import MIN_BYTES, Workspace
    pool = Workspace()
    a = pool.take(np, (MIN_BYTES // 4,), np.float32)
    pool.give(a)
    pool.give(a)                                         # twice: must not be pooled twice
    pool.give(np.empty(MIN_BYTES // 4, np.float32))      # never lent by this pool
    assert pool._idle == MIN_BYTES and len(pool._free) == 1
    b = pool.take(np, (MIN_BYTES // 4,), np.float32)
    c = pool.take(np, (MIN_BYTES // 4,), np.float32)
    assert not np.shares_memory(b, c)                    # two users never share a block


@pytest.mark.parametrize('layout', ['nchw', 'cnhw', 'strided'])
@pytest.mark.parametrize('pad, value', [((1, 1), 0), ((2, 0), -np.inf), ((0, 3), 7)])
def test_pad_images_matches_np_pad_and_keeps_the_layout(layout, pad, value):
    from keisan.kernels.windows import pad_images
    from keisan.kernels.workspace import workspace
    x = rng(3).standard_normal((3, 2, 4, 5)).astype(np.float32)
    if layout == 'cnhw':            # a convolution's output: an NCHW view of CNHW memory
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    elif layout == 'strided':
        x = np.repeat(x, 2, axis=3)[..., ::2]
    expected = np.pad(x, ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2), constant_values=value)
    for pooled in (False, True):
        got = pad_images(x, pad, value, pooled=pooled)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == x.dtype
        # CNHW stays CNHW, so that windows read along contiguous memory
        assert got.transpose(1, 0, 2, 3).flags.c_contiguous == (layout == 'cnhw')
        if pooled:
            workspace.give(got)


@pytest.mark.parametrize('stride, pad', [(1, 1), (2, 0), ((1, 2), (2, 1))])
def test_row_blocks_hold_the_windows_of_column_blocks_channels_last(monkeypatch, stride, pad):
    import sys
    from keisan.kernels import threads
    from keisan.kernels.windows import column_blocks, row_blocks
    windows_module = sys.modules['keisan.kernels.windows']
    x = rng(5).standard_normal((4, 3, 6, 7)).astype(np.float32)
    (col_block,) = [col.copy() for _, _, col in column_blocks(x, 3, 2, stride, pad)]
    (n0, n1, rows), = [(n0, n1, rows.copy()) for n0, n1, rows in
                       row_blocks(x, 3, 2, stride, pad)]
    assert (n0, n1) == (0, 4)
    oh, ow = conv_output_size(6, 3, *pair_of(stride, pad, 0)), \
        conv_output_size(7, 2, *pair_of(stride, pad, 1))
    # columns (C, kh, kw, N, OH, OW) and rows (N, OH, OW, kh, kw, C) hold the same windows
    np.testing.assert_array_equal(
        rows.reshape(4, oh, ow, 3, 2, 3).transpose(5, 3, 4, 0, 1, 2),
        col_block.reshape(3, 3, 2, 4, oh, ow))
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    monkeypatch.setattr(windows_module, 'WHOLE_COLUMNS_MAX_BYTES', 0)
    monkeypatch.setattr(windows_module, 'COLUMN_BLOCK_BYTES', 1)      # one image per block
    blocks = [(n0, n1, r.copy()) for n0, n1, r in row_blocks(x, 3, 2, stride, pad)]
    assert [(n0, n1) for n0, n1, _ in blocks] == [(i, i + 1) for i in range(4)]
    np.testing.assert_array_equal(np.concatenate([r for _, _, r in blocks]), rows)


def pair_of(stride, pad, axis):
    pair = lambda v: v if isinstance(v, tuple) else (v, v)      # noqa: E731
    return pair(stride)[axis], pair(pad)[axis]


@pytest.mark.parametrize('channels, layout', [(1, 'NHWC'), (8, 'NHWC')])
def test_convolution_output_and_input_gradient_are_channels_last(channels, layout):
    """On NumPy both window layouts write NHWC memory, which the elementwise layers keep
    and the next convolution reads without a transposing copy."""
    from keisan.kernels.windows import memory_layout
    r = rng(6)
    x = ks.Variable(r.standard_normal((2, channels, 6, 6)).astype(np.float32))
    W = r.standard_normal((4, channels, 3, 3)).astype(np.float32)
    y = F.convolution_2d(x, W, np.zeros(4, np.float32), pad=1)
    assert memory_layout(y.data) == layout
    F.sum(y * y).backward()
    np.testing.assert_allclose(y.data, conv_ref(x.data, W, None, 1, 1), rtol=1e-5, atol=1e-5)
    assert memory_layout(x.grad) == ('NHWC' if channels > 1 else 'NCHW')


def test_convolution_of_an_empty_batch(window_layout):
    x = ks.Variable(np.zeros((0, 4, 6, 6), np.float32))
    W = rng(7).standard_normal((3, 4, 3, 3)).astype(np.float32)
    y = F.convolution_2d(x, W, np.zeros(3, np.float32), pad=1)
    assert y.shape == (0, 3, 6, 6)
    F.sum(y).backward()
    assert x.grad.shape == (0, 4, 6, 6)


@pytest.fixture
def small_products(monkeypatch):
    """Force the GEMM pieces of ``kernels.gemm`` on any machine and dtype, with a size
    limit small enough for test inputs."""
    import sys
    from keisan.kernels import gemm, threads
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    monkeypatch.setattr(gemm, 'blas_has_small_kernels', lambda: True)
    monkeypatch.setattr(gemm, 'SMALL_KERNEL_DTYPES', (np.float32, np.float64))
    monkeypatch.setattr(gemm, 'SMALL_PRODUCT_MNK', 200)
    return sys.modules['keisan.kernels.gemm']


def test_row_pieces_split_evenly_under_the_size_limit(small_products):
    gemm = small_products
    f32 = np.dtype(np.float32)
    pieces = gemm.row_pieces(np, f32, 23, 4, 5)                 # 460 > 200: 3 pieces
    assert [(p.start, p.stop) for p in pieces] == [(0, 8), (8, 16), (16, 23)]
    assert all((p.stop - p.start) * 4 * 5 <= 200 for p in pieces)
    assert gemm.row_pieces(np, f32, 10, 4, 5) == [slice(0, 10)]   # fits: one call
    assert gemm.row_pieces(np, f32, 23, 4, 33) == [slice(0, 23)]  # too wide to pay
    assert [(p.start, p.stop) for p in gemm.row_pieces(np, f32, 500, 1, 1)] == \
        [(0, 167), (167, 334), (334, 500)]


def test_row_pieces_are_one_call_unless_every_condition_holds(monkeypatch):
    from keisan.kernels import gemm, threads
    f32 = np.dtype(np.float32)
    monkeypatch.setattr(gemm, 'blas_has_small_kernels', lambda: True)
    monkeypatch.setattr(threads, 'blas_threads', lambda: 2)        # small kernels: 1 thread
    assert gemm.row_pieces(np, f32, 10 ** 4, 144, 16) == [slice(0, 10 ** 4)]
    monkeypatch.setattr(threads, 'blas_threads', lambda: 1)
    assert len(gemm.row_pieces(np, f32, 10 ** 4, 144, 16)) == 24
    assert gemm.row_pieces(np, np.dtype(np.float64), 10 ** 4, 144, 16) == [slice(0, 10 ** 4)]
    monkeypatch.setattr(gemm, 'blas_has_small_kernels', lambda: False)
    assert gemm.row_pieces(np, f32, 10 ** 4, 144, 16) == [slice(0, 10 ** 4)]


def test_products_in_pieces_equal_one_product(small_products):
    gemm = small_products
    r = rng(5)
    a, b, g = r.standard_normal((23, 4)), r.standard_normal((4, 5)), r.standard_normal((23, 5))
    out = np.full((23, 5), np.nan)
    assert gemm.matmul_into(a, b, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-13)
    total = np.ones((4, 5))
    gemm.add_product_over_rows(total, a, g)
    np.testing.assert_allclose(total, 1 + a.T @ g, rtol=1e-13)
    a_t = np.asfortranarray(a)            # the channel-major windows arrive transposed
    np.testing.assert_allclose(gemm.matmul_into(a_t, b, np.empty((23, 5))), a @ b, rtol=1e-13)


@pytest.mark.parametrize('stride, pad', [(1, 1), (2, 0)])
def test_convolution_with_products_in_pieces_is_gradient_checked(small_products, stride, pad,
                                                                  window_layout):
    r = rng(8)
    x, w, b = r.standard_normal((3, 3, 6, 5)), r.standard_normal((4, 3, 3, 3)), \
        r.standard_normal(4)
    assert len(small_products.row_pieces(np, x.dtype, 30, 27, 4)) > 1
    np.testing.assert_allclose(F.convolution_2d(x, w, b, stride, pad).data,
                               conv_ref(x, w, b, stride, pad), rtol=1e-10, atol=1e-12)
    check_backward(lambda x_, w_, b_: F.convolution_2d(x_, w_, b_, stride, pad), (x, w, b))


def test_the_small_kernel_check_reads_the_openblas_core_name():
    from keisan.kernels import gemm, threads
    if threads.openblas_function('get_corename') is None:
        pytest.skip('no OpenBLAS loaded in this process')
    name = threads.openblas_corename()
    assert isinstance(name, str) and name.isprintable() and ' ' not in name
    assert gemm.blas_has_small_kernels() == (name.lower() in gemm.SMALL_KERNEL_CORES)
