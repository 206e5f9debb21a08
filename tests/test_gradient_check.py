"""keisan.gradient_check: the book's numerical_gradient and check_backward."""
import re

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan.gradient_check import check_backward, check_double_backward, numerical_gradient


def rng(seed=0):
    return np.random.default_rng(seed)


# ----- numerical_gradient -------------------------------------------------------------
def test_numerical_gradient_of_quadratic():
    x = rng(1).standard_normal((3, 4))
    g = numerical_gradient(lambda v: np.sum(v ** 2), x)
    assert g.shape == x.shape and g.dtype == x.dtype
    assert np.allclose(g, 2 * x, atol=1e-7)


def test_numerical_gradient_is_a_central_difference_with_h_1e_4():
    # For a cubic the central difference is exact up to h^2: 3x^2 + h^2;
    # a forward difference would be off by 3xh.
    x = rng(2).uniform(0.5, 1.5, 5)
    g = numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert np.allclose(g, 3 * x ** 2 + 1e-8, rtol=0, atol=2e-10)
    g2 = numerical_gradient(lambda v: np.sum(v ** 3), x, h=1e-2)
    assert np.allclose(g2, 3 * x ** 2 + 1e-4, rtol=0, atol=1e-9)


def test_numerical_gradient_restores_x_exactly():
    x = np.array([[0.1, 0.2, 0.3], [1e-8, -7.77, 1e10]])
    before = x.copy()
    seen = []

    def f(v):
        assert v is x                                 # perturbed in place, not copied
        seen.append(v.copy())
        return float(np.sum(np.sin(v)))
    numerical_gradient(f, x)
    assert np.array_equal(x, before)                  # bit-for-bit
    assert len(seen) == 2 * x.size
    # exactly one element differs from the original in every call
    for s in seen:
        assert (s != before).sum() == 1


def test_numerical_gradient_with_closure_ignoring_its_argument():
    """The book's usage: f reads the perturbed weights through a closure."""
    r = rng(3)
    W = r.standard_normal((3, 2))
    x = r.standard_normal((4, 3))
    t = r.standard_normal((4, 2))

    def loss(_):
        return 0.5 * np.sum((x @ W - t) ** 2)
    g = numerical_gradient(loss, W)
    assert np.allclose(g, x.T @ (x @ W - t), atol=1e-6)


def test_numerical_gradient_accepts_variable_and_array_results():
    x = rng(4).standard_normal(3)
    g1 = numerical_gradient(lambda v: F.sum(v * v), x)
    g2 = numerical_gradient(lambda v: np.array(np.sum(v * v)), x)
    g3 = numerical_gradient(lambda v: np.array([np.sum(v * v)]), x)
    for g in (g1, g2, g3):
        assert np.allclose(g, 2 * x, atol=1e-7)


def test_numerical_gradient_on_non_contiguous_view():
    base = rng(5).standard_normal((4, 3))
    view = base.T                                     # not C-contiguous
    g = numerical_gradient(lambda _: np.sum(base ** 2 * np.arange(3)[None, :]), view)
    assert np.allclose(g, (2 * base * np.arange(3)[None, :]).T, atol=1e-7)


def test_numerical_gradient_0d_and_float32():
    x = np.array(1.5)
    assert np.allclose(numerical_gradient(lambda v: v ** 2, x), 3.0)
    x32 = np.array([1.0, 2.0], np.float32)
    g = numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x32, h=1e-2)
    assert g.dtype == np.float32 and np.allclose(g, [2.0, 4.0], atol=1e-3)


def test_numerical_gradient_rejects_integers_and_non_arrays():
    with pytest.raises(TypeError, match='int'):
        numerical_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(TypeError, match='list'):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])


# ----- check_backward -----------------------------------------------------------------
class Square(ks.Function):
    """Correct: y = x ** 2."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * self.x * gy


class SquareWrongAt(ks.Function):
    """y = x ** 2 with a gradient that is wrong at one element (``bad``)."""

    def __init__(self, bad):
        self.bad = bad

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        gx = 2 * self.x * gy
        gx[self.bad] *= 1.5
        return gx


class MulWrongSecond(ks.Function):
    """y = a * b whose gradient w.r.t. b forgets the factor a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, gy


class ScaleByTwo(ks.Function):
    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return 3 * gy          # wrong everywhere


