"""The define-by-run engine: graph recording, backward, operators, memory, dtypes.

Semantics pinned down here:
* leaf gradients accumulate across ``backward`` calls until ``cleargrad()``;
* gradients of intermediate variables are recomputed by every call and freed
  afterwards unless ``backward(retain_grad=True)``;
* a graph nobody references is freed (Functions hold outputs weakly).
"""
import gc
import time
import weakref

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F


def rng(seed=0):
    return np.random.default_rng(seed)


def var(a, **kw):
    return ks.Variable(np.asarray(a, dtype=np.float64), **kw)


# ----- the README example -------------------------------------------------------------
def test_readme_example_gradients_match_hand_computation():
    xd = np.array([[1., 2.], [3., 4.]])
    Wd = rng(1).standard_normal((2, 3))
    x = ks.Variable(xd)
    W = ks.Parameter(Wd.copy())
    y = F.sum(F.relu(x @ W + 1.0) * x[:, :1])
    y.backward()

    h = xd @ Wd + 1.0
    r = np.maximum(h, 0)
    s = xd[:, :1]                               # (2, 1), broadcast over 3 columns
    assert np.allclose(y.data, (r * s).sum())
    gh = s * (h > 0)                            # d y / d h
    gW = xd.T @ gh
    gx = gh @ Wd.T
    gx[:, 0] += r.sum(axis=1)                   # the x[:, :1] branch
    assert np.allclose(W.grad, gW)
    assert np.allclose(x.grad, gx)
    assert x.grad.shape == x.shape and W.grad.shape == W.shape


def test_readme_example_graph_structure():
    x = ks.Variable(np.array([[1., 2.], [3., 4.]]))
    W = ks.Parameter(rng(2).standard_normal((2, 3)))
    y = F.sum(F.relu(x @ W + 1.0) * x[:, :1])
    assert isinstance(y.creator, F.Sum)
    prod, = y.creator.inputs
    assert isinstance(prod.creator, F.Mul)
    relu_out, sliced = prod.creator.inputs
    assert isinstance(relu_out.creator, F.ReLU)
    assert isinstance(sliced.creator, F.GetItem) and sliced.creator.inputs[0] is x
    added, = relu_out.creator.inputs
    assert isinstance(added.creator, F.Add)
    mm, one = added.creator.inputs
    assert isinstance(mm.creator, F.MatMul)
    assert mm.creator.inputs[0] is x and mm.creator.inputs[1] is W
    assert one.creator is None and not one.requires_grad
    assert x.creator is None and W.creator is None
    assert y.generation > prod.generation > relu_out.generation > x.generation


# ----- branching, shared inputs, repeated backward ------------------------------------
def test_branch_x_times_x_plus_x():
    xd = rng(3).standard_normal(5)
    x = var(xd)
    y = x * x + x
    y.backward()
    assert np.allclose(x.grad, 2 * xd + 1)


def test_diamond():
    xd = rng(4).standard_normal((2, 3))
    x = var(xd)
    a = x * 2
    b = a * 3
    c = a + 1
    y = b * c                                   # 6x (2x + 1) = 12x^2 + 6x
    y.backward()
    assert np.allclose(y.data, 12 * xd ** 2 + 6 * xd)
    assert np.allclose(x.grad, 24 * xd + 6)


def test_diamond_through_intermediate_used_three_times():
    xd = rng(5).standard_normal(4)
    x = var(xd)
    a = F.exp(x)
    y = F.sum(a * a + a)                        # e^2x + e^x
    y.backward()
    assert np.allclose(x.grad, 2 * np.exp(2 * xd) + np.exp(xd))


