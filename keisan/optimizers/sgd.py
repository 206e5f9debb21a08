"""Stochastic gradient descent and its momentum variants (book chapter 6.1)."""
import numpy as np

from keisan.optimizers.optimizer import Hyperparameter, Optimizer


class SGD(Optimizer):
    """Vanilla stochastic gradient descent.

    ``p <- p - lr * g``

    Args:
        lr: learning rate (default 0.01, as in the book and Chainer).
    """

    def __init__(self, lr=0.01):
        super().__init__()
        self.lr = lr

    def _update_one(self, p, g, state, lr):
        p -= lr * g


class MomentumSGD(Optimizer):
    """SGD with (heavy-ball) momentum; the book's ``Momentum``.

    ``v <- momentum * v - lr * g;  p <- p + v``   (state ``v``, starts at 0)

    The book and Chainer agree on this form (the velocity holds the learning rate,
    unlike PyTorch's ``v = mu*v + g; p -= lr*v``, which differs when lr changes).

    Args:
        lr: learning rate (default 0.01).
        momentum: decay of the velocity, in [0, 1] (default 0.9).
    """
    momentum = Hyperparameter(0.0, 1.0)
    _state_spec = (('v', 0.0),)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def _step_hyper(self):
        return self.lr, self.momentum

    def _update_one(self, p, g, state, hyper):
        lr, momentum = hyper
        v = state['v']
        v *= momentum
        v -= lr * g
        p += v


class NesterovAG(Optimizer):
    """Nesterov's accelerated gradient, in the form of the book and Chainer (identical).

    With ``m = momentum`` (state ``v``, starts at 0)::

        v <- m * v - lr * g
        p <- p + m * m * v - (1 + m) * lr * g

    This is Sutskever et al.'s NAG rewritten in terms of the "look-ahead"
    parameters (Bengio et al. 2012), so the gradient is taken at the stored
    parameters. Computed as ``p += (m*m) * v; p -= ((1+m)*lr) * g``.

    Args:
        lr: learning rate (default 0.01).
        momentum: in [0, 1] (default 0.9).
    """
    momentum = Hyperparameter(0.0, 1.0)
    _state_spec = (('v', 0.0),)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def _step_hyper(self):
        lr, m = self.lr, self.momentum
        return lr, m, m * m, (1.0 + m) * lr

    def _update_one(self, p, g, state, hyper):
        lr, m, mm, step = hyper
        v = state['v']
        buf = lr * g                    # the one temporary, reused below
        v *= m
        v -= buf
        np.multiply(v, mm, out=buf)
        p += buf
        np.multiply(g, step, out=buf)
        p -= buf


Momentum = MomentumSGD
Nesterov = NesterovAG
