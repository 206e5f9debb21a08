"""Adam, AdamW (decoupled weight decay) and AMSGrad."""
import math

import numpy as np

from keisan.optimizers.optimizer import Alias, Hyperparameter, Optimizer


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
    schedules alpha only).

    AMSGrad (Reddi et al. 2018, ``amsgrad=True``): ``vhat <- max(vhat, v)`` is
    used instead of ``v`` in the denominator.

    The book's names work too: ``lr`` is an alias of ``alpha`` (argument, attribute
    and checkpoint key, so schedules act on alpha; Chainer's ``Adam.lr``, the
    bias-corrected rate, is :attr:`lr_t` here), ``rho1``/``rho2`` of ``beta1``/``beta2``,
    ``iter`` of the step count ``t``; ``opt.m`` and ``opt.v`` are the moments,
    ``{param name: array}``.

    Args:
        alpha: step size (default 1e-3).
        beta1, beta2: decay rates of the moments, in [0, 1) (default 0.9, 0.999).
        eps: added to sqrt(v) (default 1e-8).
        weight_decay_rate: decoupled weight decay per step (default 0: plain Adam).
        amsgrad: use AMSGrad (default False).
        lr: alias of alpha.
        eta: schedule multiplier of the whole step, decay included (default 1).
        rho1, rho2: aliases of beta1, beta2.
    """
    alpha = Hyperparameter(1e-3)
    beta1 = Hyperparameter(0.9, high=1.0, open_high=True)
    beta2 = Hyperparameter(0.999, high=1.0, open_high=True)
    eps = Hyperparameter(1e-8)
    weight_decay_rate = Hyperparameter(0.0)
    amsgrad = Hyperparameter(False)
    lr = Alias('alpha')
    eta = Hyperparameter(1.0)
    rho1 = Alias('beta1')
    rho2 = Alias('beta2')
    _state_spec = (('m', 0.0), ('v', 0.0), ('vhat', 0.0))

    @property
    def lr_t(self):
        """The bias-corrected step size of the current step ``t`` (Chainer's ``Adam.lr``)."""
        t = max(self.t, 1)
        return self.alpha * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)

    @property
    def iter(self):
        """The book's name of the step count ``t``."""
        return self.t

    @iter.setter
    def iter(self, value):
        self.t = value

    def _spec(self, hyper):         # vhat is kept with AMSGrad only
        return self._state_spec if hyper['amsgrad'] else self._state_spec[:2]

    def _prepare_step(self, hp):
        hp.lr_t = hp.eta * self.lr_t
        hp.decay = 1.0 - hp.eta * hp.weight_decay_rate

    def _update_one(self, p, g, state, hp):
        m, v = state['m'], state['v']
        buf = g - m
        buf *= 1.0 - hp.beta1
        m += buf
        np.multiply(g, g, out=buf)
        buf -= v
        buf *= 1.0 - hp.beta2
        v += buf
        if hp.amsgrad:
            vhat = state['vhat']
            np.maximum(vhat, v, out=vhat)
            v = vhat
        np.sqrt(v, out=buf)
        buf += hp.eps
        np.divide(m, buf, out=buf)
        buf *= hp.lr_t
        if hp.weight_decay_rate:    # p - eta*wd*p: the decay uses p before this step
            p *= hp.decay
        p -= buf


class AdamW(Adam):
    """Adam with decoupled weight decay, ``weight_decay_rate`` defaulting to 1e-5 per step.

    See :class:`Adam` for the formulas (decay ``p <- p - eta * wd * p``). The
    default equals the per-step decay of PyTorch's AdamW with its defaults
    (lr 1e-3 times weight_decay 0.01).
    """
    weight_decay_rate = Hyperparameter(1e-5)
