"""Dropout."""
from keisan.cuda import get_array_module
from keisan.config import config
from keisan.core.function import Function
from keisan.core.variable import Variable, as_array


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
    """Inverted dropout: drop with probability ``ratio``, scale the rest by 1 / (1 - ratio)."""

    def __init__(self, ratio=0.5, rng=None):
        if not 0.0 <= ratio < 1.0:
            raise ValueError('dropout: ratio must be in [0, 1), got %r' % (ratio,))
        self.ratio, self.rng = ratio, rng

    def forward(self, x):
        keep = dropout_mask(x, self.ratio, self.rng)
        self.scale_mask = keep * x.dtype.type(1.0 / (1.0 - self.ratio))
        return x * self.scale_mask

    def backward(self, gy):
        return gy * self.scale_mask


def dropout(x, ratio=0.5, rng=None):
    """Inverted dropout in training mode (``config.train``); identity in test mode."""
    if not config.train:
        return x if isinstance(x, Variable) else Variable(as_array(x, where='dropout'),
                                                          requires_grad=False)
    return Dropout(ratio, rng)(x)
