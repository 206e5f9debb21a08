"""Training loops and run directories: :class:`Trainer`, models by name, metrics files.

>>> from keisan.training import Trainer, build_model          # doctest: +SKIP
>>> net = build_model('two_layer')                             # doctest: +SKIP
>>> Trainer(net, x_train, t_train, x_test, t_test, epochs=2,   # doctest: +SKIP
...         optimizer='adam', optimizer_param={'lr': 1e-3}, out='runs/demo').train()
"""
from keisan.training.models import (MODELS, build_model, default_model_args, gradcheck_model,
                                    load_config, load_model, takes_images)
from keisan.training.outputs import METRICS, plot_curves, write_metrics
from keisan.training.trainer import CHECKPOINT_FILE, Trainer, evaluate_network

__all__ = ['CHECKPOINT_FILE', 'METRICS', 'MODELS', 'Trainer', 'build_model',
           'default_model_args', 'evaluate_network', 'gradcheck_model', 'load_config',
           'load_model', 'plot_curves', 'takes_images', 'write_metrics']
