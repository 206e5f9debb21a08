"""TwoLayerNet of chapters 4-5: Affine -> ReLU -> Affine -> SoftmaxWithLoss."""
from keisan import initializers
from keisan import links as L
from keisan.layers import Relu, SoftmaxWithLoss
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
        init = initializers.Normal(weight_init_std)
        self._build([
            ('Affine1', L.Linear(input_size, hidden_size, initialW=init, dtype=self.dtype)),
            ('Relu1', Relu()),
            ('Affine2', L.Linear(hidden_size, output_size, initialW=init, dtype=self.dtype))])
        self.last_layer = SoftmaxWithLoss()