@pytest.mark.parametrize('fn, grad', [
    (lambda x: F.mul(x, x), lambda xd: 2 * xd),
    (lambda x: F.add(x, x), lambda xd: 2 * np.ones_like(xd)),
    (lambda x: F.sub(x, x), lambda xd: np.zeros_like(xd)),
    (lambda x: F.div(x, x), lambda xd: np.zeros_like(xd)),
    (lambda x: F.matmul(x, x), None),
])
def test_same_variable_twice_in_one_call(fn, grad):
    xd = rng(6).standard_normal((3, 3)) + 3 * np.eye(3)
    x = var(xd)
    y = fn(x)
    y.backward()
    expected = grad(xd) if grad is not None else (
        np.ones((3, 3)) @ xd.T + xd.T @ np.ones((3, 3)))
    assert np.allclose(x.grad, expected)


def test_intermediate_used_twice_in_one_call():
    xd = rng(7).standard_normal(3)
    x = var(xd)
    a = x * 3
    y = F.mul(a, a)                             # 9 x^2
    y.backward()
    assert np.allclose(x.grad, 18 * xd)


def test_two_backward_passes_accumulate_leaf_grads_only():
    """Leaf grads accumulate until cleargrad(); intermediates are recomputed each call."""
    xd = rng(8).standard_normal(4)
    x = var(xd)
    h = x * x
    y = F.sum(h)
    y.backward(retain_grad=True)
    assert np.allclose(x.grad, 2 * xd)
    assert np.allclose(h.grad, 1)
    y.backward(retain_grad=True)
    assert np.allclose(x.grad, 4 * xd)          # accumulated
    assert np.allclose(h.grad, 1)               # recomputed, not accumulated
    x.cleargrad()
    assert x.grad is None
    y.backward()
    assert np.allclose(x.grad, 2 * xd)


def test_backward_after_retained_intermediate_uses_fresh_grads():
    x = var([1., 2.])
    a = x * 2
    b = F.sum(a * a)
    b.backward(retain_grad=True)
    assert np.allclose(a.grad, 2 * a.data)
    c = F.sum(a * 5)                            # a new graph sharing `a`
    c.backward(retain_grad=True)
    assert np.allclose(a.grad, 5)               # not 5 + the grad of the old graph
    assert np.allclose(x.grad, 8 * x.data + 10)  # leaf accumulates both graphs


def test_retain_grad_keeps_intermediate_grads_default_frees_them():
    xd = rng(9).standard_normal(3)
    x = var(xd)
    a = F.exp(x)
    b = a * 2
    y = F.sum(b)
    y.backward()
    assert a.grad is None and b.grad is None
    assert np.allclose(y.grad, 1)               # the variable backward started from keeps it
    assert np.allclose(x.grad, 2 * np.exp(xd))

    x2 = var(xd)
    a2 = F.exp(x2)
    b2 = a2 * 2
    y2 = F.sum(b2)
    y2.backward(retain_grad=True)
    assert np.allclose(b2.grad, 1)
    assert np.allclose(a2.grad, 2)
    assert np.allclose(x2.grad, 2 * np.exp(xd))


def test_backward_seeds_ones_for_non_scalar_output():
    x = var([1., 2., 3.])
    y = x * x
    y.backward()
    assert np.allclose(x.grad, 2 * x.data)


def test_backward_uses_given_output_grad():
    x = var([1., 2., 3.])
    y = x * 3
    y.grad = np.array([1., 10., 100.])
    y.backward()
    assert np.allclose(x.grad, [3., 30., 300.])


def test_requires_grad_false_input_gets_no_grad():
    x = var([1., 2.])
    c = var([3., 4.], requires_grad=False)
    y = F.sum(x * c)
    y.backward()
    assert np.allclose(x.grad, [3., 4.])
    assert c.grad is None


def test_long_chain_has_no_recursion_error_and_is_freed():
    x = var([0.5])
    y = x
    n = 100_000
    start = time.perf_counter()
    gc.disable()            # the cyclic GC rescanning 200k live objects doubles the build time
    try:
        for _ in range(n):
            y = y + 1
        y.backward()        # iterative: no RecursionError
    finally:
        gc.enable()
    assert np.allclose(y.data, 0.5 + n)
    assert np.allclose(x.grad, 1)
    ref = weakref.ref(y.creator)
    del y                   # deep graph teardown must not recurse either
    gc.collect()
    assert ref() is None
    assert time.perf_counter() - start < 30


