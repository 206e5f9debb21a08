"""Higher-order gradients: ``backward(create_graph=True)`` and ``ks.grad``.

Semantics pinned down here:
* with the default ``create_graph=False`` gradients are raw arrays and no Function's
  ``backward_graph`` runs;
* with ``create_graph=True`` gradients are Variables recorded in the graph, which can be
  differentiated again (any order);
* ``ks.grad`` returns the gradients and touches no ``.grad``; inputs the outputs do not
  depend on get None (or a ValueError with ``allow_unused=False``);
* a Function without ``backward_graph`` stops ``create_graph=True`` with its name.
"""
import gc
import weakref

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from reference import rng


def var(a, **kw):
    return ks.Variable(np.asarray(a, dtype=np.float64), **kw)


class Cube(ks.Function):
    """y = x**3 with array backward only (no backward_graph)."""

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, gy):
        return 3 * self.x ** 2 * gy


class Explode(ks.Function):
    """Identity whose backward must never run."""

    def forward(self, x):
        return x

    def backward(self, gy):
        raise AssertionError('backward of a Function off the path ran')

    backward_graph = backward


class RecordNeeds(ks.Function):
    """y = x0 * x1, remembering needs_input_grad at each backward."""
    seen = []

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        RecordNeeds.seen.append(self.needs_input_grad)
        return (gy * self.b if self.needs_input_grad[0] else None,
                gy * self.a if self.needs_input_grad[1] else None)


# ----- the issue's example ------------------------------------------------------------
def test_issue_example():
    x = ks.Variable(np.array(2.0))
    y = x ** 4 - 2 * x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, ks.Variable) and gx.creator is not None
    assert gx.data == 24.0                      # 4x^3 - 4x
    x.cleargrad()
    gx.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad == 44.0     # 12x^2 - 4

    x.cleargrad()
    gx, = ks.grad([y], [x], create_graph=True)  # functional form, no side effects
    assert gx.data == 24.0 and x.grad is None
    g2, = ks.grad(gx, x)
    assert g2 == 44.0


def test_default_backward_gives_arrays_and_never_calls_backward_graph():
    x = var([1.0, 2.0])
    y = F.sum(Cube()(x))                        # Cube has no backward_graph
    y.backward()
    assert type(x.grad) is np.ndarray and np.allclose(x.grad, 3 * np.array([1., 4.]))


# ----- derivatives of any order -------------------------------------------------------
def test_third_and_fourth_derivative_of_a_polynomial():
    xd = np.array([-1.5, 0.3, 2.0])
    x = var(xd)
    y = F.sum(3 * x ** 4 - 2 * x ** 3 + x * x - 5 * x)
    g1, = ks.grad(y, x, create_graph=True)
    g2, = ks.grad(F.sum(g1), x, create_graph=True)
    g3, = ks.grad(F.sum(g2), x, create_graph=True)
    g4, = ks.grad(F.sum(g3), x)
    assert np.allclose(g1.data, 12 * xd ** 3 - 6 * xd ** 2 + 2 * xd - 5)
    assert np.allclose(g2.data, 36 * xd ** 2 - 12 * xd + 2)
    assert np.allclose(g3.data, 72 * xd - 12)
    assert np.allclose(g4, 72)


def test_third_derivative_of_tanh_by_repeated_backward():
    xd = np.linspace(-2, 2, 7)
    x = var(xd)
    F.sum(F.tanh(x)).backward(create_graph=True)
    for _ in range(2):
        g = x.grad
        x.cleargrad()
        F.sum(g).backward(create_graph=True)
    t = np.tanh(xd)
    assert np.allclose(x.grad.data, (1 - t ** 2) * (6 * t ** 2 - 2))    # tanh'''


