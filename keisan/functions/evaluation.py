"""Metrics that are not differentiated (no graph is recorded)."""
from keisan.backend import get_array_module
from keisan.core.variable import Variable, as_array


def accuracy(y, t):
    """Fraction of rows whose argmax matches the label.

    Args:
        y: (N, C) scores.
        t: (N,) integer labels or (N, C) one-hot.
    Returns:
        scalar Variable (float of y's dtype), not part of any graph.
    """
    y = y.data if isinstance(y, Variable) else as_array(y, where='accuracy')
    t = t.data if isinstance(t, Variable) else as_array(t, where='accuracy')
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    if y.ndim != 2 or t.shape != y.shape[:1]:
        raise ValueError('accuracy: y of shape %s and t of shape %s do not match '
                         '(expected (N, C) and (N,) or (N, C))' % (y.shape, t.shape))
    xp = get_array_module(y)
    # .mean() returns a NumPy scalar, which Variable does not accept: make it a 0-d array.
    acc = xp.asarray((y.argmax(axis=1) == t).mean(),
                     dtype=y.dtype if y.dtype.kind == 'f' else 'float64')
    return Variable(acc, requires_grad=False)