def test_long_mul_chain():
    x = var([2.0])
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.backward()
    assert np.allclose(x.grad, 1)


# ----- memory -------------------------------------------------------------------------
def test_finished_graph_is_garbage_collected():
    x = var(rng(10).standard_normal(3))
    h = F.tanh(x)
    fn = h.creator
    y = F.sum(h * h)
    h_ref, fn_ref, y_fn_ref = weakref.ref(h), weakref.ref(fn), weakref.ref(y.creator)
    y.backward()
    del h, fn
    assert h_ref() is not None                  # still reachable from y
    del y
    gc.collect()
    assert h_ref() is None and fn_ref() is None and y_fn_ref() is None
    assert x.grad is not None                   # leaves survive


def test_graph_has_no_reference_cycles():
    """Functions hold outputs weakly: refcounting alone frees the graph."""
    gc.collect()
    gc.disable()
    try:
        x = var(rng(11).standard_normal(3))
        h = x * 2
        y = F.sum(F.exp(h))
        refs = [weakref.ref(h), weakref.ref(h.creator), weakref.ref(y.creator)]
        y.backward()
        del h, y
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_function_outputs_are_weak_references():
    x = var([1., 2.])
    y = x * 2
    fn = y.creator
    assert fn.outputs[0]() is y
    del y
    assert fn.outputs[0]() is None


# ----- no_grad / config ---------------------------------------------------------------
def test_no_grad_records_nothing():
    x = var([1., 2.])
    with ks.no_grad():
        y = F.sum(x * 2 + 1)
        assert y.creator is None
        assert not y.requires_grad
    assert ks.config.enable_backprop
    z = x * 2
    assert z.creator is not None


def test_using_config_and_test_mode_switch_dropout_to_identity():
    xd = rng(12).standard_normal((20, 20))
    x = var(xd)
    with ks.using_config('train', False):
        assert np.array_equal(F.dropout(x, 0.5).data, xd)
    with ks.test_mode():
        assert np.array_equal(F.dropout(x, 0.9).data, xd)
        assert np.array_equal(F.dropout(xd, 0.5).data, xd)
    assert ks.config.train
    assert not np.array_equal(F.dropout(x, 0.5).data, xd)


# ----- operators and array-like methods -------------------------------------------------
BINARY = [
    ('+', lambda a, b: a + b),
    ('-', lambda a, b: a - b),
    ('*', lambda a, b: a * b),
    ('/', lambda a, b: a / b),
    ('**', lambda a, b: a ** b),
]


@pytest.mark.parametrize('name, op', BINARY)
def test_binary_operators_values_and_grads(name, op):
    r = rng(13)
    ad = r.uniform(0.5, 2.0, (2, 3))
    bd = r.uniform(0.5, 2.0, (2, 3))
    a, b = var(ad), var(bd)
    y = op(a, b)
    assert isinstance(y, ks.Variable)
    assert np.allclose(y.data, op(ad, bd))
    F.sum(y).backward()
    h = 1e-6
    assert np.allclose(a.grad, (op(ad + h, bd) - op(ad - h, bd)) / (2 * h), atol=1e-6)
    assert np.allclose(b.grad, (op(ad, bd + h) - op(ad, bd - h)) / (2 * h), atol=1e-6)


@pytest.mark.parametrize('other', [2.5, 3, np.float64(1.5),
                                   np.array([0.5, 1.5, 2.0]), np.array(1.25)])
@pytest.mark.parametrize('name, op', BINARY)
def test_reflected_operators_with_scalars_and_arrays(name, op, other):
    xd = np.array([0.7, 1.3, 2.1])
    for left in (True, False):
        x = var(xd)
        y = op(other, x) if left else op(x, other)
        assert isinstance(y, ks.Variable), (name, left, type(other))
        expected = op(np.asarray(other, dtype=float), xd) if left else \
            op(xd, np.asarray(other, dtype=float))
        assert np.allclose(y.data, expected)
        F.sum(y).backward()
        h = 1e-6
        f = (lambda v: op(other, v)) if left else (lambda v: op(v, other))
        assert np.allclose(x.grad, (f(xd + h) - f(xd - h)) / (2 * h), atol=1e-5)