def test_check_backward_passes_for_a_correct_function():
    x = rng(6).standard_normal((3, 4))
    check_backward(lambda v: Square()(v), x)
    check_backward(lambda v: Square()(v), x, grad_outputs=np.ones((3, 4)))


def test_check_backward_names_input_and_worst_element():
    x = rng(7).uniform(1.0, 2.0, (3, 4))
    with pytest.raises(AssertionError) as e:
        check_backward(lambda v: SquareWrongAt((1, 2))(v), x, grad_outputs=np.ones((3, 4)))
    msg = str(e.value)
    assert 'input 0' in msg
    assert '(1, 2)' in msg
    analytic, numeric = 2 * x[1, 2] * 1.5, 2 * x[1, 2]
    nums = [float(m) for m in re.findall(r'(?:analytic|numerical) ([-0-9.e+]+)', msg)]
    assert np.allclose(nums, [analytic, numeric], rtol=1e-5)


def test_check_backward_names_the_second_input():
    r = rng(8)
    a, b = r.uniform(2.0, 3.0, (2, 3)), r.standard_normal((2, 3))
    with pytest.raises(AssertionError, match='input 1'):
        check_backward(lambda u, v: MulWrongSecond()(u, v), (a, b))
    # with input 1 excluded the correct input 0 passes
    check_backward(lambda u, v: MulWrongSecond()(u, v), (a, b), no_grads=[False, True])


def test_check_backward_catches_a_uniformly_wrong_scale():
    with pytest.raises(AssertionError, match='input 0'):
        check_backward(lambda v: ScaleByTwo()(v), np.ones(3))


def test_check_backward_catches_missing_gradient():
    class NoGrad(ks.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return None
    with pytest.raises(AssertionError, match='input 0'):
        check_backward(lambda v: NoGrad()(v), np.ones(3))


def test_check_backward_catches_wrong_gradient_shape():
    class BadShape(ks.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, gy):
            return gy.reshape(1)
    # The engine itself rejects it, naming the Function, before any comparison.
    with pytest.raises(RuntimeError, match=r'BadShape.backward returned a gradient of shape'):
        check_backward(lambda v: BadShape()(v), np.ones(3))


def test_check_backward_does_not_modify_inputs():
    x = rng(9).standard_normal(4)
    before = x.copy()
    check_backward(F.tanh, x)
    assert np.array_equal(x, before)


def test_check_backward_casts_float32_inputs_to_float64():
    seen = []

    def f(v):
        seen.append(v.dtype)
        return F.sin(v)
    check_backward(f, rng(10).standard_normal(3).astype(np.float32))
    assert set(seen) == {np.dtype(np.float64)}


def test_check_backward_passes_integer_inputs_as_constants():
    x = rng(11).standard_normal((4, 3))
    t = np.array([0, 2, 1, 1])
    check_backward(F.softmax_cross_entropy, (x, t))


def test_check_backward_multiple_outputs():
    def two(a):
        return a * 2, F.exp(a)
    check_backward(two, rng(12).standard_normal(3))


def test_check_backward_argument_validation():
    x = np.ones(3)
    with pytest.raises(ValueError, match='no_grads'):
        check_backward(F.add, (x, x), no_grads=[False])
    with pytest.raises(ValueError, match='grad_output'):
        check_backward(F.exp, x, grad_outputs=np.ones(4))
    with pytest.raises(TypeError, match='list'):
        check_backward(F.exp, [[1.0, 2.0]])


def test_check_backward_accepts_scalars():
    check_backward(F.mul, (2.0, np.float64(3.0)))


def test_check_backward_reuses_the_random_state_for_dropout():
    """Every forward sees the same global NumPy random state, so the masks agree."""
    masks = []

    def f(v):
        y = F.dropout(v, 0.5)
        masks.append(y.data != 0)
        return y
    np.random.seed(1)
    state = np.random.get_state()
    check_backward(f, rng(13).standard_normal((3, 4)))
    assert len(masks) == 1 + 2 * 12
    assert all(np.array_equal(m, masks[0]) for m in masks)
    assert 0 < masks[0].sum() < 12
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) \
        and after[2:] == state[2:]


def test_dropout_without_state_reset_would_differ():
    """Sanity check of the premise: two draws without a reset give different masks."""
    np.random.seed(2)
    x = np.ones((10, 10))
    a = F.dropout(x, 0.5).data
    b = F.dropout(x, 0.5).data
    assert not np.array_equal(a, b)