def test_hessian_vector_product_of_an_mlp_matches_differences_of_gradients():
    r = rng(1)
    x, t = r.standard_normal((5, 4)), r.integers(0, 3, 5)
    arrays = [r.standard_normal((4, 6)), r.standard_normal(6), r.standard_normal((6, 3)),
              r.standard_normal(3)]
    v = [r.standard_normal(a.shape) for a in arrays]

    def loss(params):
        W1, b1, W2, b2 = params
        return F.softmax_cross_entropy(F.linear(F.tanh(F.linear(x, W1, b1)), W2, b2), t)

    params = [ks.Parameter(a.copy()) for a in arrays]
    grads = ks.grad(loss(params), params, create_graph=True)
    gv = sum(F.sum(g * vi) for g, vi in zip(grads, v))
    hv = ks.grad(gv, params)

    eps = 1e-5

    def gradient_at(step):
        ps = [ks.Parameter(a + step * vi) for a, vi in zip(arrays, v)]
        return ks.grad(loss(ps), ps)
    numeric = [(gp - gm) / (2 * eps) for gp, gm in zip(gradient_at(eps), gradient_at(-eps))]
    for got, want in zip(hv, numeric):
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7)
    assert all(p.grad is None for p in params)


# ----- backward(create_graph=True) ----------------------------------------------------
def test_create_graph_leaf_gradients_accumulate_as_variables():
    xd = np.array([0.5, -1.0])
    x = var(xd)
    y = F.sum(x ** 3)
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert isinstance(x.grad, ks.Variable)
    assert np.allclose(x.grad.data, 6 * xd ** 2)
    g = x.grad
    x.cleargrad()
    F.sum(g).backward()
    assert np.allclose(x.grad, 12 * xd)          # d/dx of 2 * 3x^2


def test_create_graph_onto_an_array_gradient_adds_it_as_a_constant():
    xd = np.array([0.5, -1.0])
    x = var(xd)
    x.grad = np.array([10.0, 20.0])
    F.sum(x ** 3).backward(create_graph=True)
    assert isinstance(x.grad, ks.Variable)
    assert np.allclose(x.grad.data, [10.0, 20.0] + 3 * xd ** 2)
    g = x.grad
    x.cleargrad()
    F.sum(g).backward()
    assert np.allclose(x.grad, 6 * xd)           # the old array has no derivative


def test_create_graph_retain_grad_keeps_intermediate_gradients_as_variables():
    x = var([1.0, 2.0])
    h = x * x
    y = F.sum(F.exp(h))
    y.backward(create_graph=True, retain_grad=True)
    assert isinstance(h.grad, ks.Variable) and np.allclose(h.grad.data, np.exp([1.0, 4.0]))
    assert type(y.grad) is np.ndarray and y.grad == 1.0          # the seed, as default
    h2 = x * x
    F.sum(F.exp(h2)).backward(create_graph=True)
    assert h2.grad is None


def test_create_graph_with_a_variable_seed_differentiates_through_it():
    x, s = var([1.0, 2.0]), var([3.0, 5.0])
    y = x * x
    y.grad = s * 1.0
    y.backward(create_graph=True)                # x.grad = 2 x s
    assert np.allclose(x.grad.data, [6.0, 20.0])
    g = x.grad
    x.cleargrad()
    F.sum(g).backward()
    assert np.allclose(s.grad, [2.0, 4.0]) and np.allclose(x.grad, [6.0, 10.0])


def test_create_graph_builds_the_graph_even_under_no_grad():
    x = var(1.5)
    y = x ** 3
    with ks.no_grad():
        y.backward(create_graph=True)
        gx, = ks.grad(y, x, create_graph=True)
    assert x.grad.creator is not None and gx.creator is not None


def test_create_graph_through_a_function_without_backward_graph_names_it():
    x = var([1.0, 2.0])
    y = F.sum(Cube()(x) * 2)
    with pytest.raises(NotImplementedError) as e:
        y.backward(create_graph=True)
    assert str(e.value) == ('cube has no backward_graph: create_graph=True cannot '
                            'differentiate through it')
    with pytest.raises(NotImplementedError, match='cube has no backward_graph'):
        ks.grad(y, x, create_graph=True)
    gx, = ks.grad(y, x)                          # first order: its backward is enough
    assert np.allclose(gx, [6.0, 24.0])


