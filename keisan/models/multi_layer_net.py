"""MultiLayerNet and MultiLayerNetExtend of chapter 6."""
from keisan import initializers
from keisan import links as L
from keisan.layers import Dropout, Relu, Sigmoid, SoftmaxWithLoss
from keisan.layers.normalization import BOOK_EPS
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
        init = initializers.from_weight_init_std(weight_init_std)
        sizes = [input_size] + self.hidden_size_list + [output_size]
        blocks = []
        for idx in range(1, len(sizes)):
            blocks.append(('Affine%d' % idx, L.Linear(sizes[idx - 1], sizes[idx], initialW=init,
                                                      dtype=self.dtype)))
            if idx < len(sizes) - 1:
                blocks += self._hidden_blocks(idx, sizes[idx], ACTIVATIONS[activation])
        self._build(blocks)
        self.last_layer = SoftmaxWithLoss()

    def _hidden_blocks(self, idx, size, activation):
        """The blocks after the idx-th hidden Affine layer (of width ``size``)."""
        return [('Activation_function%d' % idx, activation())]


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

    def _hidden_blocks(self, idx, size, activation):
        blocks = []
        if self.use_batchnorm:
            # As the book's layer: its eps, running variance starting at 0.
            blocks.append(('BatchNorm%d' % idx, L.BatchNormalization(
                size, eps=BOOK_EPS, dtype=self.dtype, initial_running_var=0.0)))
        blocks += super()._hidden_blocks(idx, size, activation)
        if self.use_dropout:
            blocks.append(('Dropout%d' % idx, Dropout(self.dropout_ration)))
        return blocks
