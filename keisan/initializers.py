"""Weight initializers.

An initializer is a callable ``init(shape, xp=numpy, dtype=float32) -> array``.
Random ones draw from the global random state of ``xp`` (``np.random.randn``)
unless given a ``rng`` (``numpy.random.Generator``), so ``np.random.seed(0)``
reproduces the book's networks exactly.

Fan-in follows keisan's layouts: a 2-D weight is (in_size, out_size) as in the
book's Affine; a convolution filter is (out_channels, in_channels, kh, kw).
"""
import math
import numbers

import numpy as np

from keisan import cuda
from keisan.config import config


def fans(shape):
    """(fan_in, fan_out) of a weight of ``shape`` in keisan's layouts."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) > 2:
        receptive = int(np.prod(shape[2:]))
        return shape[1] * receptive, shape[0] * receptive
    raise ValueError('initializers: cannot compute fans of a weight of shape %s' % (shape,))


class Initializer:
    def __call__(self, shape, xp=np, dtype=None):
        raise NotImplementedError

    def __repr__(self):
        args = ', '.join('%s=%r' % kv for kv in vars(self).items() if kv[0] != 'rng')
        return '%s(%s)' % (type(self).__name__, args)


class Normal(Initializer):
    """N(0, scale^2): the book's ``weight_init_std * np.random.randn(...)``."""

    def __init__(self, scale=0.05, rng=None):
        self.scale, self.rng = scale, rng

    def __call__(self, shape, xp=np, dtype=None):
        dtype = dtype or config.dtype
        draw = self.rng.standard_normal(shape) if self.rng is not None \
            else xp.random.randn(*shape)
        return xp.asarray(self.scale * draw).astype(dtype, copy=False)


class _FanScaled(Initializer):
    """Normal whose std is sqrt(gain / fan) for a fan computed from the shape."""
    gain = 1.0

    def __init__(self, scale=1.0, rng=None):
        self.scale, self.rng = scale, rng

    def std(self, shape):
        raise NotImplementedError

    def __call__(self, shape, xp=np, dtype=None):
        return Normal(self.scale * self.std(shape), self.rng)(shape, xp, dtype)


class HeNormal(_FanScaled):
    """std = scale * sqrt(2 / fan_in): for ReLU networks (the book's 'he'/'relu')."""

    def std(self, shape):
        return math.sqrt(2.0 / fans(shape)[0])


class LeCunNormal(_FanScaled):
    """std = scale * sqrt(1 / fan_in): the book's 'xavier'/'sigmoid' setting."""

    def std(self, shape):
        return math.sqrt(1.0 / fans(shape)[0])


class GlorotNormal(_FanScaled):
    """std = scale * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio's Xavier)."""

    def std(self, shape):
        fan_in, fan_out = fans(shape)
        return math.sqrt(2.0 / (fan_in + fan_out))


class Constant(Initializer):
    """Every element equal to ``value`` (a scalar or an array broadcastable to the shape)."""

    def __init__(self, value):
        self.value = value

    def __call__(self, shape, xp=np, dtype=None):
        value = cuda.to_cpu(self.value) if cuda.is_array(self.value) else self.value
        return xp.asarray(np.broadcast_to(np.asarray(value, dtype=dtype or config.dtype),
                                          shape)).copy()


def Zero():
    return Constant(0.0)


def One():
    return Constant(1.0)


#: The book's names of ``weight_init_std`` and the initializer each stands for.
BOOK_NAMES = {'relu': HeNormal, 'he': HeNormal, 'sigmoid': LeCunNormal,
              'xavier': LeCunNormal}


def from_weight_init_std(value):
    """Map the book's ``weight_init_std`` onto an initializer.

    'relu'/'he' -> HeNormal, 'sigmoid'/'xavier' -> LeCunNormal (the book's
    "Xavier" is sqrt(1 / n)), a number -> Normal(number).
    """
    if isinstance(value, str):
        key = value.lower()
        if key in BOOK_NAMES:
            return BOOK_NAMES[key]()
        raise ValueError('weight_init_std: expected %s or a number, got %r'
                         % (', '.join(map(repr, BOOK_NAMES)), value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Normal(float(value))
    raise TypeError('weight_init_std: expected a string or a number, got %s'
                    % type(value).__name__)


def get(init, default=None):
    """Resolve ``init`` (None, Initializer, callable, number, array or book string)."""
    if init is None:
        return default if default is not None else LeCunNormal()
    if isinstance(init, Initializer) or (callable(init) and not isinstance(init, type)):
        return init
    if isinstance(init, str):
        return from_weight_init_std(init)
    if isinstance(init, numbers.Real) or cuda.is_array(init):
        return Constant(init)
    raise TypeError('initializer: expected an Initializer, a number, an array or None, '
                    'got %s' % type(init).__name__)
