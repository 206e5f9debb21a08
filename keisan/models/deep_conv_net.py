"""DeepConvNet of chapter 8: six 3x3 convolutions, three poolings, dropout, He init."""
import numpy as np

from keisan.kernels import conv_output_size
from keisan.layers import Affine, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss
from keisan.models.base import BookNetwork


class DeepConvNet(BookNetwork):
    """conv-relu-conv-relu-pool x3 -> affine-relu-dropout -> affine-dropout -> softmax.

    ``layers`` is a list, as in the book. Weights use He initialization
    (std sqrt(2 / fan_in)); ``loss(x, t)`` runs dropout in training mode.
    The flattened size before the first Affine is computed from ``input_dim``
    (64 * 4 * 4 for 28x28 images, the book's constant).
    """
    loss_train_flg = True

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param_1={'filter_num': 16, 'filter_size': 3, 'pad': 1, 'stride': 1},
                 conv_param_2={'filter_num': 16, 'filter_size': 3, 'pad': 1, 'stride': 1},
                 conv_param_3={'filter_num': 32, 'filter_size': 3, 'pad': 1, 'stride': 1},
                 conv_param_4={'filter_num': 32, 'filter_size': 3, 'pad': 2, 'stride': 1},
                 conv_param_5={'filter_num': 64, 'filter_size': 3, 'pad': 1, 'stride': 1},
                 conv_param_6={'filter_num': 64, 'filter_size': 3, 'pad': 1, 'stride': 1},
                 hidden_size=50, output_size=10, dropout_ratio=0.5, weight_decay_lambda=0,
                 dtype=None):
        super().__init__(weight_decay_lambda=weight_decay_lambda, dtype=dtype)
        convs = [conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5,
                 conv_param_6]
        channels, h, w = input_dim
        fan_ins = []
        for i, cp in enumerate(convs):
            fan_ins.append(channels * cp['filter_size'] ** 2)
            channels = cp['filter_num']
            h = conv_output_size(h, cp['filter_size'], cp['stride'], cp['pad'])
            w = conv_output_size(w, cp['filter_size'], cp['stride'], cp['pad'])
            if i % 2 == 1:
                h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError('DeepConvNet: input_dim %s is too small for six convolutions '
                                 'and three 2x2 poolings' % (input_dim,))
        flat = channels * h * w
        fan_ins += [flat, hidden_size]
        scales = np.sqrt(2.0 / np.array(fan_ins))       # He initialization
        p = self.params
        pre_channel = input_dim[0]
        for idx, cp in enumerate(convs):
            p['W%d' % (idx + 1)] = self._new_param(scales[idx] * np.random.randn(
                cp['filter_num'], pre_channel, cp['filter_size'], cp['filter_size']))
            p['b%d' % (idx + 1)] = self._new_param(np.zeros(cp['filter_num']))
            pre_channel = cp['filter_num']
        p['W7'] = self._new_param(scales[6] * np.random.randn(flat, hidden_size))
        p['b7'] = self._new_param(np.zeros(hidden_size))
        p['W8'] = self._new_param(scales[7] * np.random.randn(hidden_size, output_size))
        p['b8'] = self._new_param(np.zeros(output_size))

        self.layers = []
        for idx, cp in enumerate(convs):
            self.layers.append(Convolution(p['W%d' % (idx + 1)], p['b%d' % (idx + 1)],
                                           cp['stride'], cp['pad']))
            self.layers.append(Relu())
            if idx % 2 == 1:
                self.layers.append(Pooling(pool_h=2, pool_w=2, stride=2))
        self.layers.append(Affine(p['W7'], p['b7']))
        self.layers.append(Relu())
        self.layers.append(Dropout(dropout_ratio))
        self.layers.append(Affine(p['W8'], p['b8']))
        self.layers.append(Dropout(dropout_ratio))
        self.last_layer = SoftmaxWithLoss()
        self._finish()
