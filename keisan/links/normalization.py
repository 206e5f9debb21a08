"""Batch normalization link."""
from keisan.config import config
from keisan.core.variable import Parameter
from keisan.functions.normalization import batch_normalization, fixed_batch_normalization
from keisan.links.link import Link
from keisan import initializers


class BatchNormalization(Link):
    """Batch norm over (N, size) or per channel over (N, size, H, W).

    In training (``config.train`` and ``link.training``) it normalizes with the
    batch statistics and updates ``avg_mean``/``avg_var`` (persistent) with
    ``avg = decay * avg + (1 - decay) * batch``; otherwise it uses them.
    """

    def __init__(self, size, decay=0.9, eps=2e-5, dtype=None):
        super().__init__()
        self.decay, self.eps = decay, eps
        self.gamma = Parameter(initializers.One()((size,), dtype=dtype))
        self.beta = Parameter(initializers.Zero()((size,), dtype=dtype))
        self.register_persistent('avg_mean', initializers.Zero()((size,), dtype=dtype))
        self.register_persistent('avg_var', initializers.One()((size,), dtype=dtype))

    def forward(self, x):
        if config.train and self.training:
            return batch_normalization(x, self.gamma, self.beta, self.eps, self.avg_mean,
                                       self.avg_var, self.decay)
        return fixed_batch_normalization(x, self.gamma, self.beta, self.avg_mean,
                                         self.avg_var, self.eps)
