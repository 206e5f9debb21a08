"""Adam, AdamW (decoupled weight decay) and AMSGrad."""
import math

import numpy as np

from keisan.optimizers.optimizer import Hyperparameter, Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) in the paper's "efficient" form, as Chainer and the book write it.

    States ``m``, ``v`` (and ``vhat`` with amsgrad), all start at 0; ``t`` is the
    step number, starting at 1::

        m    <- m + (1 - beta1) * (g - m)            (= beta1*m + (1 - beta1)*g)
        v    <- v + (1 - beta2) * (g*g - v)
        lr_t  = alpha * sqrt(1 - beta2**t) / (1 - beta1**t)
        p    <- p - lr_t * m / (sqrt(v) + eps)

    The bias correction is folded into the step size (Sec. 2 of the paper), so eps
    is added to ``sqrt(v)`` rather than to ``sqrt(v / (1 - beta2**t))`` as in the
    paper's Algorithm 1 / PyTorch: identical except for an eps scaled by
    ``sqrt(1 - beta2**t)``. Defaults are the paper's and Chainer's (alpha=1e-3,
    eps=1e-8); the book's ``Adam(lr=0.001)`` uses eps=1e-7 -- pass ``eps=1e-7``
    to reproduce it exactly.

    AdamW (Loshchilov & Hutter 2019, Algorithm 2, as Chainer writes it): with
    ``weight_decay_rate = wd > 0`` the decay is decoupled from the gradient, and
    both are scaled by the schedule multiplier ``eta`` (default 1)::

        p <- p - eta * (lr_t * m / (sqrt(v) + eps) + wd * p)

    ``wd`` is the decay per step, *not* multiplied by alpha: PyTorch's
    ``AdamW(lr=1e-3, weight_decay=0.01)`` decays by ``lr * weight_decay = 1e-5``
    per step, which is ``weight_decay_rate=1e-5`` here. To scale the decay along
    with the step, schedule ``eta`` (``CosineAnnealing(opt, t_max, attr='eta')``,
    given to ``Trainer(lr_schedule=...)``; ``keisan train --lr-schedule``
    schedules alpha only). Like the other hyperparameters except ``lr``, ``eta``
    is not part of ``state_dict()``; a schedule restores it from its own state.

    AMSGrad (Reddi et al. 2018, ``amsgrad=True``): ``vhat <- max(vhat, v)`` is
    used instead of ``v`` in the denominator.

    Args:
        alpha: step size (default 1e-3); ``lr`` is an alias (the book's name),
            both as argument and as attribute, so schedules act on alpha.
        beta1, beta2: decay rates of the moments, in [0, 1).
        eps: added to sqrt(v) (default 1e-8).
        weight_decay_rate: decoupled weight decay per step (0: plain Adam).
        amsgrad: use AMSGrad.
        eta: schedule multiplier of the whole step, decay included (default 1).
    """
    alpha = Hyperparameter()
    beta1 = Hyperparameter(0.0, 1.0, open_high=True)
    beta2 = Hyperparameter(0.0, 1.0, open_high=True)
    eps = Hyperparameter()
    weight_decay_rate = Hyperparameter()
    eta = Hyperparameter()

    def __init__(self, alpha=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay_rate=0.0,
                 amsgrad=False, lr=None, eta=1.0):
        super().__init__()
        if alpha is not None and lr is not None:
            raise TypeError('Adam: give alpha or lr (its alias), not both')
        if lr is not None:
            self.lr = lr
        else:
            self.alpha = 1e-3 if alpha is None else alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay_rate = weight_decay_rate
        self.amsgrad = bool(amsgrad)
        self.eta = eta

    @property
    def lr(self):
        """Alias of ``alpha`` (not Chainer's bias-corrected rate: see :attr:`lr_t`)."""
        return self.alpha

    @lr.setter
    def lr(self, value):
        self.alpha = type(self).alpha.check(value, '%s.lr (alias of alpha)' % type(self).__name__)

    @property
    def lr_t(self):
        """The bias-corrected step size of the current step ``t`` (Chainer's ``Adam.lr``)."""
        t = max(self.t, 1)
        return self.alpha * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)

    @property
    def _state_spec(self):
        base = (('m', 0.0), ('v', 0.0))
        return base + (('vhat', 0.0),) if self.amsgrad else base

    def __repr__(self):
        text = super().__repr__()
        return text[:-1] + ', amsgrad=True)' if self.amsgrad else text

    def _step_hyper(self):
        b1, b2 = self.beta1, self.beta2
        decay = 1.0 - self.eta * self.weight_decay_rate
        return (1.0 - b1, 1.0 - b2, self.eta * self.lr_t, self.eps,
                decay if self.weight_decay_rate else None, self.amsgrad)

    def _update_one(self, p, g, state, hyper):
        one_minus_b1, one_minus_b2, lr_t, eps, decay, amsgrad = hyper
        m, v = state['m'], state['v']
        buf = g - m
        buf *= one_minus_b1
        m += buf
        np.multiply(g, g, out=buf)
        buf -= v
        buf *= one_minus_b2
        v += buf
        if amsgrad:
            vhat = state['vhat']
            np.maximum(vhat, v, out=vhat)
            v = vhat
        np.sqrt(v, out=buf)
        buf += eps
        np.divide(m, buf, out=buf)
        buf *= lr_t
        if decay is not None:       # p - eta*wd*p: the decay uses p before this step
            p *= decay
        p -= buf


class AdamW(Adam):
    """Adam with decoupled weight decay, ``weight_decay_rate`` defaulting to 1e-5 per step.

    See :class:`Adam` for the formulas (decay ``p <- p - eta * wd * p``). The
    default equals the per-step decay of PyTorch's AdamW with its defaults
    (lr 1e-3 times weight_decay 0.01).
    """

    def __init__(self, alpha=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay_rate=1e-5,
                 amsgrad=False, lr=None, eta=1.0):
        super().__init__(alpha, beta1, beta2, eps, weight_decay_rate, amsgrad, lr, eta)
