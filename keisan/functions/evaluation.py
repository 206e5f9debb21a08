"""Metrics that are not differentiated (no graph is recorded)."""
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
    return Variable((y.argmax(axis=1) == t).mean().astype(y.dtype), requires_grad=False)
