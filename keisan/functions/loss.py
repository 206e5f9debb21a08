"""Loss functions: mean squared error, softmax cross-entropy, sigmoid cross-entropy."""
from keisan import kernels
from keisan.cuda import get_array_module
from keisan.kernels.dtypes import as_float
from keisan.core.function import Function
from keisan.functions.activation import sigmoid, softmax


def check_labels(where, x, t, x_name='x'):
    """Validate integer class labels ``t`` of shape (N,) for scores ``x`` of shape (N, C).

    Errors name the calling function ``where`` and its score argument ``x_name``.
    """
    if t.shape != x.shape[:1]:
        batch = ('batch sizes differ (%d and %d): ' % (len(x), len(t))
                 if t.ndim and len(t) != len(x) else '')
        raise ValueError('%s: %slabels t of shape %s do not match %s of shape %s (expected '
                         'integer labels of shape %s or one-hot of shape %s)'
                         % (where, batch, t.shape, x_name, x.shape, x.shape[:1], x.shape))
    if t.dtype.kind not in 'iu':
        raise TypeError('%s: integer labels must have an integer dtype, got %s'
                        % (where, t.dtype))
    c = x.shape[1]
    if t.size and (int(t.min()) < 0 or int(t.max()) >= c):
        i = int(((t < 0) | (t >= c)).argmax())      # first bad label; error path only
        raise ValueError('%s: label t[%d] = %d is out of range for %d classes (expected '
                         'labels in [0, %d))' % (where, i, int(t[i]), c, c))


class MeanSquaredError(Function):
    """mean((x0 - x1) ** 2) over all elements."""

    def forward(self, x0, x1):
        if x0.shape != x1.shape:
            raise ValueError('mean_squared_error: shapes %s and %s differ'
                             % (x0.shape, x1.shape))
        self.diff = x0 - x1
        loss = (self.diff * self.diff).mean()
        # float32 stays float32; integer inputs give a float mean (not a truncated one)
        return loss.astype(self.diff.dtype if self.diff.dtype.kind == 'f' else loss.dtype,
                           copy=False)

    def backward(self, gy):
        g0 = self.diff * (gy * (2.0 / self.diff.size)).astype(self.diff.dtype)
        return g0, -g0

    def backward_graph(self, gy):
        x0, x1 = self.inputs
        g0 = (x0 - x1) * (gy * (2.0 / self.diff.size))
        return g0, -g0 if self.needs_input_grad[1] else None


class SoftmaxCrossEntropy(Function):
    """-mean_n log softmax(x)[n, t_n]; t integer labels (N,) or one-hot/soft (N, C).

    Backward uses the fused form (softmax(x) - t) / N.
    """

    def forward(self, x, t):
        xp = get_array_module(x)
        if x.ndim != 2:
            raise ValueError('softmax_cross_entropy: x must be 2-D (N, C), got shape %s'
                             % (x.shape,))
        log_y = kernels.log_softmax(x, axis=1)     # float64 for integer x
        n = len(x)
        if t.shape == x.shape:          # one-hot or soft labels
            self.t_dense = t.astype(log_y.dtype, copy=False)
            loss = -(self.t_dense * log_y).sum() / n
        else:
            check_labels('softmax_cross_entropy', x, t)
            self.t_dense = None
            loss = -log_y[xp.arange(n), t].sum() / n
        self.t = t
        self.y = xp.exp(log_y, out=log_y)
        return xp.asarray(loss, dtype=log_y.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        n = len(self.y)
        gx = self.y.copy()
        if self.t_dense is None:
            gx[xp.arange(n), self.t] -= 1
        else:
            gx *= self.t_dense.sum(axis=1, keepdims=True)
            gx -= self.t_dense
        gx *= gy / n
        return gx, None

    def backward_graph(self, gy):
        t = self.t_dense
        if t is None:                   # integer labels as one-hot rows (a constant)
            xp = get_array_module(self.y)
            t = xp.zeros_like(self.y)
            t[xp.arange(len(t)), self.t] = 1
        y = softmax(self.inputs[0], axis=1)
        return (y * t.sum(axis=1, keepdims=True) - t) * (gy / len(t)), None


class SigmoidCrossEntropy(Function):
    """Binary cross-entropy of logits x and targets t in {0, 1}, mean over all elements."""

    def forward(self, x, t):
        if x.shape != t.shape:
            raise ValueError('sigmoid_cross_entropy: x of shape %s and t of shape %s differ'
                             % (x.shape, t.shape))
        xp = get_array_module(x)
        x = as_float(x)             # integer logits: float64
        self.x, self.t = x, t.astype(x.dtype, copy=False)
        # max(x, 0) - x t + log(1 + exp(-|x|)) is log-sum-exp stable for any x.
        loss = xp.maximum(x, 0) - x * self.t + xp.log1p(xp.exp(-abs(x)))
        return loss.mean().astype(x.dtype, copy=False)

    def backward(self, gy):
        return (kernels.sigmoid(self.x) - self.t) * (gy / self.x.size), None

    def backward_graph(self, gy):
        return (sigmoid(self.inputs[0]) - self.t) * (gy / self.x.size), None


def mean_squared_error(x0, x1):
    """Mean over all elements of (x0 - x1)**2; both of the same shape. Returns a scalar."""
    return MeanSquaredError()(x0, x1)


def softmax_cross_entropy(x, t):
    """Cross-entropy of softmax(x) against labels.

    Args:
        x: (N, C) scores (logits).
        t: (N,) integer labels in [0, C), or (N, C) one-hot / probability rows.
    Returns:
        scalar Variable, the mean over the batch (x's float dtype; float64 for integer x).
    """
    return SoftmaxCrossEntropy()(x, t)


def sigmoid_cross_entropy(x, t):
    """Binary cross-entropy of logits ``x`` against 0/1 targets ``t`` (same shape); mean.

    Returns a scalar Variable of x's float dtype (float64 for integer x).
    """
    return SigmoidCrossEntropy()(x, t)
