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

A checkpoint holds both the optimizer's state (its current lr among the other
hyperparameters) and the schedule's (epoch and base_lr); loading the schedule's
sets the lr again to ``lr_at(epoch)``, the same value when both were saved together.
"""
import math

import numpy as np

from keisan.optimizers.optimizer import Alias, Hyperparameter, check_count


class Schedule:
    """Base class: subclasses implement ``lr_at(epoch)`` from ``self.base_lr``.

    The schedules' own parameters are :class:`Hyperparameter` s too, checked at
    every assignment (``StepDecay.gamma must be > 0``).

    Args:
        optimizer: the optimizer whose attribute ``attr`` is set.
        attr: the hyperparameter to schedule (default ``'lr'``).
        last_epoch: the epoch the optimizer is at (default 0: the lr is set to
            ``lr_at(0) == base_lr``).
    """
    base_lr = Hyperparameter()

    def __init__(self, optimizer, attr='lr', last_epoch=0):
        if not isinstance(getattr(type(optimizer), attr, None), (Hyperparameter, Alias)):
            raise AttributeError('%s: %s has no hyperparameter %r to schedule'
                                 % (type(self).__name__, type(optimizer).__name__, attr))
        self.optimizer = optimizer
        self.attr = attr
        self.base_lr = getattr(optimizer, attr)
        self.epoch = check_count(last_epoch, '%s: epoch' % type(self).__name__)
        setattr(optimizer, attr, self.lr_at(self.epoch))

    def lr_at(self, epoch):
        raise NotImplementedError

    def __call__(self, epoch):
        """Set the optimizer's lr to that of ``epoch``; returns it."""
        self.epoch = check_count(epoch, '%s: epoch' % type(self).__name__)
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
        """``{'epoch': int64, 'base_lr': float64}`` as 0-d arrays."""
        return {'epoch': np.array(self.epoch, dtype=np.int64),
                'base_lr': np.array(self.base_lr, dtype=np.float64)}

    def load_state_dict(self, state, strict=True):
        """Restore :meth:`state_dict` and set the optimizer's lr of that epoch.

        Both entries are required and checked before anything changes; one
        ValueError names every problem (unknown keys too, with ``strict``).
        """
        problems, values = [], {}
        for key, check in (('epoch', check_count), ('base_lr', type(self).base_lr.check)):
            try:
                values[key] = check(state[key], repr(key))
            except KeyError:
                problems.append('missing %r' % key)
            except (TypeError, ValueError) as e:
                problems.append(str(e))
        if strict:
            problems += ['unexpected key %r' % key for key in state
                         if key not in ('epoch', 'base_lr')]
        if problems:
            raise ValueError('%s.load_state_dict: %s' % (type(self).__name__, '; '.join(problems)))
        self.base_lr = values['base_lr']
        self(values['epoch'])

    def __repr__(self):
        return '%s(epoch=%d, base_lr=%g, lr=%g)' % (type(self).__name__, self.epoch,
                                                     self.base_lr, self.lr)


class StepDecay(Schedule):
    """``lr = base_lr * gamma ** (epoch // step_size)``."""
    gamma = Hyperparameter(open_low=True)

    def __init__(self, optimizer, step_size, gamma=0.1, attr='lr', last_epoch=0):
        self.step_size = check_count(step_size, 'StepDecay: step_size', low=1)
        self.gamma = gamma
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """``lr = base_lr * gamma ** epoch``."""
    gamma = Hyperparameter(open_low=True)

    def __init__(self, optimizer, gamma, attr='lr', last_epoch=0):
        self.gamma = gamma
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineAnnealing(Schedule):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2``.

    (Loshchilov & Hutter's SGDR without restarts.) After ``t_max`` epochs the lr
    stays at ``eta_min`` (no restart, unlike PyTorch's closed form, which rises again).
    """
    t_max = Hyperparameter(open_low=True)
    eta_min = Hyperparameter()

    def __init__(self, optimizer, t_max, eta_min=0.0, attr='lr', last_epoch=0):
        self.t_max = t_max
        self.eta_min = eta_min
        super().__init__(optimizer, attr, last_epoch)

    def lr_at(self, epoch):
        if epoch >= self.t_max:
            return self.eta_min
        return self.eta_min + (self.base_lr - self.eta_min) * \
            (1.0 + math.cos(math.pi * epoch / self.t_max)) / 2.0
