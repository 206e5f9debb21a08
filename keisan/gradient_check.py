"""Numerical gradients and the checks of analytic derivatives against them: first
(``check_backward``) and second (``check_double_backward``)."""
import numpy as np

from keisan import cuda
from keisan.config import using_config
from keisan.core.variable import Variable, grad


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
    arrays, check = _prepare('check_backward', inputs, dtype, no_grads)
    _compare('check_backward', function, arrays, check, grad_outputs, eps, atol, rtol, seed)


def check_double_backward(function, inputs, grad_outputs=None, grad_grad_inputs=None,
                          eps=1e-4, atol=1e-5, rtol=1e-4, dtype=np.float64, no_grads=None,
                          seed=0):
    """Check ``backward_graph``: first derivatives, then second ones; AssertionError on
    mismatch.

    1. The gradients built with ``create_graph=True`` (``backward_graph``) must match
       central differences of ``function``, as in :func:`check_backward`.
    2. Seen as a function of (inputs, grad_outputs), those gradients are differentiated
       once more by the array ``backward`` of the graph they form, and compared with
       central differences of the gradients themselves: the second derivatives (and
       the derivative with respect to grad_outputs, which checks linearity in them).

    Args:
        function, inputs, eps, atol, rtol, dtype, no_grads, seed: as for check_backward.
        grad_outputs: gradients fed into the outputs (random, seeded, if None); they
            are differentiable inputs of step 2.
        grad_grad_inputs: gradients fed into the first derivatives, one per checked
            input (random, seeded, if None).
    The message says "input i" for ``inputs[i]`` and "grad_output j" for
    ``grad_outputs[j]``.
    """
    where = 'check_double_backward'
    arrays, check = _prepare(where, inputs, dtype, no_grads)
    if grad_outputs is None:
        state = np.random.get_state()       # dropout must draw the same masks below
        ys = _outputs(function(*[Variable(a, requires_grad=False) for a in arrays]))
        np.random.set_state(state)
        grad_outputs = _random_like(ys, seed)
    grad_outputs = [cuda.get_array_module(g).asarray(g, dtype) for g in
                    (grad_outputs if isinstance(grad_outputs, (tuple, list))
                     else (grad_outputs,))]
    _compare(where, function, arrays, check, grad_outputs, eps, atol, rtol, seed,
             create_graph=True, what='first derivative')
    n = len(arrays)
    wrt = [i for i in range(n) if check[i]]

    def first_derivatives(*args):
        xs = args[:n]
        # The differences of step 2 run with backprop off: these gradients need it on.
        with using_config('enable_backprop', True):
            gxs = grad(list(_outputs(function(*xs))), [xs[i] for i in wrt],
                       grad_outputs=list(args[n:]), create_graph=True)
        return tuple(g if g is not None else Variable(xs[i].xp.zeros_like(xs[i].data),
                                                      requires_grad=False)
                     for i, g in zip(wrt, gxs))

    names = ['input %d' % i for i in range(n)] + \
        ['grad_output %d' % j for j in range(len(grad_outputs))]
    _compare(where, first_derivatives, arrays + grad_outputs,
             check + [True] * len(grad_outputs), grad_grad_inputs, eps, atol, rtol, seed,
             names=names, what='second derivative')


def _prepare(where, inputs, dtype, no_grads):
    """Input arrays (floats cast to ``dtype``, copies) and which of them to check."""
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    # Scalars (e.g. ``rng.uniform(size=())`` returns np.float64) become 0-d arrays.
    inputs = [np.asarray(x) if isinstance(x, (int, float, np.generic))
              and not isinstance(x, bool) else x for x in inputs]
    for i, x in enumerate(inputs):
        if not cuda.is_array(x):
            raise TypeError('%s: input %d must be a NumPy or CuPy array or a scalar, got %s'
                            % (where, i, type(x).__name__))
    arrays = [x.astype(dtype) if x.dtype.kind == 'f' else x.copy() for x in inputs]
    check = [x.dtype.kind == 'f' for x in arrays]
    if no_grads is not None:
        if len(no_grads) != len(arrays):
            raise ValueError('%s: no_grads has %d entries for %d inputs'
                             % (where, len(no_grads), len(arrays)))
        check = [c and not ng for c, ng in zip(check, no_grads)]
    return arrays, check


def _outputs(ys):
    return ys if isinstance(ys, tuple) else (ys,)


def _random_like(ys, seed):
    """Seeded standard-normal arrays of the outputs' shapes, dtypes and device."""
    rng = np.random.default_rng(seed)
    return tuple(y.xp.asarray(rng.standard_normal(y.shape)).astype(y.dtype) for y in ys)


def _compare(where, function, arrays, check, grad_outputs, eps, atol, rtol, seed,
             create_graph=False, names=None, what='gradient'):
    """Backprop sum_i(y_i * grad_outputs_i) through ``function(*arrays)`` (``backward``,
    or ``backward_graph`` with ``create_graph``) and compare the gradient of each checked
    array with central differences."""
    xp = cuda.get_array_module(*arrays)

    def run(arrs):
        xs = [Variable(a, requires_grad=c) for a, c in zip(arrs, check)]
        return xs, _outputs(function(*xs))

    # The same random state for every forward keeps dropout masks identical.
    state = np.random.get_state()
    xs, ys = run(arrays)
    if grad_outputs is None:
        grad_outputs = _random_like(ys, seed)
    elif not isinstance(grad_outputs, (tuple, list)):
        grad_outputs = (grad_outputs,)
    for y, gy in zip(ys, grad_outputs):
        if y.shape != gy.shape:
            raise ValueError('%s: grad_output shape %s does not match output shape %s'
                             % (where, gy.shape, y.shape))

    # Analytic: backprop sum(y_i * gy_i) through one output node.
    total = None
    for y, gy in zip(ys, grad_outputs):
        term = (y * Variable(gy, requires_grad=False)).sum()
        total = term if total is None else total + term
    total.backward(create_graph=create_graph)
    analytic = [x.grad.data if isinstance(x.grad, Variable) else x.grad for x in xs]

    def objective(_):
        np.random.set_state(state)
        with using_config('enable_backprop', False):
            _, outs = run(arrays)
        return sum(float((o.data * gy).sum()) for o, gy in zip(outs, grad_outputs))

    for i, (x, ok) in enumerate(zip(arrays, check)):
        if not ok:
            continue
        name = names[i] if names else 'input %d' % i
        numeric = numerical_gradient(objective, x, h=eps)
        got = analytic[i]
        if got is None:
            got = xp.zeros_like(x)
        if got.shape != x.shape:
            raise AssertionError('%s: %s of %s has shape %s, expected %s'
                                 % (where, what, name, got.shape, x.shape))
        err = abs(got - numeric) - (atol + rtol * abs(numeric))
        if err.size and float(err.max()) > 0:
            worst = np.unravel_index(int(err.argmax()), err.shape)
            raise AssertionError(
                '%s: %s of %s (shape %s) differs at %s: '
                'analytic %.8g, numerical %.8g (atol=%g, rtol=%g); max |diff| %.3g'
                % (where, what, name, x.shape, tuple(int(j) for j in worst),
                   float(got[worst]), float(numeric[worst]), atol, rtol,
                   float(abs(got - numeric).max())))
    np.random.set_state(state)


def _scalar(v):
    if isinstance(v, Variable):
        v = v.data
    return float(v.item() if hasattr(v, 'item') else v)

