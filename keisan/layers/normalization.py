"""The book's BatchNormalization layer (2-D per feature, 4-D per channel)."""
from keisan.cuda import get_array_module
from keisan.functions.normalization import BatchNormalization as BatchNormFunction
from keisan.functions.normalization import FixedBatchNormalization
from keisan.layers.layer import Layer

BOOK_EPS = 10e-7   # the book's epsilon


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta.

    Args:
        gamma, beta: (D,) for input (N, D), or (C,) for input (N, C, H, W).
        momentum: running = momentum * running + (1 - momentum) * batch statistic.
        running_mean, running_var: initial statistics; zeros if None (as in the book).
        eps: the book's 1e-6 by default.
    ``forward(x, train_flg=True)`` uses batch statistics when training and the
    running ones otherwise; ``backward`` fills ``dgamma`` and ``dbeta``.
    """
    param_names = ('gamma', 'beta')

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None,
                 eps=BOOK_EPS):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.eps = eps
        self.input_shape = None
        xp = get_array_module(gamma)
        self.running_mean = xp.zeros_like(gamma) if running_mean is None else running_mean
        self.running_var = xp.zeros_like(gamma) if running_var is None else running_var
        self.batch_size = None
        self.dgamma = None
        self.dbeta = None

    def function(self, train=True):
        if train:
            return BatchNormFunction(self.eps, self.running_mean, self.running_var,
                                     self.momentum)
        return FixedBatchNormalization(self.eps, self.running_mean, self.running_var)

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if train_flg:
            self.batch_size = x.shape[0]
        return super().forward(x, train_flg)
