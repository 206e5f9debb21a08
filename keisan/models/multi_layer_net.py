"""MultiLayerNet and MultiLayerNetExtend of chapter 6."""
from collections import OrderedDict

import numpy as np

from keisan import initializers
from keisan.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from keisan.models.base import BookNetwork

ACTIVATIONS = {'relu': Relu, 'sigmoid': Sigmoid}


class MultiLayerNet(BookNetwork):
    """Fully connected network: (Affine -> activation) x len(hidden_size_list) -> Affine.

    Args:
        input_size: input features (784 for MNIST).
        hidden_size_list: widths of the hidden layers, e.g. [100, 100, 100].
        output_size: classes.
        activation: 'relu' or 'sigmoid'.
        weight_init_std: 'relu'/'he' (He), 'sigmoid'/'xavier' (std sqrt(1/n)) or a number.
        weight_decay_lambda: L2 strength; ``loss`` adds 0.5 * lambda * sum(W**2).
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation='relu',
                 weight_init_std='relu', weight_decay_lambda=0, dtype=None):
        super().__init__(weight_decay_lambda=weight_decay_lambda, dtype=dtype)
        if activation not in ACTIVATIONS:
            raise ValueError('%s: activation must be one of %s, got %r'
                             % (type(self).__name__, sorted(ACTIVATIONS), activation))
        self.input_size, self.output_size = input_size, output_size
        self.hidden_size_list = list(hidden_size_list)
        self.hidden_layer_num = len(self.hidden_size_list)
        self._init_weight(weight_init_std)
        self.layers = OrderedDict()
        self._build_layers(ACTIVATIONS[activation])
        self.last_layer = SoftmaxWithLoss()
        self._finish()

    def _init_weight(self, weight_init_std):
        sizes = [self.input_size] + self.hidden_size_list + [self.output_size]
        for idx in range(1, len(sizes)):
            init = initializers.from_weight_init_std(weight_init_std)
            self.params['W%d' % idx] = init((sizes[idx - 1], sizes[idx]), dtype=self.dtype)
            self.params['b%d' % idx] = self._new_param(np.zeros(sizes[idx]))

    def _build_layers(self, activation):
        p = self.params
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers['Affine%d' % idx] = Affine(p['W%d' % idx], p['b%d' % idx])
            self.layers['Activation_function%d' % idx] = activation()
        idx = self.hidden_layer_num + 1
        self.layers['Affine%d' % idx] = Affine(p['W%d' % idx], p['b%d' % idx])


class MultiLayerNetExtend(MultiLayerNet):
    """MultiLayerNet with optional batch normalization and dropout after each Affine.

    Extra args: use_dropout, dropout_ration (the book's spelling), use_batchnorm.
    ``predict(x, train_flg)`` / ``loss(x, t, train_flg=False)`` as in the book.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation='relu',
                 weight_init_std='relu', weight_decay_lambda=0, use_dropout=False,
                 dropout_ration=0.5, use_batchnorm=False, dtype=None):
        self.use_dropout, self.dropout_ration = use_dropout, dropout_ration
        self.use_batchnorm = use_batchnorm
        super().__init__(input_size, hidden_size_list, output_size, activation,
                         weight_init_std, weight_decay_lambda, dtype)

    def _init_weight(self, weight_init_std):
        super()._init_weight(weight_init_std)
        if self.use_batchnorm:
            # Insert gamma/beta after each hidden layer's W/b, keeping the book's order.
            params = dict(self.params)
            self.params.clear()
            for key, value in params.items():
                self.params[key] = value
                idx = int(key[1:])
                if key.startswith('b') and idx <= self.hidden_layer_num:
                    size = self.hidden_size_list[idx - 1]
                    self.params['gamma%d' % idx] = self._new_param(np.ones(size))
                    self.params['beta%d' % idx] = self._new_param(np.zeros(size))

    def _build_layers(self, activation):
        p = self.params
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers['Affine%d' % idx] = Affine(p['W%d' % idx], p['b%d' % idx])
            if self.use_batchnorm:
                self.layers['BatchNorm%d' % idx] = BatchNormalization(
                    p['gamma%d' % idx], p['beta%d' % idx])
            self.layers['Activation_function%d' % idx] = activation()
            if self.use_dropout:
                self.layers['Dropout%d' % idx] = Dropout(self.dropout_ration)
        idx = self.hidden_layer_num + 1
        self.layers['Affine%d' % idx] = Affine(p['W%d' % idx], p['b%d' % idx])
