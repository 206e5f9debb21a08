"""SimpleConvNet of chapter 7: Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine."""
from collections import OrderedDict

import numpy as np

from keisan import initializers
from keisan.kernels import conv_output_size
from keisan.layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss
from keisan.models.base import BookNetwork


class SimpleConvNet(BookNetwork):
    """One convolution block and two fully connected layers.

    Args:
        input_dim: (C, H, W) of the images.
        conv_param: {'filter_num', 'filter_size', 'pad', 'stride'}.
        hidden_size, output_size: widths of the Affine layers.
        weight_init_std: std of the Gaussian weights (the book's 0.01), or, as in
            MultiLayerNet, 'relu'/'he' (He: std sqrt(2 / fan_in) per layer) or
            'sigmoid'/'xavier' (sqrt(1 / fan_in)).
        weight_decay_lambda: L2 strength; ``loss`` adds 0.5 * lambda * sum(W**2).
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01, weight_decay_lambda=0,
                 dtype=None):
        super().__init__(weight_decay_lambda=weight_decay_lambda, dtype=dtype)
        filter_num, filter_size = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        c, h, w = input_dim
        conv_h = conv_output_size(h, filter_size, stride, pad)
        conv_w = conv_output_size(w, filter_size, stride, pad)
        if conv_h < 2 or conv_w < 2:
            raise ValueError('SimpleConvNet: a %dx%d filter leaves no room for 2x2 pooling '
                             'on input_dim %s' % (filter_size, filter_size, input_dim))
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)
        init = initializers.from_weight_init_std(weight_init_std)
        p = self.params
        p['W1'] = init((filter_num, c, filter_size, filter_size), dtype=self.dtype)
        p['b1'] = self._new_param(np.zeros(filter_num))
        p['W2'] = init((pool_output_size, hidden_size), dtype=self.dtype)
        p['b2'] = self._new_param(np.zeros(hidden_size))
        p['W3'] = init((hidden_size, output_size), dtype=self.dtype)
        p['b3'] = self._new_param(np.zeros(output_size))
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(p['W1'], p['b1'], stride, pad)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(p['W2'], p['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(p['W3'], p['b3'])
        self.last_layer = SoftmaxWithLoss()
        self._finish()
