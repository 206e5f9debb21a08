"""Elementwise math and matmul: gradient checks (float64), forward values, bad input."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from(r, shape, points=(0.0,), margin=0.1, low=-2.0, high=2.0):
    """Uniform values in [low, high] at least ``margin`` away from every point."""
    x = r.uniform(low, high, shape)
    for _ in range(100):
        bad = np.zeros(x.shape, bool)
        for p in points:
            bad |= np.abs(x - p) < margin
        if not bad.any():
            return x
        x[bad] = r.uniform(low, high, int(bad.sum()))
    raise AssertionError('could not sample away from %s' % (points,))


SHAPES = [(3,), (2, 3), (2, 1, 3)]


# ----- binary ops ---------------------------------------------------------------------
@pytest.mark.parametrize('fn', [F.add, F.sub, F.mul, F.div], ids=lambda f: f.__name__)
@pytest.mark.parametrize('s0, s1', [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                    ((), (2, 3)), ((2, 3), ())])
def test_arithmetic_backward(fn, s0, s1):
    r = rng(1)
    a = r.standard_normal(s0)
    b = r.uniform(0.5, 2.0, s1) * r.choice([-1, 1], s1)   # away from 0 for div
    check_backward(fn, (a, b))


@pytest.mark.parametrize('shape', SHAPES)
def test_neg_backward(shape):
    check_backward(F.neg, rng(2).standard_normal(shape))


@pytest.mark.parametrize('c', [2, 3, 0.5, -1.5, 1, 0])
def test_pow_constant_exponent_backward(c):
    x = rng(3).uniform(0.5, 2.0, (2, 3))
    check_backward(lambda v: F.pow(v, c), x)
    check_backward(lambda v: v ** c, x)


def test_pow_constant_zero_exponent_at_zero_has_zero_grad():
    x = ks.Variable(np.array([0.0, 1.0, -2.0]))
    y = x ** 0
    assert np.array_equal(y.data, [1., 1., 1.])
    F.sum(y).backward()
    assert np.array_equal(x.grad, [0., 0., 0.])


@pytest.mark.parametrize('s0, s1', [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), ())])
def test_pow_variable_exponent_backward(s0, s1):
    r = rng(4)
    check_backward(F.pow, (r.uniform(0.5, 2.0, s0), r.uniform(-1.5, 1.5, s1)))
    check_backward(lambda a, b: a ** b, (r.uniform(0.5, 2.0, s0), r.uniform(-1.5, 1.5, s1)))


def test_rpow_backward():
    check_backward(lambda v: 2.0 ** v, rng(5).standard_normal((2, 3)))
    check_backward(lambda v: np.full(3, 1.5) ** v, rng(5).standard_normal((2, 3)))


@pytest.mark.parametrize('fn, np_fn, sample', [
    (F.exp, np.exp, lambda r, s: r.uniform(-2, 2, s)),
    (F.log, np.log, lambda r, s: r.uniform(0.2, 3, s)),
    (F.sqrt, np.sqrt, lambda r, s: r.uniform(0.2, 3, s)),
    (F.square, np.square, lambda r, s: r.standard_normal(s)),
    (F.absolute, np.abs, lambda r, s: away_from(r, s)),
    (F.abs, np.abs, lambda r, s: away_from(r, s)),
    (F.sin, np.sin, lambda r, s: r.uniform(-3, 3, s)),
    (F.cos, np.cos, lambda r, s: r.uniform(-3, 3, s)),
    (F.tanh, np.tanh, lambda r, s: r.uniform(-2, 2, s)),
], ids=lambda v: getattr(v, '__name__', None))
@pytest.mark.parametrize('shape', SHAPES + [()])
def test_unary_math(fn, np_fn, sample, shape):
    x = sample(rng(6), shape)
    y = fn(x)
    assert isinstance(y, ks.Variable) and y.shape == x.shape
    assert np.allclose(y.data, np_fn(x))
    check_backward(fn, x)


@pytest.mark.parametrize('fn, np_fn', [(F.maximum, np.maximum), (F.minimum, np.minimum)],
                         ids=['maximum', 'minimum'])
@pytest.mark.parametrize('s0, s1', [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 2))])
def test_maximum_minimum(fn, np_fn, s0, s1):
    r = rng(7)
    a = r.standard_normal(s0)
    b = r.standard_normal(s1)
    # keep |a - b| >= 0.1 everywhere (no ties within eps)
    bb = np.broadcast_to(b, np.broadcast_shapes(s0, s1))
    aa = np.broadcast_to(a, bb.shape)
    while (np.abs(aa - bb) < 0.1).any():
        a = r.standard_normal(s0)
        aa = np.broadcast_to(a, bb.shape)
    y = fn(a, b)
    assert np.allclose(y.data, np_fn(a, b))
    check_backward(fn, (a, b))


def test_maximum_with_scalar():
    x = away_from(rng(8), (2, 3), points=(0.5,))
    check_backward(lambda v: F.maximum(v, 0.5), x)
    check_backward(lambda v: F.minimum(0.5, v), x)


def test_maximum_tie_goes_to_first_input():
    a, b = ks.Variable(np.array([1.0, 2.0])), ks.Variable(np.array([1.0, 3.0]))
    F.sum(F.maximum(a, b)).backward()
    assert np.array_equal(a.grad, [1., 0.]) and np.array_equal(b.grad, [0., 1.])


@pytest.mark.parametrize('lo, hi', [(-0.5, 0.5), (None, 0.3), (-0.3, None), (0.0, 1.0)])
def test_clip(lo, hi):
    pts = [p for p in (lo, hi) if p is not None]
    x = away_from(rng(9), (3, 4), points=pts, margin=0.05, low=-1.5, high=1.5)
    y = F.clip(x, lo, hi)
    assert np.allclose(y.data, np.clip(x, lo, hi))
    check_backward(lambda v: F.clip(v, lo, hi), x)


def test_clip_follows_numpy_dtypes():
    y = F.clip(np.array([1, 2, 3]), 1.5, 2.5).data        # not truncated to [1, 2, 2]
    assert y.dtype == np.float64 and np.array_equal(y, [1.5, 2.0, 2.5])
    assert F.clip(np.array([1, 2, 3], np.int64), 2, None).dtype == np.int64
    assert F.clip(np.ones(3, np.float32), 0.0, np.float64(0.5)).dtype == np.float32


def test_clip_rejects_inverted_bounds():
    with pytest.raises(ValueError, match='clip'):
        F.clip(np.ones(3), 1.0, 0.0)


def test_elementwise_forward_values():
    r = rng(10)
    a, b = r.uniform(0.5, 2, (2, 3)), r.uniform(0.5, 2, (2, 3))
    assert np.allclose(F.add(a, b).data, a + b)
    assert np.allclose(F.sub(a, b).data, a - b)
    assert np.allclose(F.mul(a, b).data, a * b)
    assert np.allclose(F.div(a, b).data, a / b)
    assert np.allclose(F.pow(a, b).data, a ** b)
    assert np.allclose(F.pow(a, 3).data, a ** 3)
    assert np.allclose(F.neg(a).data, -a)


# ----- matmul -------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (4, 3)),
    ((2, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize('s0, s1', MATMUL_SHAPES)
def test_matmul(s0, s1):
    r = rng(11)
    a, b = r.standard_normal(s0), r.standard_normal(s1)
    y = F.matmul(a, b)
    assert y.shape == (a @ b).shape
    assert np.allclose(y.data, a @ b)
    check_backward(F.matmul, (a, b))


def test_matmul_only_one_side_differentiated():
    r = rng(12)
    a, b = r.standard_normal((2, 3)), r.standard_normal((3, 4))
    check_backward(F.matmul, (a, b), no_grads=[True, False])
    check_backward(F.matmul, (a, b), no_grads=[False, True])


@pytest.mark.parametrize('s0, s1', [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (3, 4, 5)),
                                    ((2, 3), (2,))])
def test_matmul_shape_mismatch_message(s0, s1):
    with pytest.raises(ValueError) as e:
        F.matmul(np.ones(s0), np.ones(s1))
    msg = str(e.value)
    assert 'matmul' in msg and str(s0) in msg and str(s1) in msg


def test_matmul_0d_is_rejected():
    with pytest.raises(ValueError, match='matmul'):
        F.matmul(np.ones(()), np.ones(3))


@pytest.mark.parametrize('call, type_name', [
    (lambda: F.matmul('a', np.ones((2, 2))), 'str'),
    (lambda: F.add(np.ones(2), [1, 2]), 'list'),
    (lambda: F.exp({'a': 1}), 'dict'),
    (lambda: F.maximum(np.ones(2), 'x'), 'str'),
    (lambda: F.pow(np.ones(2), [2]), 'list'),
])
def test_non_array_arguments_raise_type_error(call, type_name):
    with pytest.raises(TypeError, match=type_name):
        call()


def test_docstrings():
    for cls in (F.Add, F.Sub, F.Mul, F.Div, F.Neg, F.Exp, F.Log, F.Sqrt, F.Square, F.Abs,
                F.Sin, F.Cos, F.Tanh, F.Clip, F.Identity, F.ReLU, F.LeakyReLU, F.Sigmoid,
                F.Softmax, F.LogSoftmax):
        assert cls.__doc__, cls.__name__            # class docstrings are not inherited
    for fn in (F.add, F.sub, F.mul, F.div, F.exp, F.sqrt, F.square, F.absolute, F.abs,
               F.sin, F.cos, F.tanh, F.identity, F.sigmoid, F.relu, F.leaky_relu,
               F.softmax, F.log_softmax):
        assert '->' in fn.__doc__, fn.__name__      # states the shapes


def test_star_import_shadows_no_builtin():
    """``from keisan.functions import *`` must leave sum, abs, pow (and the standard
    library's math) alone; ``F.sum`` and friends still work."""
    import builtins
    namespace = {}
    exec('from keisan.functions import *', namespace)
    assert not (set(namespace) - {'__builtins__'}) & set(vars(builtins))
    assert 'math' not in namespace and 'array' not in namespace     # no submodules
    assert {'relu', 'softmax_cross_entropy', 'Linear', 'im2col'} <= set(namespace)
    x = ks.Variable(np.array([-1.0, 2.0]))
    assert float(F.sum(F.abs(x)).data) == 3.0 and float(F.sum(F.pow(x, 2)).data) == 5.0
    assert sum([1, 2]) == 3                 # the builtins of this module are untouched
