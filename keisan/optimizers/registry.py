"""``get(name, **kwargs)``: optimizers by (case-insensitive) name, for configs, command
lines and the book's ``Trainer(optimizer='Adam', optimizer_param={'lr': 0.001})``."""
from keisan.optimizers.adam import Adam, AdamW
from keisan.optimizers.adaptive import AdaDelta, AdaGrad, RMSprop, RMSpropGraves, SMORMS3
from keisan.optimizers.optimizer import Optimizer
from keisan.optimizers.sgd import SGD, MomentumSGD, NesterovAG

#: the canonical names, one per optimizer (e.g. the choices of a command line)
NAMES = ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'rmspropgraves', 'adadelta',
         'adam', 'adamw', 'smorms3')
_CLASSES = (SGD, MomentumSGD, NesterovAG, AdaGrad, RMSprop, RMSpropGraves, AdaDelta, Adam,
            AdamW, SMORMS3)
#: every name ``get`` knows: the canonical ones and the lowercased class names
OPTIMIZERS = dict(zip(NAMES, _CLASSES), **{cls.__name__.lower(): cls for cls in _CLASSES})


def get(name, **kwargs):
    """A new optimizer from its name (``'adam'``, ``'Momentum'``, ...) and hyperparameters.

    An Optimizer instance is returned as is (with no kwargs). Names are matched
    ignoring case, ``_`` and ``-``; the kwargs are the class's own arguments,
    aliases included (``get('adam', lr=0.01)``). Unknown names raise ValueError
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
