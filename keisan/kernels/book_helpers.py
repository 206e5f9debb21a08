"""The book's array helpers that keisan's Functions and layers do not need.

``common/functions.py`` and ``common/util.py`` of "Deep Learning from Scratch" work on
plain arrays: the losses on probabilities (``cross_entropy_error`` adds 1e-7 inside the
log), the derivatives of the activations, the smoothing of loss curves and the
shuffling of a data set. They are here, once, with the book's semantics; the
activations and softmax themselves are keisan's kernels and Functions, which
:mod:`keisan.book.functions` shows under the book's names. Every function takes NumPy
or CuPy arrays (lists and scalars are converted) and returns plain arrays or scalars.
"""
import numpy as np

from keisan import cuda
from keisan.kernels.sigmoid import sigmoid
from keisan.kernels.softmax import softmax

#: added to the probabilities inside the log of :func:`cross_entropy_error` (the book's)
CROSS_ENTROPY_DELTA = 1e-7


def as_array(x):
    """``x`` if it is a NumPy or CuPy array, else ``numpy.asarray(x)``."""
    return x if cuda.is_array(x) else np.asarray(x)


def identity_function(x):
    """The identity, the output activation of regression: x (any shape) -> x."""
    return x


def step_function(x):
    """1 where x > 0, else 0, as integers. x (any shape) -> same shape, int."""
    x = as_array(x)
    return (x > 0).astype(int)


def sigmoid_grad(x):
    """Derivative of the sigmoid at x: sigmoid(x) * (1 - sigmoid(x)). x (any shape)."""
    s = sigmoid(as_array(x))
    return (1.0 - s) * s


def relu_grad(x):
    """Derivative of ReLU at x as the book takes it: 1 where x >= 0 (0 included), else 0,
    in x's dtype. x (any shape) -> same shape."""
    x = as_array(x)
    grad = cuda.get_array_module(x).zeros_like(x)
    grad[x >= 0] = 1
    return grad


def cross_entropy_error(y, t):
    """Mean cross-entropy of probabilities y against the labels t: -sum(log(y[n, t_n] + 1e-7)) / N.

    Args:
        y: (N, C) probabilities (a softmax output), or (C,) for one example.
        t: (N,) integer labels, (N, C) one-hot rows (their argmax is the label, as in
            the book), or (N, 1) labels; for a 1-D y a label or a (C,) one-hot row.
    Returns:
        a scalar of y's float dtype.
    """
    y, t = as_array(y), as_array(t)
    if y.ndim == 1:
        y, t = y.reshape(1, y.size), t.reshape(1, t.size)
    if y.ndim != 2:
        raise ValueError('cross_entropy_error: y must be (N, C) probabilities or (C,) for one '
                         'example, got shape %s' % (y.shape,))
    n = len(y)
    if t.size == y.size:
        t = t.argmax(axis=1)
    elif t.size == n and t.dtype.kind in 'iu':
        t = t.reshape(n)
    else:
        raise ValueError('cross_entropy_error: t of shape %s fits neither labels (%d,) nor '
                         'one-hot rows %s for y of shape %s' % (t.shape, n, y.shape, y.shape))
    xp = cuda.get_array_module(y)
    return -xp.log(y[xp.arange(n), t] + CROSS_ENTROPY_DELTA).sum() / n


def softmax_loss(x, t):
    """cross_entropy_error(softmax(x), t) for scores x (N, C) or (C,) and labels t."""
    return cross_entropy_error(softmax(as_array(x)), t)


def sum_squared_error(y, t):
    """0.5 * sum((y - t) ** 2) over all elements of y and t (same shape). Returns a scalar."""
    d = as_array(y) - as_array(t)
    return 0.5 * (d * d).sum()


def smooth_curve(x, window=11, beta=2.0):
    """A loss curve smoothed for plotting: a moving average with a normalized Kaiser
    window of ``window`` points (shape ``beta``), as the book plots its losses.

    x: 1-D sequence of numbers; returns a float array of the same length. The ends are
    padded with mirrored values as the book does (on the left without the first value,
    on the right with the last one), so that every output is an average of as many points.
    """
    x = np.asarray(x, dtype=float)
    k = window - 1
    padded = np.concatenate([x[k:0:-1], x, x[:-k - 1:-1]])
    weights = np.kaiser(window, beta)
    smoothed = np.convolve(padded, weights / weights.sum(), mode='valid')
    half = window // 2
    return smoothed[half:len(smoothed) - half]


def shuffle_dataset(x, t):
    """(x, t) in one random order, drawn with ``np.random.permutation(len(x))`` (seed
    ``np.random`` to repeat it). x (N, ...) and t (N,) or (N, C) -> copies of the same shapes."""
    order = np.random.permutation(len(x))
    return x[order], t[order]


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """The book's output length of a convolution: (input_size + 2*pad - filter_size) / stride
    + 1, a float, fractional when the filter does not tile the input
    (``keisan.kernels.conv_output_size`` floors it, as the layers do)."""
    return (input_size + 2 * pad - filter_size) / stride + 1
