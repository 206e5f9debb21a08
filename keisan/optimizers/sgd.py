"""Stochastic gradient descent and its momentum variants (book chapter 6.1)."""
import numpy as np

from keisan.optimizers.optimizer import Hyperparameter, Optimizer


class SGD(Optimizer):
    """Vanilla stochastic gradient descent.

    ``p <- p - lr * g``

    Args:
        lr: learning rate (default 0.01, as in the book and Chainer).
    """
    lr = Hyperparameter(0.01)

    def _update_one(self, p, g, state, hp):
        p -= hp.lr * g


class MomentumSGD(Optimizer):
    """SGD with (heavy-ball) momentum; the book's ``Momentum``.

    ``v <- momentum * v - lr * g;  p <- p + v``   (state ``v``, starts at 0)

    The book and Chainer agree on this form (the velocity holds the learning rate,
    unlike PyTorch's ``v = mu*v + g; p -= lr*v``, which differs when lr changes).

    Args:
        lr: learning rate (default 0.01).
        momentum: decay of the velocity, in [0, 1] (default 0.9).
    """
    lr = Hyperparameter(0.01)
    momentum = Hyperparameter(0.9, high=1.0)
    _state_spec = (('v', 0.0),)

    def _update_one(self, p, g, state, hp):
        v = state['v']
        v *= hp.momentum
        v -= hp.lr * g
        p += v


class NesterovAG(MomentumSGD):
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

    def _update_one(self, p, g, state, hp):
        lr, m = hp.lr, hp.momentum
        v = state['v']
        buf = lr * g                    # the one temporary, reused below
        v *= m
        v -= buf
        np.multiply(v, m * m, out=buf)
        p += buf
        np.multiply(g, (1.0 + m) * lr, out=buf)
        p -= buf


Momentum = MomentumSGD
Nesterov = NesterovAG
