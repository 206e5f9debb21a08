"""The book's networks by name, as the ``keisan`` command builds, saves and reloads them.

A training run directory holds ``config.json`` (model name and constructor
arguments, dataset, optimizer, ...) next to ``model.npz``; :func:`load_model`
rebuilds the network from the one and fills it from the other.
"""
import copy
import json
import os

import numpy as np

from keisan import serializers
from keisan.models import (DeepConvNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet,
                           TwoLayerNet)

__all__ = ['CONFIG_FILE', 'MODEL_FILE', 'MODELS', 'build_model', 'default_model_args',
           'gradcheck_model', 'load_config', 'load_model', 'model_input_shape',
           'takes_images']

CONFIG_FILE = 'config.json'
MODEL_FILE = 'model.npz'

#: name -> (class, whether it takes (N, 1, 28, 28) images rather than (N, 784) vectors)
MODELS = {
    'two_layer': (TwoLayerNet, False),
    'mlp': (MultiLayerNet, False),
    'mlp_extend': (MultiLayerNetExtend, False),
    'simple_conv': (SimpleConvNet, True),
    'deep_conv': (DeepConvNet, True),
}


def _check_name(name):
    if name not in MODELS:
        raise ValueError('unknown model %r; known models: %s' % (name, ', '.join(MODELS)))


def takes_images(name):
    """True for the conv nets (data loaded with ``flatten=False``)."""
    _check_name(name)
    return MODELS[name][1]


def default_model_args(name, weight_decay=0.0):
    """Constructor arguments of the CLI's model ``name`` for 28x28 images and 10 classes.

    ``weight_decay`` is every network's ``weight_decay_lambda``: the book's L2 term
    ``0.5 * lambda * sum(W**2)`` over the weights (not the biases), added to the loss.
    """
    _check_name(name)
    if name == 'two_layer':
        args = {'input_size': 784, 'hidden_size': 100, 'output_size': 10}
    elif name == 'mlp':
        args = {'input_size': 784, 'hidden_size_list': [100] * 6, 'output_size': 10}
    elif name == 'mlp_extend':
        args = {'input_size': 784, 'hidden_size_list': [100] * 6, 'output_size': 10,
                'use_batchnorm': True}
    elif name == 'simple_conv':
        # He initialization instead of the book's 0.01: the same network, but its first
        # epoch on Fashion-MNIST ends near 0.84 test accuracy instead of 0.75.
        args = {'input_dim': [1, 28, 28], 'hidden_size': 100, 'output_size': 10,
                'weight_init_std': 'relu'}
    else:
        args = {'input_dim': [1, 28, 28], 'hidden_size': 50, 'output_size': 10}
    args['weight_decay_lambda'] = float(weight_decay)
    return args


def build_model(name, model_args=None, dtype=None):
    """A new network ``name`` built with ``model_args`` (JSON-style: lists for tuples).

    Draws its initial weights from ``np.random`` (seed it first for a reproducible run).
    """
    _check_name(name)
    cls = MODELS[name][0]
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
    _check_name(name)
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


def load_config(directory):
    """The ``config.json`` of a run directory as a dict.

    Raises:
        FileNotFoundError: no config.json (the message names the file).
        ValueError: not valid JSON or without a known ``model``.
    """
    path = os.path.join(directory, CONFIG_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError('%s not found: %s is not a training run directory '
                                '(expected %s and %s written by keisan train)'
                                % (path, directory, CONFIG_FILE, MODEL_FILE))
    try:
        with open(path, encoding='utf-8') as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError('%s is not a valid config file: %s' % (path, e)) from None
    if not isinstance(config, dict) or config.get('model') not in MODELS:
        raise ValueError('%s: "model" must be one of %s, got %r'
                         % (path, ', '.join(MODELS), config.get('model')
                            if isinstance(config, dict) else config))
    return config


def load_model(directory):
    """Rebuild the network of a run directory and load ``model.npz`` into it.

    Returns:
        ``(network, config)``.

    Raises:
        FileNotFoundError: config.json or model.npz missing.
        ValueError: invalid config, or parameters that do not fit the model (the
            message names the parameter).
    """
    config = load_config(directory)
    path = os.path.join(directory, MODEL_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError('%s not found: the run in %s has no saved model yet'
                                % (path, directory))
    network = build_model(config['model'], config.get('model_args'),
                          dtype=config.get('dtype'))
    serializers.load_npz(path, network)
    return network, config
