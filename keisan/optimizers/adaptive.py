"""Per-coordinate adaptive learning rates: AdaGrad, RMSprop, RMSpropGraves, AdaDelta, SMORMS3.

Every rule reads the gradient, updates its state arrays and the parameter in place,
and allocates at most one or two temporaries per parameter and step (NumPy ufuncs
with ``out=``; CuPy arrays go through the same ufuncs via ``__array_ufunc__``).
"""
import numpy as np

from keisan.optimizers.optimizer import Alias, Hyperparameter, Optimizer


def _step_by_root(p, g, h, buf, lr, eps):
    """``p -= lr * g / (sqrt(h) + eps)`` in place, with ``buf`` (g's shape) as scratch:
    the step AdaGrad and RMSprop share."""
    np.sqrt(h, out=buf)
    buf += eps
    np.divide(g, buf, out=buf)
    buf *= lr
    p -= buf


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011), the book's form and defaults.

    ``h <- h + g*g;  p <- p - lr * g / (sqrt(h) + eps)``   (state ``h``, starts at 0)

    The book and Chainer use the same formula with eps *added after* the square
    root; they differ in defaults (Chainer: lr=0.001, eps=1e-8). keisan follows the
    book: lr=0.01, eps=1e-7.
    """
    lr = Hyperparameter(0.01)
    eps = Hyperparameter(1e-7)
    _state_spec = (('h', 0.0),)

    def _update_one(self, p, g, state, hp):
        h = state['h']
        buf = g * g
        h += buf
        _step_by_root(p, g, h, buf, hp.lr, hp.eps)


class RMSprop(Optimizer):
    """RMSprop (Hinton, lecture 6e), the book's form and defaults.

    ``h <- alpha*h + (1 - alpha)*g*g;  p <- p - lr * g / (sqrt(h) + eps)``
    (state ``h``, starts at 0)

    Book and Chainer agree on lr=0.01, alpha (the book's ``decay_rate``) =0.99 and
    eps added after the square root; the book uses eps=1e-7 (Chainer 1e-8):
    keisan follows the book.

    Args:
        lr: learning rate (default 0.01).
        alpha: decay of the mean square, in [0, 1] (default 0.99); ``decay_rate``
            (the book's name) and ``rho`` (a popular variant's) are aliases.
        eps: added to the root mean square (default 1e-7).
    """
    lr = Hyperparameter(0.01)
    alpha = Hyperparameter(0.99, high=1.0)
    eps = Hyperparameter(1e-7)
    decay_rate = Alias('alpha')
    rho = Alias('alpha')
    _state_spec = (('h', 0.0),)

    def _update_one(self, p, g, state, hp):
        h = state['h']
        buf = g * g
        buf *= 1.0 - hp.alpha
        h *= hp.alpha
        h += buf
        _step_by_root(p, g, h, buf, hp.lr, hp.eps)


class RMSpropGraves(Optimizer):
    """Graves' RMSprop with momentum (Graves 2013, eqs. 38-41), Chainer's defaults.

    With ``a = alpha``, ``m = momentum`` (states ``ms``, ``mg``, ``delta``, all start at 0)::

        ms    <- a*ms + (1 - a)*g*g              (mean square)
        mg    <- a*mg + (1 - a)*g                (mean gradient)
        delta <- m*delta - lr * g / sqrt(ms - mg*mg + eps)
        p     <- p + delta

    eps is inside the square root, as in the paper. Defaults lr=1e-4, alpha=0.95,
    momentum=0.9, eps=1e-4 (the paper's and Chainer's).
    """
    lr = Hyperparameter(1e-4)
    alpha = Hyperparameter(0.95, high=1.0)
    momentum = Hyperparameter(0.9, high=1.0)
    eps = Hyperparameter(1e-4)
    _state_spec = (('ms', 0.0), ('mg', 0.0), ('delta', 0.0))

    def _update_one(self, p, g, state, hp):
        lr, alpha, one_minus_alpha, momentum, eps = \
            hp.lr, hp.alpha, 1.0 - hp.alpha, hp.momentum, hp.eps
        ms, mg, delta = state['ms'], state['mg'], state['delta']
        buf = g * g
        buf *= one_minus_alpha
        ms *= alpha
        ms += buf
        np.multiply(g, one_minus_alpha, out=buf)
        mg *= alpha
        mg += buf
        np.multiply(mg, mg, out=buf)
        np.subtract(ms, buf, out=buf)
        buf += eps
        np.sqrt(buf, out=buf)
        np.divide(g, buf, out=buf)
        buf *= lr
        delta *= momentum
        delta -= buf
        p += delta


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012, Algorithm 1), with Chainer's defaults rho=0.95, eps=1e-6.

    States ``msg`` (E[g^2]) and ``msdx`` (E[dx^2]), both start at 0::

        msg  <- rho*msg + (1 - rho)*g*g
        dx   <- sqrt((msdx + eps) / (msg + eps)) * g
        msdx <- rho*msdx + (1 - rho)*dx*dx
        p    <- p - lr * dx

    The paper has no learning rate; ``lr`` (default 1.0, the paper exactly: the
    multiplication is skipped) is an extra scale, as in PyTorch, so that schedules
    apply. ``msdx`` accumulates the unscaled ``dx``.
    """
    rho = Hyperparameter(0.95, high=1.0)
    eps = Hyperparameter(1e-6)
    lr = Hyperparameter(1.0)
    _state_spec = (('msg', 0.0), ('msdx', 0.0))

    def _update_one(self, p, g, state, hp):
        lr, rho, one_minus_rho, eps = hp.lr, hp.rho, 1.0 - hp.rho, hp.eps
        msg, msdx = state['msg'], state['msdx']
        buf = g * g
        buf *= one_minus_rho
        msg *= rho
        msg += buf
        np.add(msg, eps, out=buf)
        dx = msdx + eps
        dx /= buf
        np.sqrt(dx, out=dx)
        dx *= g
        np.multiply(dx, dx, out=buf)
        buf *= one_minus_rho
        msdx *= rho
        msdx += buf
        if lr != 1.0:
            dx *= lr
        p -= dx


class SMORMS3(Optimizer):
    """SMORMS3 (Simon Funk, "RMSprop loses to SMORMS3", 2015), Chainer's defaults.

    States ``mem`` (starts at 1), ``g`` and ``g2`` (start at 0); all operations
    element-wise::

        r   <- 1 / (mem + 1)
        g   <- (1 - r)*g  + r*grad        computed as g  += r*(grad - g)
        g2  <- (1 - r)*g2 + r*grad*grad   computed as g2 += r*(grad*grad - g2)
        x   <- g*g / (g2 + eps)
        p   <- p - grad * min(lr, x) / (sqrt(g2) + eps)
        mem <- 1 + mem*(1 - x)

    Defaults lr=1e-3, eps=1e-16.
    """
    lr = Hyperparameter(1e-3)
    eps = Hyperparameter(1e-16)
    _state_spec = (('mem', 1.0), ('g', 0.0), ('g2', 0.0))

    def _update_one(self, p, grad, state, hp):
        lr, eps = hp.lr, hp.eps
        mem, g, g2 = state['mem'], state['g'], state['g2']
        r = mem + 1.0
        np.reciprocal(r, out=r)
        buf = grad - g
        buf *= r
        g += buf
        np.multiply(grad, grad, out=buf)
        buf -= g2
        buf *= r
        g2 += buf
        x = r                               # r is no longer needed
        np.multiply(g, g, out=x)
        np.add(g2, eps, out=buf)
        np.divide(x, buf, out=x)
        np.subtract(1.0, x, out=buf)
        mem *= buf
        mem += 1.0
        np.minimum(x, lr, out=x)
        x *= grad
        np.sqrt(g2, out=buf)
        buf += eps
        np.divide(x, buf, out=x)
        p -= x


RMSProp = RMSprop
