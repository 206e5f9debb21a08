"""The fully connected ``linear`` (the book's Affine)."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward
from reference import rng


@pytest.mark.parametrize('x_shape, bias', [((4, 3), True), ((4, 3), False),
                                           ((2, 3, 4), True), ((2, 2, 2, 3), False),
                                           ((1, 5), True)])
def test_linear(x_shape, bias):
    r = rng(7)
    x = r.standard_normal(x_shape)
    d = int(np.prod(x_shape[1:]))
    W = r.standard_normal((d, 3))
    b = r.standard_normal(3)
    y = F.linear(x, W, b if bias else None)
    ref = x.reshape(len(x), -1) @ W + (b if bias else 0)
    assert y.shape == (x_shape[0], 3)
    assert np.allclose(y.data, ref)
    if bias:
        check_backward(F.linear, (x, W, b))
    else:
        check_backward(F.linear, (x, W))


def test_linear_input_grad_has_input_shape():
    x = ks.Variable(rng(8).standard_normal((2, 3, 4)))
    W = ks.Parameter(rng(9).standard_normal((12, 5)))
    F.sum(F.linear(x, W)).backward()
    assert x.grad.shape == (2, 3, 4) and W.grad.shape == (12, 5)


def test_linear_empty_batch():
    x = ks.Variable(np.ones((0, 2, 3)))
    W = ks.Parameter(np.ones((6, 4)))
    y = F.linear(x, W)
    assert y.shape == (0, 4)
    F.sum(y).backward()
    assert x.grad.shape == (0, 2, 3) and np.array_equal(W.grad, np.zeros((6, 4)))


@pytest.mark.parametrize('x_shape, w_shape, b_shape', [((2, 3), (4, 5), None),
                                                       ((2, 3, 4), (11, 5), None),
                                                       ((2, 3), (3, 5), (4,)),
                                                       ((2, 3), (3,), None)])
def test_linear_shape_mismatch(x_shape, w_shape, b_shape):
    args = [np.ones(x_shape), np.ones(w_shape)] + ([np.ones(b_shape)] if b_shape else [])
    with pytest.raises(ValueError) as e:
        F.linear(*args)
    msg = str(e.value)
    assert 'linear' in msg and str(w_shape) in msg
    assert str(x_shape) in msg or str(b_shape) in msg
