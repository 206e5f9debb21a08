"""SimpleConvNet of chapter 7: Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine."""
from keisan import initializers
from keisan import links as L
from keisan.kernels import conv_output_size
from keisan.layers import Pooling, Relu, SoftmaxWithLoss
from keisan.models.base import BookNetwork

#: The book's pooling after the convolution: 2x2 windows, stride 2, no padding.
POOL_PARAM = {'pool_size': 2, 'pad': 0, 'stride': 2}


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
        pool_param: the max pooling's {'pool_size', 'pad', 'stride'}; the book's 2x2
            windows with stride 2 by default (keys left out keep those values).
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01, weight_decay_lambda=0,
                 dtype=None, pool_param=None):
        super().__init__(weight_decay_lambda=weight_decay_lambda, dtype=dtype)
        filter_num, filter_size = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        pool = dict(POOL_PARAM)
        unknown = sorted(set(pool_param or ()) - set(pool))
        if unknown:
            raise ValueError('SimpleConvNet: pool_param has unknown keys %s (expected %s)'
                             % (', '.join(map(repr, unknown)), ', '.join(map(repr, pool))))
        pool.update(pool_param or {})
        c, h, w = input_dim
        conv_h = conv_output_size(h, filter_size, stride, pad)
        conv_w = conv_output_size(w, filter_size, stride, pad)
        pool_h = conv_output_size(conv_h, pool['pool_size'], pool['stride'], pool['pad'])
        pool_w = conv_output_size(conv_w, pool['pool_size'], pool['stride'], pool['pad'])
        if min(conv_h, conv_w, pool_h, pool_w) < 1:
            raise ValueError('SimpleConvNet: a %dx%d filter and %dx%d pooling leave nothing of '
                             'input_dim %s' % (filter_size, filter_size, pool['pool_size'],
                                               pool['pool_size'], input_dim))
        init = initializers.from_weight_init_std(weight_init_std)
        self._build([
            ('Conv1', L.Convolution2D(c, filter_num, filter_size, stride, pad, initialW=init,
                                      dtype=self.dtype)),
            ('Relu1', Relu()),
            ('Pool1', Pooling(pool_h=pool['pool_size'], pool_w=pool['pool_size'],
                              stride=pool['stride'], pad=pool['pad'])),
            ('Affine1', L.Linear(filter_num * pool_h * pool_w, hidden_size, initialW=init,
                                 dtype=self.dtype)),
            ('Relu2', Relu()),
            ('Affine2', L.Linear(hidden_size, output_size, initialW=init, dtype=self.dtype))])
        self.last_layer = SoftmaxWithLoss()