def test_numpy_array_on_the_left_returns_variable():
    x = var([1., 2., 3.])
    for y in (np.ones(3) * x, np.ones(3) + x, np.ones(3) - x, np.ones(3) / x,
              np.full(3, 2.0) ** x, np.ones((2, 3)) @ x):
        assert isinstance(y, ks.Variable)
    y = np.ones((2, 3)) @ x
    assert np.allclose(y.data, [6., 6.])
    y.backward()
    assert np.allclose(x.grad, [2., 2., 2.])


def test_matmul_operator():
    r = rng(14)
    ad, bd = r.standard_normal((2, 3)), r.standard_normal((3, 4))
    a, b = var(ad), var(bd)
    y = a @ b
    assert np.allclose(y.data, ad @ bd)
    y.backward()
    assert np.allclose(a.grad, np.ones((2, 4)) @ bd.T)
    assert np.allclose(b.grad, ad.T @ np.ones((2, 4)))
    assert isinstance(ad @ b, ks.Variable)


def test_unary_operators():
    xd = np.array([-1.5, 2.0, 0.5])
    x = var(xd)
    y = -x
    assert np.allclose(y.data, -xd)
    y.backward()
    assert np.allclose(x.grad, -1)
    assert (+x) is x
    x.cleargrad()
    z = abs(x)
    assert np.allclose(z.data, np.abs(xd))
    z.backward()
    assert np.allclose(x.grad, np.sign(xd))


@pytest.mark.parametrize('index', [
    (slice(1, None), slice(None, None, 2)),
    np.array([0, 2, 0, 0]),
    np.array([[1, 1], [2, 0]]),
    [0, 0, 1],
    (slice(None), np.array([2, 2, 0])),
    np.array([True, False, True]),
    -1,
    (Ellipsis, 1),
])
def test_getitem_gradient_counts_repeats(index):
    xd = rng(15).standard_normal((3, 4))
    x = var(xd)
    y = x[index]
    expected = xd[tuple(index) if isinstance(index, tuple) else np.asarray(index)]
    assert np.allclose(y.data, expected)
    F.sum(y).backward()
    ref = np.zeros_like(xd)
    np.add.at(ref, tuple(index) if isinstance(index, tuple) else np.asarray(index), 1.0)
    assert np.allclose(x.grad, ref)


def test_getitem_repeats_explicit():
    x = var([10., 20., 30.])
    y = x[np.array([0, 0, 2, 0])]
    F.sum(y).backward()
    assert np.array_equal(x.grad, [3., 0., 1.])


def test_getitem_boolean_mask_2d():
    xd = rng(16).standard_normal((3, 4))
    x = var(xd)
    mask = xd > 0
    y = x[mask]
    assert np.allclose(y.data, xd[mask])
    F.sum(y * y).backward()
    assert np.allclose(x.grad, np.where(mask, 2 * xd, 0))


def test_array_methods():
    xd = np.arange(6.0).reshape(2, 3)
    x = var(xd)
    assert x.T.shape == (3, 2) and np.array_equal(x.T.data, xd.T)
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape([6]).shape == (6,)
    assert x.reshape(-1).shape == (6,)
    assert x.transpose().shape == (3, 2)
    assert x.transpose(1, 0).shape == (3, 2)
    assert x.transpose((1, 0)).shape == (3, 2)
    assert np.allclose(x.sum().data, 15)
    assert np.allclose(x.sum(axis=0).data, [3, 5, 7])
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    assert np.allclose(x.mean().data, 2.5)
    assert np.allclose(x.mean(axis=1).data, [1, 4])
    assert x.mean(axis=0, keepdims=True).shape == (1, 3)
    assert len(x) == 2
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64


def test_array_methods_gradients():
    xd = rng(17).standard_normal((2, 3))
    x = var(xd)
    w = np.arange(6.0).reshape(3, 2)
    y = F.sum(x.T * w) + F.sum(x.reshape(3, 2) * w) + x.mean(axis=0, keepdims=True).sum() \
        + x.transpose(1, 0).sum(axis=0).sum()
    y.backward()
    expected = w.T + w.reshape(2, 3) + 0.5 + 1.0
    assert np.allclose(x.grad, expected)


def test_repr_shows_data_and_shape():
    x = ks.Variable(np.array([[1.5, 2.0], [3.0, 4.0]]), name='x')
    s = repr(x)
    assert s.startswith('Variable(')
    assert '1.5' in s and '4.' in s
    assert 'shape=(2, 2)' in s
    assert 'float64' in s and "'x'" in s
    p = repr(ks.Parameter(np.zeros(3, np.float32)))
    assert p.startswith('Parameter(') and 'shape=(3,)' in p


def test_unchain_cuts_the_graph():
    x = var([1., 2.])
    y = x * 2
    z = y * 3
    y.unchain()
    assert y.creator is None
    z.backward()
    assert np.allclose(y.grad, 3)               # y is a leaf now
    assert x.grad is None


# ----- Chainer's names (the one-file Chainer of the seed listings) --------------------
def test_variable_accepts_lists_and_scalars_of_numbers():
    v = ks.Variable([0, 1, 2, 3])
    assert isinstance(v.data, np.ndarray) and v.dtype == np.int64 and v.shape == (4,)
    assert ks.Variable([[1.5, 2.0]]).shape == (1, 2)
    assert ks.Variable(3.0).data.shape == () and ks.Variable(3.0).dtype == np.float64
    assert ks.Variable(np.float32(2)).dtype == np.float32
    x = ks.Variable([1.0, 2.0, 3.0])
    F.sum(x * x).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_variable_array_is_a_property_with_a_setter():
    x = var([1., 2.])
    assert x.array is x.data
    x.array = np.array([5.0])
    assert x.data.tolist() == [5.0] and x.array is x.data


def test_one_input_function_has_input_and_output():
    x = var([-1., 2.])
    y = F.relu(x)
    f = y.creator
    assert f.input is x and f.output is y
    with pytest.raises(AttributeError, match='Add has 2 inputs; use .inputs'):
        (x + x).creator.input
    with pytest.raises(AttributeError, match='0 inputs'):
        ks.functions.ReLU().input


def test_a_function_may_set_its_own_input_and_output():
    class Keeps(ks.Function):         # a listing's Function that stores them itself
        def forward(self, x):
            self.input, self.output = 'in', 'out'
            return x * 2

        def backward(self, gy):
            return gy * 2
    y = Keeps()(var([1.]))
    assert (y.creator.input, y.creator.output) == ('in', 'out')


def test_unchain_backward_cuts_every_link_behind():
    x = var([1., 2.])
    h = F.relu(x)
    y = h * 2
    z = y + 1
    f_y, f_h = y.creator, h.creator
    z.unchain_backward()
    assert z.creator is None and y.creator is None and h.creator is None
    assert f_y.inputs == () and f_h.inputs == ()
    z.backward()                        # a leaf now: nothing flows back
    assert x.grad is None and np.array_equal(z.grad, [1., 1.])


def test_cleargrad():
    x = var([1., 2.])
    F.sum(x * x).backward()
    assert x.grad is not None
    x.cleargrad()
    assert x.grad is None


# ----- broadcasting -------------------------------------------------------------------
SHAPE_PAIRS = [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), ()), ((), (2, 3)),
               ((2, 1, 4), (3, 1)), ((5,), (5,)), ((1, 3), (2, 3))]


@pytest.mark.parametrize('s0, s1', SHAPE_PAIRS)
@pytest.mark.parametrize('fn', [F.add, F.sub, F.mul, F.div, F.maximum, F.minimum, F.pow],
                         ids=lambda f: f.__name__)
