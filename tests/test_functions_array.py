"""Shape and reduction functions: gradient checks (float64), forward values, errors."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize('in_shape, shape', [((2, 6), (3, 4)), ((2, 6), (-1,)),
                                             ((2, 3, 4), (4, -1)), ((6,), (1, 6, 1)),
                                             ((2, 3), (2, 3))])
def test_reshape(in_shape, shape):
    x = rng(1).standard_normal(in_shape)
    y = F.reshape(x, shape)
    assert np.array_equal(y.data, x.reshape(shape))
    check_backward(lambda v: F.reshape(v, shape), x)


def test_reshape_accepts_int_and_reports_bad_shape():
    x = np.arange(6.0)
    assert F.reshape(x, 6).shape == (6,)
    with pytest.raises(ValueError) as e:
        F.reshape(x, (4, 2))
    assert 'reshape' in str(e.value) and '(6,)' in str(e.value) and '(4, 2)' in str(e.value)


@pytest.mark.parametrize('fn', [lambda v: F.reshape(v, v.shape), lambda v: F.reshape(v, -1),
                                lambda v: F.flatten(v), lambda v: F.squeeze(v)],
                         ids=['reshape', 'reshape_-1', 'flatten', 'squeeze'])
def test_reshape_to_the_same_shape_returns_a_new_variable(fn):
    x = ks.Variable(np.arange(4.0), name='x')
    y = fn(x)
    assert y is not x and y.shape == x.shape and np.shares_memory(y.data, x.data)
    y.name = 'y'
    y.unchain()
    y.cleargrad()
    assert x.name == 'x'
    h = x * 2
    fn(h).unchain()                                 # must not cut h from its creator
    assert h.creator is not None
    F.sum(fn(x)).backward()
    assert np.array_equal(x.grad, np.ones(4))
    assert not fn(np.arange(4.0)).requires_grad


def test_reshape_type_error_names_reshape():
    with pytest.raises(TypeError, match='reshape'):
        F.reshape(3.0, (1,))


@pytest.mark.parametrize('shape, axes', [((2, 3), None), ((2, 3, 4), None),
                                         ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (2, 0, 1)),
                                         ((2, 3, 4), (0, -1, 1)), ((2, 3, 4), (-1, -3, -2)),
                                         ((3,), None)])
def test_transpose(shape, axes):
    x = rng(2).standard_normal(shape)
    y = F.transpose(x, axes)
    assert np.array_equal(y.data, np.transpose(x, axes))
    check_backward(lambda v: F.transpose(v, axes), x)


@pytest.mark.parametrize('axes', [(0, 1), (0, 0, 1), (0, 1, 3)])
def test_transpose_bad_axes(axes):
    with pytest.raises(ValueError, match='transpose'):
        F.transpose(np.ones((2, 3, 4)), axes)


@pytest.mark.parametrize('in_shape, shape', [((3, 1), (2, 3, 4)), ((4,), (2, 3, 4)),
                                             ((), (2, 3)), ((1, 3), (2, 3)),
                                             ((2, 3), (2, 3))])
def test_broadcast_to(in_shape, shape):
    x = rng(3).standard_normal(in_shape)
    y = F.broadcast_to(x, shape)
    assert np.array_equal(y.data, np.broadcast_to(x, shape))
    check_backward(lambda v: F.broadcast_to(v, shape), x)


def test_broadcast_to_error():
    with pytest.raises(ValueError, match='broadcast_to'):
        F.broadcast_to(np.ones((2, 3)), (4, 3))


@pytest.mark.parametrize('in_shape, shape', [((2, 3, 4), (3, 1)), ((2, 3, 4), (4,)),
                                             ((2, 3, 4), (1, 3, 1)), ((2, 3), ()),
                                             ((2, 3), (2, 3)), ((5, 2), (1, 2))])
def test_sum_to(in_shape, shape):
    x = rng(4).standard_normal(in_shape)
    y = F.sum_to(x, shape)
    assert y.shape == shape
    # reference: sum over the leading axes, then over the axes where shape has 1
    lead = len(in_shape) - len(shape)
    ref = x.sum(axis=tuple(range(lead))) if lead else x
    ref = ref.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)
    assert np.allclose(y.data, ref.reshape(shape))
    check_backward(lambda v: F.sum_to(v, shape), x)


@pytest.mark.parametrize('fn, np_fn', [(F.sum, np.sum), (F.mean, np.mean)],
                         ids=['sum', 'mean'])
@pytest.mark.parametrize('axis', [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)])
@pytest.mark.parametrize('keepdims', [False, True])
def test_sum_mean(fn, np_fn, axis, keepdims):
    x = rng(5).standard_normal((2, 3, 4))
    y = fn(x, axis=axis, keepdims=keepdims)
    ref = np_fn(x, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(ref)
    assert np.allclose(y.data, ref)
    check_backward(lambda v: fn(v, axis=axis, keepdims=keepdims), x)


def test_sum_mean_of_0d_and_1d():
    check_backward(F.sum, np.array(1.5))
    check_backward(F.mean, np.array([1.5, 2.0, -1.0]))


def test_mean_of_integer_array_is_not_truncated():
    y = F.mean(np.array([1, 2]))
    assert np.allclose(y.data, 1.5)


def test_mean_keeps_float32():
    y = F.mean(np.ones((2, 3), np.float32), axis=0)
    assert y.dtype == np.float32


@pytest.mark.parametrize('index', [
    (slice(1, None), slice(None, None, 2)),
    np.array([0, 2, 0, 1]),
    np.array([[1, 1], [2, 0]]),
    (slice(None), np.array([3, 3, 0])),
    (np.array([0, 1, 0]), np.array([1, 1, 1])),
    np.array([True, False, True]),
    'mask2d',
    1,
    -1,
    (Ellipsis, 2),
    (None, slice(None), 0),
    slice(None, None, -1),
])
def test_get_item(index):
    x = rng(6).standard_normal((3, 4))
    if isinstance(index, str):
        index = x > 0
    y = F.get_item(x, index)
    assert np.array_equal(y.data, x[index])
    check_backward(lambda v: F.get_item(v, index), x)
    check_backward(lambda v: v[index], x)


def test_get_item_repeats_add_up():
    x = ks.Variable(np.zeros((3, 2)))
    y = x[np.array([2, 2, 2, 0])]
    F.sum(y).backward()
    assert np.array_equal(x.grad, [[1., 1.], [0., 0.], [3., 3.]])


def test_get_item_out_of_bounds():
    with pytest.raises(IndexError, match='get_item'):
        F.get_item(np.ones(3), 5)


@pytest.mark.parametrize('shapes, axis', [([(2, 3), (2, 1), (2, 4)], 1),
                                          ([(2, 3), (1, 3)], 0),
                                          ([(2, 3, 2), (2, 3, 1)], -1),
                                          ([(3,)], 0)])
def test_concat(shapes, axis):
    r = rng(7)
    xs = [r.standard_normal(s) for s in shapes]
    y = F.concat(xs, axis=axis)
    assert np.array_equal(y.data, np.concatenate(xs, axis=axis))
    check_backward(lambda *vs: F.concat(vs, axis=axis), tuple(xs))


def test_concat_error():
    with pytest.raises(ValueError, match='concat'):
        F.concat([np.ones((2, 3)), np.ones((3, 2))], axis=1)


@pytest.mark.parametrize('axis', [0, 1, 2, -1])
def test_stack(axis):
    r = rng(8)
    xs = [r.standard_normal((2, 3)) for _ in range(3)]
    y = F.stack(xs, axis=axis)
    assert np.array_equal(y.data, np.stack(xs, axis=axis))
    check_backward(lambda *vs: F.stack(vs, axis=axis), tuple(xs))


def test_stack_error():
    with pytest.raises(ValueError, match='stack'):
        F.stack([np.ones(2), np.ones(3)])


@pytest.mark.parametrize('start_axis, shape', [(0, (24,)), (1, (2, 12)), (2, (2, 3, 4))])
def test_flatten(start_axis, shape):
    x = rng(9).standard_normal((2, 3, 4))
    y = F.flatten(x, start_axis) if start_axis else F.flatten(x)
    assert y.shape == shape
    assert np.array_equal(y.data, x.reshape(shape))
    check_backward(lambda v: F.flatten(v, start_axis), x)


@pytest.mark.parametrize('axis', [0, 1, 2, -1, -3])
def test_expand_dims(axis):
    x = rng(10).standard_normal((2, 3))
    y = F.expand_dims(x, axis)
    assert y.shape == np.expand_dims(x, axis).shape
    assert np.array_equal(y.data, np.expand_dims(x, axis))
    check_backward(lambda v: F.expand_dims(v, axis), x)


@pytest.mark.parametrize('axis', [None, 0, 2, (0, 2), -1])
def test_squeeze(axis):
    x = rng(11).standard_normal((1, 3, 1))
    y = F.squeeze(x, axis)
    assert y.shape == np.squeeze(x, axis).shape
    check_backward(lambda v: F.squeeze(v, axis), x)


def test_squeeze_error():
    with pytest.raises(ValueError, match='squeeze'):
        F.squeeze(np.ones((1, 3)), 1)


def test_shape_functions_type_errors():
    for fn in (lambda: F.flatten([1, 2]), lambda: F.expand_dims('a', 0),
               lambda: F.squeeze((1,)), lambda: F.transpose([1, 2]),
               lambda: F.concat([np.ones(2), [1, 2]], axis=0)):
        with pytest.raises(TypeError):
            fn()


def test_composite_shape_graph():
    r = rng(12)
    a, b = r.standard_normal((2, 3)), r.standard_normal((3, 2))

    def f(x, y):
        z = F.concat([x, F.transpose(y)], axis=0)          # (4, 3)
        z = F.reshape(z, (2, 6))[:, ::2]                   # (2, 3)
        return F.sum(F.stack([z, x], axis=1) ** 2, axis=(1, 2))
    check_backward(f, (a, b))


@pytest.mark.parametrize('fn, np_fn', [(F.sum, np.sum), (F.mean, np.mean)],
                         ids=['sum', 'mean'])
@pytest.mark.parametrize('axis, np_axis', [([0, 2], (0, 2)), (np.int64(1), 1),
                                           ((np.int64(-1),), (-1,))])
def test_sum_mean_axis_spellings(fn, np_fn, axis, np_axis):
    x = rng(13).standard_normal((2, 3, 4))
    assert np.allclose(fn(x, axis).data, np_fn(x, axis=np_axis))
    check_backward(lambda v: fn(v, axis), x)


def test_shape_arguments_accept_ints_and_lists():
    x = np.ones(1)
    assert F.broadcast_to(x, 3).shape == (3,)
    assert F.broadcast_to(x, [2, 3]).shape == (2, 3)
    assert F.sum_to(np.ones((2, 3)), 3).shape == (3,)
    assert F.reshape(np.ones((2, 3)), [3, np.int64(2)]).shape == (3, 2)
    assert F.squeeze(np.ones((1, 3)), np.int64(0)).shape == (3,)


def test_docstrings_of_shape_functions():
    for cls in (F.Reshape, F.Transpose, F.BroadcastTo, F.SumTo, F.Sum, F.Mean, F.GetItem,
                F.Concat, F.Stack):
        assert cls.__doc__, cls.__name__            # class docstrings are not inherited
    for fn in (F.reshape, F.sum, F.mean, F.concat, F.stack):
        assert '->' in fn.__doc__ or 'shape' in fn.__doc__, fn.__name__
