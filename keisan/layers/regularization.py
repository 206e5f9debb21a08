"""The book's Dropout layer (scales at test time, not at train time)."""
from keisan.functions.noise import Dropout as DropoutFunction
from keisan.layers.layer import Layer


class Dropout(Layer):
    """Train: zero each input with probability ``dropout_ratio``; ``mask`` keeps the
    boolean keep-mask. Test: multiply by (1 - dropout_ratio), as in the book.
    (``F.dropout`` is the inverted variant that scales at train time instead; both
    are :class:`keisan.functions.Dropout`.)
    """

    def __init__(self, dropout_ratio=0.5):
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError('Dropout: dropout_ratio must be in [0, 1), got %r'
                             % (dropout_ratio,))
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def function(self, train=True):
        return DropoutFunction(self.dropout_ratio, inverted=False, train=train)

    def forward(self, x, train_flg=True):
        out = super().forward(x, train_flg)
        if train_flg:
            self.mask = self._fn.mask
        return out
