"""Numerical gradients and the check of analytic backward passes against them."""
import numpy as np

from keisan import cuda
from keisan.config import using_config
from keisan.core.variable import Variable


def numerical_gradient(f, x, h=1e-4):
    """Central-difference gradient of the scalar ``f(x)`` w.r.t. every element of ``x``.

    The book's semantics: ``x`` is perturbed in place one element at a time
    (``f`` usually ignores its argument and reads the perturbed array through a
    closure, e.g. ``lambda W: net.loss(x, t)``) and restored afterwards.

    The difference of two losses divided by 2h loses digits: float32 values near 2 are
    2.4e-7 apart, which over 2h = 2e-4 makes errors of 1e-3 in the quotient, and a
    learner reads them as a wrong backprop. So for an ``x`` of
    a dtype narrower than float64, ``f`` is called with a float64 copy of ``x``
    carrying the same perturbation (``x`` itself is perturbed too, for an ``f`` that
    reads it through a closure; that ``f`` computes in float32 and shows its
    rounding). The book's networks evaluate their loss in float64 for the same reason
    (:meth:`keisan.models.BookNetwork.numerical_gradient`).

    Args:
        f: callable returning a scalar (float, 0-d array or size-1 Variable).
        x: float array of any shape (and any strides: views such as ``W.T`` work),
            perturbed in place and restored bit for bit.
        h: step.
    Returns:
        array of x's shape and dtype.
    """
    if not cuda.is_array(x):
        raise TypeError('numerical_gradient: x must be a NumPy or CuPy array, got %s'
                        % type(x).__name__)
    if x.dtype.kind != 'f':
        raise TypeError('numerical_gradient: x must have a float dtype (it is perturbed '
                        'by h=%g), got %s' % (h, x.dtype))
    xp = cuda.get_array_module(x)
    grad = xp.zeros_like(x)
    wide = x if x.dtype.itemsize >= 8 else x.astype(xp.float64)
    # Element indexing (not a reshape, which copies non-contiguous arrays) so that
    # the perturbation reaches the very array ``f`` reads.
    for idx in np.ndindex(*x.shape):
        original, narrow = wide[idx].copy(), x[idx].copy()
        wide[idx] = x[idx] = original + h
        f_plus = _scalar(f(wide))
        wide[idx] = x[idx] = original - h
        f_minus = _scalar(f(wide))
        wide[idx], x[idx] = original, narrow
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_2d(f, X, h=1e-4):
    """The book's gradient at each of several points: ``f`` maps one point (a 1-D array)
    to a scalar; X is one point (D,) or a batch of points (N, D), each row differentiated
    on its own (``f`` is called with the row). Returns an array of X's shape and dtype."""
    if getattr(X, 'ndim', None) == 1:
        return numerical_gradient(f, X, h)
    if not cuda.is_array(X):
        raise TypeError('numerical_gradient_2d: X must be a NumPy or CuPy array, got %s'
                        % type(X).__name__)
    grad = cuda.get_array_module(X).zeros_like(X)
    for i, point in enumerate(X):
        grad[i] = numerical_gradient(f, point, h)
    return grad


def check_backward(function, inputs, grad_outputs=None, eps=1e-4, atol=1e-5,
                   rtol=1e-4, dtype=np.float64, no_grads=None, seed=0):
    """Compare ``backward`` with central differences; raise AssertionError on mismatch.

    Args:
        function: callable taking Variables (e.g. ``F.relu`` or a lambda) and
            returning a Variable or a tuple of Variables.
        inputs: array or tuple of arrays (scalars become 0-d arrays). Float inputs
            are cast to ``dtype`` (float64 by default) and differentiated; integer
            inputs (labels, indices) are passed through as constants.
        grad_outputs: gradients fed into the outputs; random (seeded) if None.
        eps, atol, rtol: difference step and tolerances for
            ``|analytic - numerical| <= atol + rtol * |numerical|``.
        no_grads: optional list of bools, True for inputs not to check.
    The message names the input, the worst element and both values.
    """
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    # Scalars (e.g. ``rng.uniform(size=())`` returns np.float64) become 0-d arrays.
    inputs = [np.asarray(x) if isinstance(x, (int, float, np.generic))
              and not isinstance(x, bool) else x for x in inputs]
    for i, x in enumerate(inputs):
        if not cuda.is_array(x):
            raise TypeError('check_backward: input %d must be a NumPy or CuPy array or a '
                            'scalar, got %s' % (i, type(x).__name__))
    xp = cuda.get_array_module(*inputs)
    arrays = [x.astype(dtype) if x.dtype.kind == 'f' else x.copy() for x in inputs]
    check = [x.dtype.kind == 'f' for x in arrays]
    if no_grads is not None:
        if len(no_grads) != len(arrays):
            raise ValueError('check_backward: no_grads has %d entries for %d inputs'
                             % (len(no_grads), len(arrays)))
        check = [c and not ng for c, ng in zip(check, no_grads)]

    def run(arrs, **kw):
        xs = [Variable(a, requires_grad=c) for a, c in zip(arrs, check)]
        ys = function(*xs)
        return xs, (ys if isinstance(ys, tuple) else (ys,))

    # The same random state for every forward keeps dropout masks identical.
    state = np.random.get_state()
    xs, ys = run(arrays)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(xp.asarray(rng.standard_normal(y.shape)).astype(y.dtype)
                             for y in ys)
    elif not isinstance(grad_outputs, (tuple, list)):
        grad_outputs = (grad_outputs,)
    for y, gy in zip(ys, grad_outputs):
        if y.shape != gy.shape:
            raise ValueError('check_backward: grad_output shape %s does not match output '
                             'shape %s' % (gy.shape, y.shape))

    # Analytic: backprop sum(y_i * gy_i) through one output node.
    total = None
    for y, gy in zip(ys, grad_outputs):
        term = (y * Variable(gy, requires_grad=False)).sum()
        total = term if total is None else total + term
    total.backward()
    analytic = [x.grad for x in xs]

    def objective(_):
        np.random.set_state(state)
        with using_config('enable_backprop', False):
            _, outs = run(arrays)
        return sum(float((o.data * gy).sum()) for o, gy in zip(outs, grad_outputs))

    for i, (x, ok) in enumerate(zip(arrays, check)):
        if not ok:
            continue
        numeric = numerical_gradient(objective, x, h=eps)
        got = analytic[i]
        if got is None:
            got = xp.zeros_like(x)
        if got.shape != x.shape:
            raise AssertionError('check_backward: gradient of input %d has shape %s, '
                                 'expected %s' % (i, got.shape, x.shape))
        err = abs(got - numeric) - (atol + rtol * abs(numeric))
        if err.size and float(err.max()) > 0:
            worst = np.unravel_index(int(err.argmax()), err.shape)
            raise AssertionError(
                'check_backward: gradient of input %d (shape %s) differs at %s: '
                'analytic %.8g, numerical %.8g (atol=%g, rtol=%g); max |diff| %.3g'
                % (i, x.shape, tuple(int(j) for j in worst), float(got[worst]),
                   float(numeric[worst]), atol, rtol, float(abs(got - numeric).max())))
    np.random.set_state(state)


def _scalar(v):
    if isinstance(v, Variable):
        v = v.data
    return float(v.item() if hasattr(v, 'item') else v)

