"""The book's networks by name, as the ``keisan`` command builds them.

:data:`MODELS` maps each name to its class and the constructor arguments the CLI
uses; ``build_model(name, model_args)`` rebuilds a network from what a run's
``config.json`` records (after :func:`check_model_args`), and
``gradcheck_model(name)`` makes a tiny float64 one for checking backprop against
numerical gradients.
"""
import copy

import numpy as np

from keisan import initializers
from keisan.models import (DeepConvNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet,
                           TwoLayerNet)
from keisan.training.settings import CHOICES, MAX_LAYERS, RANGES, Range

__all__ = ['MODELS', 'build_model', 'check_model_args', 'default_model_args',
           'gradcheck_model', 'model_input_shape', 'takes_images']

#: name -> (class, constructor arguments for 28x28 images and 10 classes, JSON-style).
#: The conv nets, whose arguments have an ``input_dim``, take (N, 1, 28, 28) images
#: rather than (N, 784) vectors.
MODELS = {
    'two_layer': (TwoLayerNet, {'input_size': 784, 'hidden_size': 100, 'output_size': 10}),
    'mlp': (MultiLayerNet, {'input_size': 784, 'hidden_size_list': [100] * 6,
                            'output_size': 10}),
    'mlp_extend': (MultiLayerNetExtend, {'input_size': 784, 'hidden_size_list': [100] * 6,
                                         'output_size': 10, 'use_batchnorm': True}),
    # He initialization instead of the book's 0.01: the same network, but its first
    # epoch on Fashion-MNIST ends near 0.84 test accuracy instead of 0.75.
    'simple_conv': (SimpleConvNet, {'input_dim': [1, 28, 28], 'hidden_size': 100,
                                    'output_size': 10, 'weight_init_std': 'relu'}),
    'deep_conv': (DeepConvNet, {'input_dim': [1, 28, 28], 'hidden_size': 50,
                                'output_size': 10}),
}


def _entry(name):
    if name not in MODELS:
        raise ValueError('unknown model %r; known models: %s' % (name, ', '.join(MODELS)))
    return MODELS[name]


def takes_images(name):
    """True for the conv nets (data loaded with ``flatten=False``)."""
    return 'input_dim' in _entry(name)[1]


def default_model_args(name, weight_decay=0.0):
    """Constructor arguments of the CLI's model ``name`` (a new dict).

    ``weight_decay`` is every network's ``weight_decay_lambda``: the book's L2 term
    ``0.5 * lambda * sum(W**2)`` over the weights (not the biases), added to the loss.
    """
    args = copy.deepcopy(_entry(name)[1])
    args['weight_decay_lambda'] = RANGES['weight_decay'].check(weight_decay, 'weight_decay')
    return args


#: the arguments that fix a network's input and output: 28x28 images, 10 classes
_SHAPE_ARGS = ('input_size', 'input_dim', 'output_size')
_INIT_STD = Range(float, 0.0, open_low=True)


def check_model_args(name, model_args, where='model_args'):
    """Refuse constructor arguments of model ``name`` that the CLI would never write.

    The keys must be among :func:`default_model_args`' (missing ones take the class
    defaults); the input and output sizes must be the defaults (28x28 images, 10
    classes); ``hidden_size`` and each of ``hidden_size_list`` (1 to ``MAX_LAYERS``
    entries) in ``RANGES['hidden_size']``; ``weight_decay_lambda`` in
    ``RANGES['weight_decay']``; ``weight_init_std`` a number > 0 or one of 'relu', 'he',
    'sigmoid', 'xavier'; ``use_batchnorm`` a bool. Raises ValueError naming ``where``
    and every offending key.
    """
    defaults = default_model_args(name)
    if not isinstance(model_args, dict):
        raise ValueError('%s must be a dict of %s arguments, got %r' % (where, name, model_args))
    problems = []
    for key, value in model_args.items():
        try:
            _check_model_arg(key, value, defaults, '%s %s' % (where, key))
        except ValueError as e:
            problems.append(str(e))
    if problems:
        raise ValueError('; '.join(problems))


