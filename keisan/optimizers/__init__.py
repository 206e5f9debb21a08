"""Optimizers (``import keisan.optimizers as O``): update rules, hooks, lr schedules.

Book style: ``opt.update(network.params, grads)``; Chainer style:
``opt.setup(model); ...; loss.backward(); opt.update()``. See
:mod:`keisan.optimizers.optimizer` for the shared rules (in-place updates,
read-only gradients, lazily created state of the parameter's dtype,
hyperparameters declared once and saved with the state).
"""
from keisan.optimizers import schedules
from keisan.optimizers.adam import Adam, AdamW
from keisan.optimizers.adaptive import (AdaDelta, AdaGrad, RMSProp, RMSprop, RMSpropGraves,
                                        SMORMS3)
from keisan.optimizers.hooks import GradientClipping, global_norm
from keisan.optimizers.optimizer import Alias, Hyperparameter, Optimizer
from keisan.optimizers.registry import NAMES, OPTIMIZERS, get
from keisan.optimizers.schedules import CosineAnnealing, ExponentialDecay, StepDecay
from keisan.optimizers.sgd import SGD, Momentum, MomentumSGD, Nesterov, NesterovAG

__all__ = ['AdaDelta', 'AdaGrad', 'Adam', 'AdamW', 'Alias', 'CosineAnnealing',
           'ExponentialDecay', 'GradientClipping', 'Hyperparameter', 'Momentum',
           'MomentumSGD', 'NAMES', 'Nesterov', 'NesterovAG', 'OPTIMIZERS', 'Optimizer',
           'RMSProp', 'RMSprop', 'RMSpropGraves', 'SGD', 'SMORMS3', 'StepDecay',
           'get', 'global_norm', 'schedules']
