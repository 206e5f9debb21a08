"""Dropout, in its two conventions: inverted (F.dropout) and the book's."""
from keisan.config import config
from keisan.core.function import Function
from keisan.core.variable import Variable, as_array
from keisan.cuda import get_array_module


def dropout_mask(x, ratio, rng=None):
    """Boolean keep-mask of x's shape: True with probability 1 - ratio.

    Draws from NumPy's (or CuPy's) global random state unless ``rng`` (a
    ``numpy.random.Generator``/``RandomState``) is given, so ``np.random.seed``
    makes runs reproducible as in the book.
    """
    xp = get_array_module(x)
    if rng is not None:
        draw = rng.random(x.shape) if hasattr(rng, 'random') else rng.rand(*x.shape)
        return xp.asarray(draw) > ratio
    return xp.random.rand(*x.shape) > ratio


class Dropout(Function):
    """y = x * mask, where mask drops each element with probability ``ratio``.

    Both conventions keep the expected output equal in training and at test time:

    * inverted (``inverted=True``; ``F.dropout``, Chainer, PyTorch): training keeps an
      element with weight 1 / (1 - ratio); at test time (``train=False``) y = x;
    * the book's (``inverted=False``; ``layers.Dropout``): training keeps an element with
      weight 1; at test time y = (1 - ratio) * x.

    ``mask`` holds the boolean keep-mask of the last training pass (None at test time).
    """

    def __init__(self, ratio=0.5, rng=None, inverted=True, train=True):
        if not 0.0 <= ratio < 1.0:
            raise ValueError('dropout: ratio must be in [0, 1), got %r' % (ratio,))
        self.ratio, self.rng, self.inverted, self.train = ratio, rng, inverted, train

    def forward(self, x):
        keep = 1.0 - self.ratio
        if not self.train:
            self.mask, self.weights = None, x.dtype.type(1.0 if self.inverted else keep)
        else:
            self.mask = dropout_mask(x, self.ratio, self.rng)
            self.weights = self.mask * x.dtype.type(1.0 / keep) if self.inverted else self.mask
        return x * self.weights

    def backward(self, gy):
        return gy * self.weights

    def backward_graph(self, gy):     # the same mask: a constant
        return gy * self.weights


def dropout(x, ratio=0.5, rng=None):
    """Inverted dropout in training mode (``config.train``); identity in test mode.

    x (any shape) -> same shape and dtype.
    """
    if not config.train:
        return x if isinstance(x, Variable) else Variable(as_array(x, where='dropout'),
                                                          requires_grad=False)
    return Dropout(ratio, rng)(x)