def test_broadcasting_reduces_gradient_to_input_shape(fn, s0, s1):
    r = rng(18)
    ad = r.uniform(0.5, 1.5, s0)
    bd = r.uniform(1.6, 2.5, s1)                # no ties for maximum/minimum
    a, b = var(ad), var(bd)
    y = fn(a, b)
    assert y.shape == np.broadcast_shapes(s0, s1)
    gy = r.standard_normal(y.shape)
    F.sum(y * gy).backward()
    assert a.grad.shape == s0 and b.grad.shape == s1
    np_fn = {'add': np.add, 'sub': np.subtract, 'mul': np.multiply, 'div': np.divide,
             'maximum': np.maximum, 'minimum': np.minimum, 'pow': np.power}[fn.__name__]
    h = 1e-6

    def num(which):
        g = np.zeros(s0 if which == 0 else s1)
        base = ad if which == 0 else bd
        for idx in np.ndindex(*base.shape):
            p, m = base.copy(), base.copy()
            p[idx] += h
            m[idx] -= h
            args_p = (p, bd) if which == 0 else (ad, p)
            args_m = (m, bd) if which == 0 else (ad, m)
            g[idx] = ((np_fn(*args_p) - np_fn(*args_m)) * gy).sum() / (2 * h)
        return g
    assert np.allclose(a.grad, num(0), atol=1e-5)
    assert np.allclose(b.grad, num(1), atol=1e-5)


def test_broadcast_with_python_scalar_and_0d():
    x = var(np.ones((2, 3)))
    s = var(2.0)
    y = F.sum(x * s + 1.0)
    y.backward()
    assert s.grad.shape == () and np.allclose(s.grad, 6)
    assert np.allclose(x.grad, 2)


# ----- dtype --------------------------------------------------------------------------
def _assert_all_float32(variables):
    for name, v in variables.items():
        assert v.data.dtype == np.float32, (name, v.data.dtype)
        if v.grad is not None:
            assert v.grad.dtype == np.float32, (name, 'grad', v.grad.dtype)


def test_float32_mlp_stays_float32():
    r = rng(19)
    n = 4
    x = ks.Variable(r.standard_normal((n, 784)).astype(np.float32))
    W1 = ks.Parameter((r.standard_normal((784, 16)) * 0.05).astype(np.float32))
    b1 = ks.Parameter(np.zeros(16, np.float32))
    W2 = ks.Parameter((r.standard_normal((16, 10)) * 0.1).astype(np.float32))
    b2 = ks.Parameter(np.zeros(10, np.float32))
    t = r.integers(0, 10, n)
    h1 = F.linear(x, W1, b1)
    a1 = F.relu(h1)
    h2 = F.linear(a1, W2, b2)
    loss = F.softmax_cross_entropy(h2, t)
    loss.backward(retain_grad=True)
    _assert_all_float32(dict(x=x, W1=W1, b1=b1, W2=W2, b2=b2, h1=h1, a1=a1, h2=h2,
                             loss=loss))
    for p in (W1, b1, W2, b2, x):
        assert p.grad is not None
    # the same with one-hot labels, mse and softmax
    onehot = np.eye(10, dtype=np.float32)[t]
    loss2 = F.softmax_cross_entropy(h2, onehot)
    p = F.softmax(h2)
    loss3 = F.mean_squared_error(p, onehot)
    total = loss2 + loss3
    total.backward(retain_grad=True)
    _assert_all_float32(dict(loss2=loss2, p=p, loss3=loss3, total=total, W1=W1))


