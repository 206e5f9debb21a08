"""The book's BatchNormalization layer (per feature, per activation or per channel)."""
import math

from keisan.cuda import get_array_module
from keisan.functions.array import reshape
from keisan.functions.normalization import BatchNormalization as BatchNormFunction
from keisan.functions.normalization import FixedBatchNormalization
from keisan.layers.layer import Layer

BOOK_EPS = 10e-7   # the book's epsilon


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta.

    Args:
        gamma, beta: for x (N, D), of shape (D,); for x (N, C, H, W) either (C·H·W,),
            normalizing each activation over the batch as the book does, or (C,),
            normalizing each channel over the batch and the image (a convolution's
            batch norm). None: ones and zeros of the size the first input needs.
        momentum: running = momentum * running + (1 - momentum) * batch statistic.
        running_mean, running_var: initial statistics; zeros if None (as in the book).
        eps: the book's 1e-6 by default.
        rho, moving_mean, moving_var: other listings' names of momentum and the
            statistics (also readable as attributes).

    ``forward(x, train_flg=True)`` uses batch statistics when training and the
    running ones otherwise; ``backward`` fills ``dgamma`` and ``dbeta``. After a
    training forward the book's ``xc`` (x - mean), ``xn`` (normalized x), ``std`` and
    ``batch_size`` are there to inspect (``x_mu``/``x_std`` are xc and xn), computed on
    access; for 4-D input per activation they are (N, C·H·W), as in the book.
    """
    param_names = ('gamma', 'beta')

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None,
                 eps=BOOK_EPS, *, rho=None, moving_mean=None, moving_var=None):
        if (running_mean is not None and moving_mean is not None) or \
                (running_var is not None and moving_var is not None):
            raise TypeError('BatchNormalization: running_mean/moving_mean and running_var/'
                            'moving_var name the same statistics; give one of each')
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum if rho is None else rho
        self.eps = eps
        self.input_shape = None
        self.running_mean = running_mean if moving_mean is None else moving_mean
        self.running_var = running_var if moving_var is None else moving_var
        if gamma is not None:
            self._default_arrays(gamma.shape[0])
        self.batch_size = None
        self.dgamma = None
        self.dbeta = None
        self._train_fn = None
        self._flat = False

    rho = property(lambda self: self.momentum,
                   lambda self, value: setattr(self, 'momentum', value))
    moving_mean = property(lambda self: self.running_mean,
                           lambda self, value: setattr(self, 'running_mean', value))
    moving_var = property(lambda self: self.running_var,
                          lambda self, value: setattr(self, 'running_var', value))

    def _default_arrays(self, size, like=None):
        """Ones/zeros for the missing gamma, beta and statistics, ``size`` long."""
        xp = get_array_module(like if self.gamma is None else self.gamma)
        dtype = (like if self.gamma is None else self.gamma).dtype
        for name, fill in (('gamma', 1), ('beta', 0), ('running_mean', 0), ('running_var', 0)):
            if getattr(self, name) is None:
                setattr(self, name, xp.full(size, fill, dtype))

    def _per_activation(self, x):
        """Whether x (N, C, H, W) is normalized per activation: gamma has C·H·W entries."""
        return x.ndim > 2 and self.gamma.size != x.shape[1] and \
            self.gamma.size == math.prod(x.shape[1:])

    def function(self, train=True):
        if train:
            return BatchNormFunction(self.eps, self.running_mean, self.running_var,
                                     self.momentum)
        return FixedBatchNormalization(self.eps, self.running_mean, self.running_var)

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if self.gamma is None:
            self._default_arrays(x.shape[1], like=x)
        self._flat = flat = self._per_activation(x)
        out = super().forward(x.reshape(len(x), -1) if flat else x, train_flg)
        if train_flg:
            self.batch_size = x.shape[0]
            self._train_fn = self._fn
        return out.reshape(x.shape) if flat else out

    def backward(self, dout=1):
        flat = self._flat
        dx = super().backward(dout.reshape(len(dout), -1) if flat else dout)
        return dx.reshape(self.input_shape) if flat and dx is not None else dx

    def __call__(self, x):
        shape = x.shape
        if self.gamma is None:
            self._default_arrays(shape[1], like=getattr(x, 'data', x))
        if not self._per_activation(x):
            return super().__call__(x)
        return reshape(super().__call__(reshape(x, (shape[0], -1))), shape)

    # The book's intermediate values, from the last training forward.
    @property
    def xn(self):
        return None if self._train_fn is None else self._train_fn.xn

    @property
    def std(self):
        return None if self._train_fn is None else self._train_fn.std

    @property
    def xc(self):
        fn = self._train_fn
        return None if fn is None else fn.xn * fn.std.reshape(fn.shape)

    x_mu = xc
    x_std = xn
