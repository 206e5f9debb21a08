"""DeepConvNet of chapter 8: six 3x3 convolutions, three poolings, dropout, He init."""
from keisan import initializers
from keisan import links as L
from keisan.kernels import conv_output_size
from keisan.layers import Dropout, Pooling, Relu, SoftmaxWithLoss
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
        he = initializers.HeNormal()
        channels, h, w = input_dim
        blocks = []
        for i, cp in enumerate((conv_param_1, conv_param_2, conv_param_3, conv_param_4,
                                conv_param_5, conv_param_6), 1):
            blocks.append(('Conv%d' % i, L.Convolution2D(
                channels, cp['filter_num'], cp['filter_size'], cp['stride'], cp['pad'],
                initialW=he, dtype=self.dtype)))
            blocks.append(('Relu%d' % i, Relu()))
            channels = cp['filter_num']
            h = conv_output_size(h, cp['filter_size'], cp['stride'], cp['pad'])
            w = conv_output_size(w, cp['filter_size'], cp['stride'], cp['pad'])
            if i % 2 == 0:
                blocks.append(('Pool%d' % (i // 2), Pooling(pool_h=2, pool_w=2, stride=2)))
                h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError('DeepConvNet: input_dim %s is too small for six convolutions '
                                 'and three 2x2 poolings' % (input_dim,))
        blocks += [
            ('Affine1', L.Linear(channels * h * w, hidden_size, initialW=he, dtype=self.dtype)),
            ('Relu7', Relu()),
            ('Dropout1', Dropout(dropout_ratio)),
            ('Affine2', L.Linear(hidden_size, output_size, initialW=he, dtype=self.dtype)),
            ('Dropout2', Dropout(dropout_ratio))]
        self._build(blocks, layers_as_list=True)
        self.last_layer = SoftmaxWithLoss()