def test_book_layers_name_their_function_too():
    x = var(np.arange(16.0).reshape(1, 1, 4, 4))
    y = F.sum(ks.layers.Relu()(x) * x)
    y.backward(create_graph=True)                # ReLU has one
    assert isinstance(x.grad, ks.Variable)


def test_create_graph_on_a_long_chain_is_a_loop_not_a_recursion():
    x = var([0.5])
    y = x
    for _ in range(3000):
        y = y * 1.001
    y.backward(create_graph=True)
    assert np.allclose(x.grad.data, 1.001 ** 3000)
    g, = ks.grad(y, x, create_graph=True)
    assert np.allclose(g.data, 1.001 ** 3000)


def test_create_graph_gradient_holds_a_cycle_that_cleargrad_breaks():
    """x.grad's graph refers to x: cleargrad() frees it without the cycle collector."""
    gc.collect()
    gc.disable()
    try:
        x = var([1.0, 2.0])
        F.sum(F.tanh(x)).backward(create_graph=True)
        ref = weakref.ref(x.grad.creator)
        x.cleargrad()
        assert ref() is None
        gx, = ks.grad(F.sum(F.tanh(x)), x, create_graph=True)   # grad stores nothing
        ref = weakref.ref(gx.creator)
        del gx
        assert ref() is None
    finally:
        gc.enable()


# ----- ks.grad --------------------------------------------------------------------------
def test_grad_touches_no_grad_attribute():
    x, w = var([1.0, 2.0]), var([3.0, -1.0])
    x.grad = np.array([7.0, 7.0])
    h = x * w
    y = F.sum(h * h)
    y.backward(retain_grad=True)
    before = (x.grad.copy(), w.grad.copy(), h.grad.copy(), y.grad.copy())
    for create_graph in (False, True):
        gx, gw = ks.grad([y], [x, w], create_graph=create_graph)
        assert np.allclose(getattr(gx, 'data', gx), 2 * (1.0 * np.array([1., 2.])
                                                        * np.array([3., -1.]))
                           * np.array([3., -1.]))
    after = (x.grad, w.grad, h.grad, y.grad)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_grad_returns_arrays_or_variables():
    x = var([1.0, 2.0])
    y = F.sum(F.exp(x))
    g, = ks.grad(y, x)
    assert type(g) is np.ndarray and np.allclose(g, np.exp([1.0, 2.0]))
    g, = ks.grad(y, x, create_graph=True)
    assert isinstance(g, ks.Variable) and g.creator is not None


def test_grad_arrays_are_owned_by_the_caller():
    """``a + b`` hands both the same array, broadcast_to a read-only view: copies."""
    a, b = var([1.0, 2.0]), var(3.0)
    ga, gb, ga2 = ks.grad(a + F.broadcast_to(b, (2,)), [a, b, a])
    ga += 1.0                                    # writable, and not shared with ga2
    assert np.allclose(ga, 2.0) and np.allclose(ga2, 1.0) and np.allclose(gb, 2.0)


def test_grad_of_an_intermediate_variable_and_several_outputs():
    x = var([1.0, 2.0])
    h = x * 3
    y1, y2 = F.sum(h * h), F.sum(F.sin(h))
    gh, gx = ks.grad([y1, y2], [h, x])
    hd = np.array([3.0, 6.0])
    assert np.allclose(gh, 2 * hd + np.cos(hd))
    assert np.allclose(gx, 3 * (2 * hd + np.cos(hd)))


def test_grad_outputs_weight_the_outputs():
    x = var([1.0, 2.0])
    y = x * x
    g, = ks.grad(y, x, grad_outputs=[np.array([1.0, -1.0])])
    assert np.allclose(g, [2.0, -4.0])
    s = var([2.0, 3.0])
    g, = ks.grad([y], [x], grad_outputs=[s], create_graph=True)
    gs, = ks.grad(F.sum(g), s)
    assert np.allclose(gs, [2.0, 4.0])
    with pytest.raises(ValueError, match='grad_outputs'):
        ks.grad([y], [x], grad_outputs=[np.ones(3)])
    with pytest.raises(ValueError, match='2 grad_outputs for 1 outputs'):
        ks.grad([y], [x], grad_outputs=[None, None])


