"""Batch normalization link."""
from keisan import initializers
from keisan.config import config
from keisan.core.variable import Parameter
from keisan.functions.normalization import batch_normalization, fixed_batch_normalization
from keisan.layers import BatchNormalization as BatchNormLayer
from keisan.links.link import Link


class BatchNormalization(Link):
    """Batch norm over (N, size) or per channel over (N, size, H, W).

    In training (``config.train`` and ``link.training``) it normalizes with the batch
    statistics and updates the persistent ``running_mean``/``running_var`` with
    ``running = decay * running + (1 - decay) * batch``; otherwise it uses them.
    ``initial_running_var`` is 1 (Chainer's and PyTorch's start); the book's layer
    starts from 0. ``avg_mean``/``avg_var`` are Chainer's names of the statistics.
    """

    def __init__(self, size, decay=0.9, eps=2e-5, dtype=None, initial_running_var=1.0):
        super().__init__()
        self.decay, self.eps = decay, eps
        self.gamma = Parameter(initializers.One()((size,), dtype=dtype))
        self.beta = Parameter(initializers.Zero()((size,), dtype=dtype))
        self.register_persistent('running_mean', initializers.Zero()((size,), dtype=dtype))
        self.register_persistent('running_var', initializers.Constant(initial_running_var)(
            (size,), dtype=dtype))

    avg_mean = property(lambda self: self.running_mean)
    avg_var = property(lambda self: self.running_var)

    def forward(self, x):
        if config.train and self.training:
            return batch_normalization(x, self.gamma, self.beta, self.eps, self.running_mean,
                                       self.running_var, self.decay)
        return fixed_batch_normalization(x, self.gamma, self.beta, self.running_mean,
                                         self.running_var, self.eps)

    def book_layer(self):
        """The book's BatchNormalization layer on this link's arrays and statistics."""
        return BatchNormLayer(self.gamma.data, self.beta.data, self.decay, self.running_mean,
                              self.running_var, self.eps)
