"""The book's BatchNormalization layer (2-D per feature, 4-D per channel)."""
from keisan.cuda import get_array_module
from keisan.functions.normalization import BatchNormalization as BatchNormFunction
from keisan.functions.normalization import FixedBatchNormalization

BOOK_EPS = 10e-7   # the book's epsilon


class BatchNormalization:
    """y = gamma * (x - mean) / sqrt(var + 1e-6) + beta.

    Args:
        gamma, beta: (D,) for input (N, D), or (C,) for input (N, C, H, W).
        momentum: running = momentum * running + (1 - momentum) * batch statistic.
        running_mean, running_var: initial statistics; zeros if None (as in the book).
    ``forward(x, train_flg=True)`` uses batch statistics when training and the
    running ones otherwise; ``backward`` fills ``dgamma`` and ``dbeta``.
    """

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape = None
        self.running_mean = running_mean
        self.running_var = running_var
        self.batch_size = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if self.running_mean is None:
            xp = get_array_module(x)
            self.running_mean = xp.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = xp.zeros(x.shape[1], dtype=x.dtype)
        if train_flg:
            self.batch_size = x.shape[0]
            self._fn = BatchNormFunction(BOOK_EPS, self.running_mean, self.running_var,
                                         self.momentum)
            return self._fn.forward(x, self.gamma, self.beta)
        self._fn = FixedBatchNormalization(BOOK_EPS)
        return self._fn.forward(x, self.gamma, self.beta, self.running_mean,
                                self.running_var)

    def backward(self, dout):
        dx, self.dgamma, self.dbeta = self._fn.backward(dout)[:3]
        return dx
