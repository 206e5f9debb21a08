"""Learning-rate schedules that set an optimizer's ``lr`` once per epoch.

::

    opt = MomentumSGD(lr=0.1)
    sched = StepDecay(opt, step_size=30, gamma=0.1)
    for epoch in range(90):
        train_one_epoch(opt)
        sched.step()                    # lr of the next epoch

``sched(epoch)`` sets (and returns) the lr of any epoch directly; ``sched.lr_at(epoch)``
only computes it. The lr is a closed-form function of ``base_lr`` (the
optimizer's lr when the schedule was made) and the epoch number, so it does not
drift and can be restored from ``state_dict()``. For Adam the attribute ``lr``
aliases ``alpha``; ``attr='alpha'`` (or any other hyperparameter name) works too.
"""
import math
import numbers

import numpy as np


class Schedule:
    """Base class: subclasses implement ``lr_at(epoch)`` from ``self.base_lr``.

    Args:
        optimizer: the optimizer whose attribute ``attr`` is set.
        attr: the hyperparameter to schedule (default ``'lr'``).
        last_epoch: the epoch the optimizer is at (default 0: the lr is set to
            ``lr_at(0) == base_lr``).
    """

    def __init__(self, optimizer, attr='lr', last_epoch=0):
        if not hasattr(optimizer, attr):
            raise AttributeError('%s: %s has no attribute %r to schedule'
                                 % (type(self).__name__, type(optimizer).__name__, attr))
        self.optimizer = optimizer
        self.attr = attr
        self.base_lr = float(getattr(optimizer, attr))
        self.epoch = _check_epoch(last_epoch, type(self).__name__)
        setattr(optimizer, attr, self.lr_at(self.epoch))

    def lr_at(self, epoch):
        raise NotImplementedError

    def __call__(self, epoch):
        """Set the optimizer's lr to that of ``epoch``; returns it."""
        self.epoch = _check_epoch(epoch, type(self).__name__)
        lr = self.lr_at(self.epoch)
        setattr(self.optimizer, self.attr, lr)
        return lr

    def step(self):
        """Advance one epoch; returns the new lr."""
        return self(self.epoch + 1)

    @property
    def lr(self):
        return getattr(self.optimizer, self.attr)

    def state_dict(self):
        return {'epoch': np.array(self.epoch, dtype=np.int64),
                'base_lr': np.array(self.base_lr, dtype=np.float64)}

    def load_state_dict(self, state, strict=True):
        for key in ('epoch', 'base_lr'):
            if key not in state:
                raise ValueError('%s.load_state_dict: missing %r' % (type(self).__name__, key))
        self.base_lr = float(state['base_lr'])
        self(int(state['epoch']))

    def __repr__(self):
        return '%s(epoch=%d, base_lr=%g, lr=%g)' % (type(self).__name__, self.epoch,
                                                     self.base_lr, self.lr)


def _check_epoch(epoch, where):
    if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
        raise ValueError('%s: epoch must be a non-negative integer, got %r' % (where, epoch))
    return int(epoch)


def _positive(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 \
            or not math.isfinite(value):
        raise ValueError('%s: %s must be a positive number, got %r' % (where, name, value))
    return value


class StepDecay(Schedule):
    """``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1, attr='lr', last_epoch=0):
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) \
                or step_size < 1:
            raise ValueError('StepDecay: step_size must be a positive integer, got %r'
                             % (step_size,))
        self.step_size = int(step_size)
        self.gamma = float(_positive(gamma, 'gamma', 'StepDecay'))
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer, gamma, attr='lr', last_epoch=0):
        self.gamma = float(_positive(gamma, 'gamma', 'ExponentialDecay'))
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineAnnealing(Schedule):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2``.

    (Loshchilov & Hutter's SGDR without restarts.) After ``t_max`` epochs the lr
    stays at ``eta_min`` (no restart, unlike PyTorch's closed form, which rises again).
    """

    def __init__(self, optimizer, t_max, eta_min=0.0, attr='lr', last_epoch=0):
        self.t_max = _positive(t_max, 't_max', 'CosineAnnealing')
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real) \
                or not eta_min >= 0:
            raise ValueError('CosineAnnealing: eta_min must be >= 0, got %r' % (eta_min,))
        self.eta_min = float(eta_min)
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        if epoch >= self.t_max:
            return self.eta_min
        return self.eta_min + (self.base_lr - self.eta_min) * \
            (1.0 + math.cos(math.pi * epoch / self.t_max)) / 2.0
