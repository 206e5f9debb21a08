"""Training: the loop (:mod:`.trainer`), a run's files (:mod:`.rundir`), models by name
(:mod:`.registry`), the accepted values of every setting (:mod:`.settings`), progress bars
and figures (:mod:`.display`).

>>> from keisan.training import Trainer, TrainerOptions, build_model   # doctest: +SKIP
>>> net = build_model('two_layer')                                      # doctest: +SKIP
>>> Trainer(net, x_train, t_train, x_test, t_test, epochs=2,            # doctest: +SKIP
...         optimizer='adam', optimizer_param={'lr': 1e-3}, out='runs/demo',
...         options=TrainerOptions(seed=0)).train()
"""
from keisan.training.registry import (MODELS, build_model, default_model_args,
                                      gradcheck_model, model_input_shape, takes_images)
from keisan.training.rundir import (METRICS, RunDirectory, load_network, plot_curves,
                                    read_checkpoint)
from keisan.training.trainer import NonFiniteError, Trainer, TrainerOptions, evaluate_network

__all__ = ['METRICS', 'MODELS', 'NonFiniteError', 'RunDirectory', 'Trainer', 'TrainerOptions',
           'build_model', 'default_model_args', 'evaluate_network', 'gradcheck_model',
           'load_network', 'model_input_shape', 'plot_curves', 'read_checkpoint',
           'takes_images']