def test_grad_of_an_unreachable_input_is_none_or_an_error_naming_it():
    x, z = var([1.0, 2.0]), var([3.0], name='z')
    c = var([1.0], requires_grad=False)
    y = F.sum(x * c)
    gx, gz, gc_ = ks.grad(y, [x, z, c])
    assert np.allclose(gx, 1.0) and gz is None and gc_ is None
    with pytest.raises(ValueError) as e:
        ks.grad(y, [x, z], allow_unused=False)
    assert "input 1 ('z', shape (1,)) does not reach the outputs" in str(e.value)
    with pytest.raises(ValueError, match=r'input 0 \(shape \(1,\)\) has requires_grad=False'):
        ks.grad(y, [c], allow_unused=False)


def test_grad_runs_only_the_functions_on_a_path_to_the_inputs():
    x, w = var([1.0, 2.0]), var([3.0, 4.0])
    RecordNeeds.seen = []
    y = F.sum(RecordNeeds()(x, Explode()(w)))
    g, = ks.grad(y, x)                           # Explode is off the path: never runs
    assert np.allclose(g, [3.0, 4.0])
    assert RecordNeeds.seen == [(True, False)]   # only x's gradient was asked for
    assert y.creator.inputs[0].creator.needs_input_grad == (True, True)   # restored


def test_grad_retain_graph():
    x = var([1.0, 2.0])
    h = x * 2
    y = F.sum(F.tanh(h))
    ks.grad(y, x)
    ks.grad(y, x, retain_graph=True)
    assert y.creator is not None                 # None and True keep the graph
    tanh, mul = weakref.ref(y.creator.inputs[0].creator), weakref.ref(h.creator)
    del h
    g, = ks.grad(y, x, create_graph=True, retain_graph=False)
    assert y.creator is None                     # cut: the forward Functions are freed...
    assert tanh() is None
    assert mul() is not None                     # ...but those g's graph reads from stay
    hd = 2 * np.array([1.0, 2.0])
    assert np.allclose(ks.grad(F.sum(g), x)[0], -8 * np.tanh(hd) * (1 - np.tanh(hd) ** 2))
    del g
    gc.collect()
    assert mul() is None


def test_grad_rejects_non_variables():
    with pytest.raises(TypeError, match=r'inputs\[0\] must be a Variable, got ndarray'):
        ks.grad(F.sum(var([1.0])), [np.ones(1)])
    with pytest.raises(TypeError, match=r'outputs\[0\] must be a Variable, got float'):
        ks.grad([1.0], [var([1.0])])


def test_grad_of_an_output_with_respect_to_itself_is_the_seed():
    x = var([1.0, 2.0])
    y = x * 2
    gy, gx = ks.grad(y, [y, x])
    assert np.allclose(gy, 1.0) and np.allclose(gx, 2.0)


class SinCos(ks.Function):
    """Two outputs, sin(x) and cos(x)."""

    def forward(self, x):
        self.x = x
        return np.sin(x), np.cos(x)

    def backward(self, gs, gc):
        return gs * np.cos(self.x) - gc * np.sin(self.x)

    def backward_graph(self, gs, gc):
        x, = self.inputs
        return gs * F.cos(x) - gc * F.sin(x)


@pytest.mark.parametrize('create_graph', [False, True])
def test_an_unused_output_of_a_two_output_function_gets_zeros(create_graph):
    xd = np.array([0.3, 1.1])
    x = var(xd)
    s = SinCos()(x)[0]                           # cos(x) is dropped at once
    g, = ks.grad(F.sum(s * s), x, create_graph=create_graph)
    assert np.allclose(getattr(g, 'data', g), 2 * np.sin(xd) * np.cos(xd))
    s, c = SinCos()(x)
    g, = ks.grad([F.sum(s), F.sum(c)], x, create_graph=create_graph)
    assert np.allclose(getattr(g, 'data', g), np.cos(xd) - np.sin(xd))
    if create_graph:
        assert np.allclose(ks.grad(F.sum(g), x)[0], -np.sin(xd) - np.cos(xd))
