"""TwoLayerNet of chapters 4-5: Affine -> ReLU -> Affine -> SoftmaxWithLoss."""
from collections import OrderedDict

import numpy as np

from keisan.layers import Affine, Relu, SoftmaxWithLoss
from keisan.models.base import BookNetwork


class TwoLayerNet(BookNetwork):
    """Two fully connected layers.

    Args:
        input_size, hidden_size, output_size: layer widths (784, 50, 10 in the book).
        weight_init_std: std of the Gaussian weights (the book's 0.01).
        weight_decay_lambda: L2 strength; ``loss`` adds 0.5 * lambda * sum(W**2).
        dtype: parameter dtype (``keisan.config.dtype``, float32, by default).
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01,
                 weight_decay_lambda=0, dtype=None):
        super().__init__(weight_decay_lambda=weight_decay_lambda, dtype=dtype)
        p = self.params
        p['W1'] = self._new_param(weight_init_std * np.random.randn(input_size, hidden_size))
        p['b1'] = self._new_param(np.zeros(hidden_size))
        p['W2'] = self._new_param(weight_init_std * np.random.randn(hidden_size, output_size))
        p['b2'] = self._new_param(np.zeros(output_size))
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(p['W1'], p['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(p['W2'], p['b2'])
        self.last_layer = SoftmaxWithLoss()
        self._finish()