def _check_model_arg(key, value, defaults, where):
    if key not in defaults:
        raise ValueError('%s is not an argument keisan sets (known: %s)'
                         % (where, ', '.join(defaults)))
    if key in _SHAPE_ARGS:
        if (list(value) if isinstance(value, tuple) else value) != defaults[key]:
            raise ValueError('%s must be %r (28x28 images, 10 classes), got %r'
                             % (where, defaults[key], value))
    elif key == 'hidden_size':
        RANGES['hidden_size'].check(value, where)
    elif key == 'hidden_size_list':
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LAYERS:
            raise ValueError('%s must be a list of 1 to %d layer widths, got %r'
                             % (where, MAX_LAYERS, value))
        for width in value:
            RANGES['hidden_size'].check(width, where + ' entry')
    elif key == 'weight_decay_lambda':
        RANGES['weight_decay'].check(value, where)
    elif key == 'weight_init_std':
        if not (isinstance(value, str) and value.lower() in initializers.BOOK_NAMES):
            try:
                _INIT_STD.check(value, where)
            except ValueError:
                raise ValueError('%s must be %s or one of %s, got %r' % (
                    where, _INIT_STD.expected(), ', '.join(initializers.BOOK_NAMES),
                    value)) from None
    elif not isinstance(value, bool):               # use_batchnorm
        raise ValueError('%s must be true or false, got %r' % (where, value))


def build_model(name, model_args=None, dtype=None):
    """A new network ``name`` built with ``model_args`` (JSON-style: lists for tuples).

    Draws its initial weights from ``np.random`` (seed it first for a reproducible run).
    ``model_args`` are checked first (:func:`check_model_args`), and ``dtype`` must be
    one of ``CHOICES['dtype']`` (ValueError).
    """
    cls = _entry(name)[0]
    if model_args is not None:
        check_model_args(name, model_args)
    if dtype is not None and str(dtype) not in CHOICES['dtype'] and \
            getattr(dtype, '__name__', None) not in CHOICES['dtype']:
        raise ValueError('build_model: dtype must be one of %s, got %r'
                         % (', '.join(CHOICES['dtype']), dtype))
    kwargs = copy.deepcopy(model_args if model_args is not None else default_model_args(name))
    if 'input_dim' in kwargs:
        kwargs['input_dim'] = tuple(kwargs['input_dim'])
    if dtype is not None:
        kwargs['dtype'] = dtype
    return cls(**kwargs)


def model_input_shape(name, model_args):
    """Shape of one example: (C, H, W) for the conv nets, (D,) for the others."""
    if takes_images(name):
        return tuple(model_args.get('input_dim', (1, 28, 28)))
    return (int(model_args.get('input_size', 784)),)


def gradcheck_model(name):
    """A tiny float64 version of ``name`` for comparing backprop with numerical gradients.

    Returns ``(network, input_shape, num_classes)``. Sizes are cut down so that the
    numerical gradient (two forward passes per parameter element) takes well under a
    second. Biases start at small random values instead of 0: with zero biases a
    convolution whose input window is all zeros (dead ReLUs, padding) outputs
    exactly 0, the kink of the next ReLU, where the central difference sees half a
    slope and backprop none. DeepConvNet gets ``dropout_ratio=0``: every loss
    evaluation would otherwise draw a new dropout mask and the differences would be
    noise.
    """
    network, shape, classes = _tiny_model(name)
    for key, array in network.params.items():
        if key.startswith('b'):
            array[...] = 0.1 * np.random.randn(*array.shape)    # in place: layers share it
    return network, shape, classes


def _tiny_model(name):
    _entry(name)
    f64 = np.float64
    if name == 'two_layer':
        return TwoLayerNet(20, 10, 5, weight_init_std=0.5, dtype=f64), (20,), 5
    if name == 'mlp':
        return MultiLayerNet(20, [10, 10], 5, weight_decay_lambda=0.1, dtype=f64), (20,), 5
    if name == 'mlp_extend':
        return (MultiLayerNetExtend(20, [10, 10], 5, use_batchnorm=True,
                                    weight_decay_lambda=0.1, dtype=f64), (20,), 5)
    if name == 'simple_conv':
        conv = {'filter_num': 3, 'filter_size': 3, 'pad': 0, 'stride': 1}
        return (SimpleConvNet((1, 8, 8), conv, hidden_size=10, output_size=5,
                              weight_init_std=0.3, dtype=f64), (1, 8, 8), 5)
    convs = [{'filter_num': n, 'filter_size': 3, 'pad': pad, 'stride': 1}
             for n, pad in ((2, 1), (2, 1), (3, 1), (3, 2), (4, 1), (4, 1))]
    return (DeepConvNet((1, 12, 12), *convs, hidden_size=8, output_size=5, dropout_ratio=0.0,
                        dtype=f64), (1, 12, 12), 5)
