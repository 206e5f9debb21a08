"""Max and average pooling."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from keisan.kernels import conv_output_size
from reference import pool_ref, rng


POOL_CASES = [
    # ksize, stride, pad
    (2, None, 0), (3, None, 0), (2, 1, 0), (2, 2, 0), (3, 2, 1), (2, 2, 1), (3, 1, 1),
    (3, None, 1), (2, 1, 1), (3, 3, 0),
]
POOL_SHAPES = [(2, 2, 7, 5), (1, 3, 6, 6), (1, 1, 5, 8)]


def distinct_input(shape, seed):
    """A scaled random permutation: no ties, so the max-pooling argmax is stable."""
    r = rng(seed)
    size = int(np.prod(shape))
    return (r.permutation(size).reshape(shape) - size / 2) * 0.1


@pytest.mark.parametrize('shape', POOL_SHAPES)
@pytest.mark.parametrize('ksize, stride, pad', POOL_CASES)
def test_max_pooling_2d(shape, ksize, stride, pad):
    x = distinct_input(shape, 24)
    y = F.max_pooling_2d(x, ksize, stride=stride, pad=pad)
    s = ksize if stride is None else stride
    assert y.shape == shape[:2] + (conv_output_size(shape[2], ksize, s, pad),
                                   conv_output_size(shape[3], ksize, s, pad))
    assert np.array_equal(y.data, pool_ref(x, ksize, stride, pad, 'max'))
    check_backward(lambda v: F.max_pooling_2d(v, ksize, stride=stride, pad=pad), x)


@pytest.mark.parametrize('shape', POOL_SHAPES)
@pytest.mark.parametrize('ksize, stride, pad', POOL_CASES)
def test_average_pooling_2d(shape, ksize, stride, pad):
    x = rng(25).standard_normal(shape)
    y = F.average_pooling_2d(x, ksize, stride=stride, pad=pad)
    assert np.allclose(y.data, pool_ref(x, ksize, stride, pad, 'avg'))
    check_backward(lambda v: F.average_pooling_2d(v, ksize, stride=stride, pad=pad), x)


def test_pooling_stride_defaults_to_ksize():
    x = rng(26).standard_normal((1, 2, 7, 7))
    for fn in (F.max_pooling_2d, F.average_pooling_2d):
        assert np.array_equal(fn(x, 3).data, fn(x, 3, stride=3).data)
        assert fn(x, 3).shape == (1, 2, 2, 2)
        assert fn(x, 2).shape == (1, 2, 3, 3)


@pytest.mark.parametrize('ksize, stride, pad', [((2, 3), None, 0), ((3, 2), (1, 2), (1, 0)),
                                               ((2, 1), None, (1, 0)), (2, (2, 1), 1)])
@pytest.mark.parametrize('fn, kind', [(F.max_pooling_2d, 'max'),
                                      (F.average_pooling_2d, 'avg')], ids=['max', 'avg'])
def test_pooling_non_square(fn, kind, ksize, stride, pad):
    x = distinct_input((1, 2, 7, 6), 31)
    y = fn(x, ksize, stride=stride, pad=pad)
    ref = pool_ref(x, ksize, stride, pad, kind)
    assert y.shape == ref.shape
    assert np.allclose(y.data, ref)
    check_backward(lambda v: fn(v, ksize, stride=stride, pad=pad), x)


def test_non_square_pooling_stride_defaults_to_both_sides_of_ksize():
    x = rng(32).standard_normal((1, 1, 4, 6))
    assert F.max_pooling_2d(x, (2, 3)).shape == (1, 1, 2, 2)
    assert F.average_pooling_2d(x, (2, 1)).shape == (1, 1, 2, 6)


@pytest.mark.parametrize('ksize, pad', [(2, 2), (3, 3), ((3, 2), (1, 2))])
def test_max_pooling_rejects_pad_not_smaller_than_ksize(ksize, pad):
    with pytest.raises(ValueError, match='max_pooling_2d.*pad'):
        F.max_pooling_2d(np.ones((1, 1, 5, 5)), ksize, stride=1, pad=pad)


def test_max_pooling_with_pad_never_picks_the_padding():
    x = -1 - distinct_input((1, 2, 5, 5), 27) ** 2     # all negative: a 0 pad would win
    y = F.max_pooling_2d(x, 3, stride=2, pad=1).data
    assert (y < 0).all() and np.isfinite(y).all()
    assert np.array_equal(y, pool_ref(x, 3, 2, 1, 'max'))
    v = ks.Variable(x)
    F.sum(F.max_pooling_2d(v, 2, stride=2, pad=1)).backward()
    assert v.grad.sum() == 2 * 3 * 3                  # every window sends 1 to a real pixel


@pytest.mark.parametrize('dtype', [np.int64, np.int32, np.int8, np.uint8])
@pytest.mark.parametrize('ksize, stride, pad', [(3, 2, 1), (2, 2, 1), (2, 1, 0), (2, None, 0)])
def test_max_pooling_of_integers_keeps_the_dtype(dtype, ksize, stride, pad):
    lo = np.iinfo(dtype).min
    x = rng(28).integers(lo, lo + 100, (1, 2, 5, 5)).astype(dtype)   # the dtype's minimum too
    y = F.max_pooling_2d(x, ksize, stride=stride, pad=pad).data
    assert y.dtype == dtype
    assert np.array_equal(y, pool_ref(x.astype(np.float64), ksize, stride, pad, 'max'))


@pytest.mark.parametrize('fn', [F.max_pooling_2d, F.average_pooling_2d],
                         ids=['max', 'avg'])
@pytest.mark.parametrize('stride, pad', [(None, 0), (2, 1), (1, 0)])
def test_pooling_keeps_float32(fn, stride, pad):
    v = ks.Variable(rng(29).standard_normal((1, 2, 5, 5)).astype(np.float32))
    y = fn(v, 2, stride=stride, pad=pad)
    F.sum(y).backward()
    assert y.dtype == np.float32 and v.grad.dtype == np.float32


def test_max_pooling_gradient_goes_to_the_max():
    x = np.array([[[[1., 5.], [3., 2.]]]])
    v = ks.Variable(x)
    F.max_pooling_2d(v, 2).backward()
    assert np.array_equal(v.grad, [[[[0., 1.], [0., 0.]]]])


def test_pooling_bad_arguments():
    with pytest.raises(ValueError, match='max_pooling_2d'):
        F.max_pooling_2d(np.ones((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match='average_pooling_2d'):
        F.average_pooling_2d(np.ones((1, 2, 2)), 2)
    with pytest.raises(ValueError, match='max_pooling_2d'):
        F.max_pooling_2d(np.ones((1, 1, 4, 4)), 2, stride=0)
