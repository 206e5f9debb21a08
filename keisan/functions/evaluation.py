"""Metrics that are not differentiated (no graph is recorded)."""
from keisan.cuda import get_array_module
from keisan.core.variable import Variable, as_array
from keisan.functions.loss import check_labels
from keisan.kernels.finite import non_finite


def accuracy(y, t):
    """Fraction of rows whose argmax matches the label.

    Args:
        y: (N, C) scores.
        t: (N,) integer labels in [0, C) or (N, C) one-hot.
    Returns:
        scalar Variable (float of y's dtype; float64 for integer y), not part of any graph.
    Raises:
        ValueError: y is not 2-D, the batch is empty, the batch sizes differ, a label
            is out of range, or a row of y holds NaN or inf (argmax would call a row
            of NaN class 0).
    """
    y = y.data if isinstance(y, Variable) else as_array(y, where='accuracy')
    t = t.data if isinstance(t, Variable) else as_array(t, where='accuracy')
    if y.ndim != 2:
        raise ValueError('accuracy: y must be (N, C) scores, got shape %s' % (y.shape,))
    if len(y) == 0:
        raise ValueError('accuracy: the batch is empty (y has shape %s)' % (y.shape,))
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    else:
        check_labels('accuracy', y, t, x_name='y')
    xp = get_array_module(y)
    if y.dtype.kind == 'f':
        _, bad, first = non_finite(y)
        if bad:
            raise ValueError('accuracy: %d row%s of y hold%s NaN or inf (the first is row %d)'
                             % (bad, 's' * (bad > 1), 's' * (bad == 1), first))
    # .mean() returns a NumPy scalar, which Variable does not accept: make it a 0-d array.
    acc = xp.asarray((y.argmax(axis=1) == t).mean(),
                     dtype=y.dtype if y.dtype.kind == 'f' else 'float64')
    return Variable(acc, requires_grad=False)
