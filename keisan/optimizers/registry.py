"""``get(name, **kwargs)``: optimizers by (case-insensitive) name, for configs and the book's
``Trainer(optimizer='Adam', optimizer_param={'lr': 0.001})``."""
from keisan.optimizers.adam import Adam, AdamW
from keisan.optimizers.adaptive import AdaDelta, AdaGrad, RMSprop, RMSpropGraves, SMORMS3
from keisan.optimizers.optimizer import Optimizer
from keisan.optimizers.sgd import SGD, MomentumSGD, NesterovAG

OPTIMIZERS = {
    'sgd': SGD,
    'momentum': MomentumSGD,
    'momentumsgd': MomentumSGD,
    'nesterov': NesterovAG,
    'nesterovag': NesterovAG,
    'adagrad': AdaGrad,
    'rmsprop': RMSprop,
    'rmspropgraves': RMSpropGraves,
    'adadelta': AdaDelta,
    'adam': Adam,
    'adamw': AdamW,
    'smorms3': SMORMS3,
}


def get(name, **kwargs):
    """A new optimizer from its name (``'adam'``, ``'Momentum'``, ...) and hyperparameters.

    An Optimizer instance is returned as is (with no kwargs). ``lr`` is accepted
    for Adam/AdamW as an alias of ``alpha``; ``'adamw'`` is Adam with
    ``weight_decay_rate=1e-5`` (per step) unless given. Unknown names raise ValueError
    listing the known ones.
    """
    if isinstance(name, Optimizer):
        if kwargs:
            raise TypeError('optimizers.get: keyword arguments given with an optimizer '
                            'instance %r' % (name,))
        return name
    if not isinstance(name, str):
        raise TypeError('optimizers.get: expected a name (str), got %s' % type(name).__name__)
    key = name.lower().replace('_', '').replace('-', '')
    if key not in OPTIMIZERS:
        raise ValueError('optimizers.get: unknown optimizer %r; known names: %s'
                         % (name, ', '.join(sorted(OPTIMIZERS))))
    return OPTIMIZERS[key](**kwargs)