# ----- check_double_backward ----------------------------------------------------------
class Cube(ks.Function):
    """y = x ** 3; ``mistake`` selects a wrong backward_graph."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, gy):
        return 3 * self.x ** 2 * gy

    def backward_graph(self, gy):
        x, = self.inputs
        if self.mistake == 'value':                 # wrong first derivative
            return 2 * x ** 2 * gy
        if self.mistake == 'saved array':           # right value, x read as a constant
            return 3 * self.x ** 2 * gy
        if self.mistake == 'gy as a constant':      # right value, gy cut from the graph
            return 3 * x ** 2 * ks.Variable(gy.data, requires_grad=False)
        return 3 * x ** 2 * gy


def test_check_double_backward_passes_for_a_correct_function():
    x = rng(20).standard_normal((2, 3))
    check_double_backward(lambda v: Cube()(v), x)
    check_double_backward(lambda v: Cube()(v), x, grad_outputs=np.ones((2, 3)),
                          grad_grad_inputs=[rng(21).standard_normal((2, 3))])


@pytest.mark.parametrize('mistake, message', [
    ('value', 'first derivative of input 0'),
    ('saved array', 'second derivative of input 0'),
    ('gy as a constant', 'second derivative of grad_output 0'),
])
def test_check_double_backward_catches_each_kind_of_mistake(mistake, message):
    x = rng(22).uniform(0.5, 1.5, (2, 3))
    with pytest.raises(AssertionError, match='check_double_backward: ' + message):
        check_double_backward(lambda v: Cube(mistake)(v), x)
    check_backward(lambda v: Cube(mistake)(v), x)       # first order cannot see it


def test_check_double_backward_of_a_function_without_backward_graph_names_it():
    with pytest.raises(NotImplementedError, match='square has no backward_graph'):
        check_double_backward(lambda v: Square()(v), np.ones(3))


def test_check_double_backward_integer_inputs_and_no_grads():
    x, t = rng(23).standard_normal((4, 3)), np.array([0, 2, 1, 1])
    check_double_backward(F.softmax_cross_entropy, (x, t))
    a, b = rng(24).standard_normal(3), rng(25).standard_normal(3)
    check_double_backward(lambda u, v: u * Cube('value')(v), (a, b), no_grads=[False, True])
    with pytest.raises(ValueError, match='check_double_backward: no_grads'):
        check_double_backward(F.mul, (a, b), no_grads=[True])


def test_check_double_backward_reuses_the_random_state_for_dropout():
    masks = []

    def f(v):
        y = F.dropout(v, 0.5)
        masks.append(y.data != 0)
        return y * v
    check_double_backward(f, rng(26).standard_normal((3, 4)))
    assert len(masks) > 2 * 12 and all(np.array_equal(m, masks[0]) for m in masks)


def test_float32_x_is_differentiated_through_a_float64_copy():
    """f gets a float64 copy carrying the perturbation (the loss keeps its digits), x is
    perturbed too (for an f reading it through a closure) and restored bit for bit."""
    x = rng(6).standard_normal((2, 3)).astype(np.float32)
    before = x.copy()
    seen = []

    def f(v):
        seen.append((v.dtype, float(np.abs(x - before).max())))
        return float(np.sum(v.astype(np.float64) ** 3))
    g = numerical_gradient(f, x)
    assert g.dtype == np.float32 and np.array_equal(x, before)
    assert all(dtype == np.float64 and moved > 0 for dtype, moved in seen)
    np.testing.assert_allclose(g, 3 * before.astype(np.float64) ** 2 + 1e-8, rtol=1e-6)
    # in float32 the quotient of a difference of two sums near 3 would be off by ~1e-3
    closure = numerical_gradient(lambda _: np.sum(x ** 3), x)
    assert np.abs(closure - g).max() > 1e-4


def test_numerical_gradient_2d_differentiates_each_row():
    """The book's ch. 4 gradient field: f maps one point to a number."""
    from keisan.gradient_check import numerical_gradient_2d

    def f(point):
        return np.sum(point ** 2)
    points = np.array([[3.0, 4.0], [0.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(numerical_gradient_2d(f, points), 2 * points, atol=1e-6)
    np.testing.assert_allclose(numerical_gradient_2d(f, np.array([3.0, 4.0])), [6.0, 8.0])
    with pytest.raises(TypeError, match='numerical_gradient_2d: X must be a NumPy'):
        numerical_gradient_2d(f, [[1.0, 2.0]])
