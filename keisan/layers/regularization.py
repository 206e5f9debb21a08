"""The book's Dropout layer (scales at test time, not at train time)."""
from keisan.functions.noise import dropout_mask


class Dropout:
    """Train: zero each input with probability ``dropout_ratio``.

    Test: multiply by (1 - dropout_ratio), as in the book. (``F.dropout`` is the
    inverted variant that scales at train time instead.) The mask comes from the
    same kernel as ``F.dropout``.
    """

    def __init__(self, dropout_ratio=0.5):
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError('Dropout: dropout_ratio must be in [0, 1), got %r'
                             % (dropout_ratio,))
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = dropout_mask(x, self.dropout_ratio)
            return x * self.mask
        return x * x.dtype.type(1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask
