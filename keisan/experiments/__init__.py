"""The book's experiments (chapters 6-8) as functions that draw its figures.

    from keisan.experiments import Options, run
    report = run('batch-norm', Options(out='pictures/batch-norm', quick=True))
    print(report)        # what was found, what to look for, the files written

Each experiment is one module of this package with a ``run(options)`` written with
keisan's public API only, so that it also serves as an example of such a study; they
share :mod:`keisan.experiments.common` (options, data, the book's training loops, the
report with its figures and numbers). The ``keisan experiment NAME`` command runs them.
"""
from keisan.experiments import (batch_norm, filters, hyperparams, misclassified, optimizers,
                                overfit, weight_init)
from keisan.experiments.common import ExperimentError, Options, Report

#: name -> module (with TITLE and run), in the book's order
EXPERIMENTS = {'optimizers': optimizers, 'weight-init': weight_init,
               'batch-norm': batch_norm, 'overfit': overfit,
               'hyperparams': hyperparams, 'filters': filters,
               'misclassified': misclassified}

__all__ = ['EXPERIMENTS', 'ExperimentError', 'Options', 'Report', 'get', 'run']


def get(name):
    """The module of experiment ``name``; ExperimentError listing the known ones."""
    if name not in EXPERIMENTS:
        raise ExperimentError('unknown experiment %r; known experiments:\n%s'
                              % (name, describe()))
    return EXPERIMENTS[name]


def describe():
    """One line per experiment: its name and what it shows."""
    width = max(len(name) for name in EXPERIMENTS)
    return '\n'.join('  %-*s  %s' % (width, name, module.TITLE)
                     for name, module in EXPERIMENTS.items())


def run(name, options, **kwargs):
    """Run experiment ``name`` with :class:`Options` (and its own keyword arguments, e.g.
    misclassified's ``source``); returns its :class:`Report`."""
    return get(name).run(options, **kwargs)
