"""The book's networks by name, as the ``keisan`` command builds them.

:data:`MODELS` maps each name to its class and the constructor arguments the CLI
uses; ``build_model(name, model_args)`` rebuilds a network from what a run's
``config.json`` records, and ``gradcheck_model(name)`` makes a tiny float64 one
for checking backprop against numerical gradients.
"""
import copy

import numpy as np

from keisan.models import (DeepConvNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet,
                           TwoLayerNet)

__all__ = ['MODELS', 'build_model', 'default_model_args', 'gradcheck_model',
           'model_input_shape', 'takes_images']

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
    args['weight_decay_lambda'] = float(weight_decay)
    return args


def build_model(name, model_args=None, dtype=None):
    """A new network ``name`` built with ``model_args`` (JSON-style: lists for tuples).

    Draws its initial weights from ``np.random`` (seed it first for a reproducible run).
    """
    cls = _entry(name)[0]
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