def test_float32_scalar_arithmetic_stays_float32():
    x = ks.Variable(np.array([0.5, 1.5, 2.5], np.float32))
    results = dict(
        mul=x * 2.0, rmul=2.0 * x, add=x + 1, radd=1 + x, sub=x - 1.5, rsub=1.5 - x,
        div=x / 3, rdiv=3 / x, pow=x ** 2, powf=x ** 0.5, rpow=2 ** x, neg=-x,
        npscalar=x * np.float64(2.0), nppow=x ** np.float64(3.0), npleft=np.float64(2) * x,
        exp=F.exp(x), log=F.log(x), sqrt=F.sqrt(x), tanh=F.tanh(x), sin=F.sin(x),
        cos=F.cos(x), square=F.square(x), absv=F.absolute(x), clip=F.clip(x, 1.0, 2.0),
        mx=F.maximum(x, 1.0), mn=F.minimum(x, 1.0), mean=F.mean(x), sumv=F.sum(x),
        sig=F.sigmoid(x), lrelu=F.leaky_relu(x - 1), sm=F.softmax(x), lsm=F.log_softmax(x),
        bcast=F.broadcast_to(x, (2, 3)), idx=x[np.array([0, 0, 1])],
    )
    total = None
    for v in results.values():
        s = F.sum(v)
        total = s if total is None else total + s
    total.backward(retain_grad=True)
    results['x'] = x
    results['total'] = total
    _assert_all_float32(results)


def test_float32_cnn_pieces_stay_float32():
    r = rng(20)
    x = ks.Variable(r.standard_normal((2, 3, 6, 6)).astype(np.float32))
    W = ks.Parameter((r.standard_normal((4, 3, 3, 3)) * 0.2).astype(np.float32))
    b = ks.Parameter(np.zeros(4, np.float32))
    gamma = ks.Parameter(np.ones(4, np.float32))
    beta = ks.Parameter(np.zeros(4, np.float32))
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)
    c = F.convolution_2d(x, W, b, stride=1, pad=1)
    bn = F.batch_normalization(c, gamma, beta, running_mean=rm, running_var=rv)
    a = F.relu(bn)
    d = F.dropout(a, 0.3)
    mp = F.max_pooling_2d(d, 2)
    ap = F.average_pooling_2d(mp, 3, stride=1, pad=1)
    fl = F.reshape(ap, (2, -1))
    s = F.sigmoid(fl)
    t = (r.random(fl.shape) > 0.5).astype(np.int32)
    l1 = F.sigmoid_cross_entropy(fl, t)
    l2 = F.mean_squared_error(s, np.zeros(fl.shape, np.float32))
    gm, gv = np.zeros(4, np.float32), np.ones(4, np.float32)
    with ks.test_mode():
        fb = F.fixed_batch_normalization(c, gamma, beta, gm, gv)
    l3 = F.mean(fb)
    total = l1 + l2 + l3
    total.backward(retain_grad=True)
    _assert_all_float32(dict(x=x, W=W, b=b, gamma=gamma, beta=beta, c=c, bn=bn, a=a, d=d,
                             mp=mp, ap=ap, fl=fl, s=s, l1=l1, l2=l2, fb=fb, l3=l3,
                             total=total))
    assert rm.dtype == np.float32 and rv.dtype == np.float32


# ----- type errors --------------------------------------------------------------------
@pytest.mark.parametrize('call, type_name', [
    (lambda: F.relu('a'), 'str'),
    (lambda: F.relu([1, 2]), 'list'),
    (lambda: ks.Variable('ab'), 'str'),          # lists and scalars of numbers are fine
    (lambda: ks.Variable(['a', 'b']), 'list'),
    (lambda: ks.Variable({'a': 1}), 'dict'),
    (lambda: var([1.]) + 'a', 'str'),
    (lambda: var([1.]) * [1, 2], 'list'),
    (lambda: [1, 2] - var([1.]), 'list'),
    (lambda: F.sum((1, 2)), 'tuple'),
    (lambda: F.exp(None), 'NoneType'),
    (lambda: F.reshape([1, 2], (2,)), 'list'),
])
def test_type_error_names_the_type(call, type_name):
    with pytest.raises(TypeError, match=type_name):
        call()


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_gradients_of_0d_variables_are_arrays(dtype):
    x = ks.Variable(np.array(3.0, dtype))
    y = x * x + x - x / 2
    y.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and x.grad.dtype == dtype
    assert float(x.grad) == pytest.approx(6.5)
    z = ks.Variable(np.array(2.0, dtype))
    (-z).backward()
    assert isinstance(z.grad, np.ndarray) and float(z.grad) == -1.0
