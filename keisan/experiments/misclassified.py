"""What a trained network gets wrong (book ch. 8.1): the test images it misclassifies,
with their true and predicted labels (``misclassified_mnist.py``).

The network comes from a training run directory (``keisan train --out DIR``: its
config.json says which network and dataset) or from a weights file that the network's
``load_params`` reads (say which network with ``model``, e.g. ``simple_conv``).

Figures:
    misclassified.png   up to 40 misclassified test images, the most confident
                        mistakes first, each titled with its true label and the
                        network's guess with its probability.
    confusion.png       how often each true class (row) is taken for each other class
                        (column): the mistakes only, the diagonal left out.

Numbers: misclassified.csv (index, true and predicted class, their probabilities),
results.json (accuracy, per-class accuracy, the most frequent confusions).
"""
import os
import pickle

import numpy as np

import keisan.functions as F
from keisan import training
from keisan.config import no_grad
from keisan.experiments.common import (CLASS_NAMES, ExperimentError, Report, image_grid,
                                       load_data)
from keisan.training import MODELS, takes_images

TITLE = "ch. 8.1: a grid of the test images a trained run gets wrong (--run, --model)"
SHOWN = 40


def load_network(source, model=None):
    """``(network, model name, dataset or None)`` from a run directory or a weights file.

    A run directory knows its network and dataset (``model`` must agree, if given); a
    weights file needs ``model``, one of the CLI's names (``keisan.training.MODELS``),
    and is read by the network's ``load_params``. ExperimentError says what is wrong.
    """
    source = os.fspath(source)
    if os.path.isdir(source):
        try:
            network, config = training.load_network(source)
        except (FileNotFoundError, ValueError, TypeError) as e:
            raise ExperimentError(str(e)) from None
        if model is not None and model != config['model']:
            raise ExperimentError('%s holds a %s run, not %s: leave out --model for a run '
                                  'directory' % (source, config['model'], model))
        return network, config['model'], config.get('dataset')
    if not os.path.isfile(source):
        raise ExperimentError('--run %s: no such run directory or weights file' % source)
    if model not in MODELS:
        raise ExperimentError('--run %s is a file, not a run directory: give the network its '
                              'weights are for with --model (one of %s)'
                              % (source, ', '.join(MODELS)))
    try:
        network, _ = training.load_network(source, model)
    except (OSError, ValueError, TypeError, KeyError, EOFError, pickle.UnpicklingError) as e:
        raise ExperimentError('--run %s is neither a run directory nor a weights file of %s: '
                              '%s' % (source, model, e)) from None
    return network, model, None


def run(options, source, model=None):
    """Find and draw the test images that the network of ``source`` (a run directory or,
    with ``model``, a weights file) misclassifies; returns the Report."""
    network, model, run_dataset = load_network(source, model)
    report = Report('misclassified', options)
    dataset = options.dataset or run_dataset or options.dataset_name
    names = CLASS_NAMES[dataset]
    _, (x_test, t_test) = load_data(options, dataset, flatten=not takes_images(model))
    if options.quick:
        x_test, t_test = x_test[:2000], t_test[:2000]

    probabilities = []
    bar = report.progress(-(-len(x_test) // 100), 'predicting')
    with no_grad():
        for i in range(0, len(x_test), 100):
            scores = network.predict(x_test[i:i + 100], train_flg=False)
            probabilities.append(F.softmax(scores.astype(np.float64)).data)
            bar.update(1)
    bar.close()
    p = np.concatenate(probabilities)
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != t_test)
    wrong = wrong[np.argsort(-p[wrong, predicted[wrong]], kind='stable')]   # most sure first
    confusion = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(confusion, (t_test, predicted), 1)
    accuracy = 1.0 - len(wrong) / len(t_test)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    mixups = sorted(((int(confusion[i, j]), names[i], names[j]) for i in range(len(names))
                     for j in range(len(names)) if i != j and confusion[i, j]), reverse=True)

    shapes = x_test.shape[1:]
    side = int(round(np.sqrt(np.prod(shapes))))
    shown = wrong[:SHOWN]
    _plot_grid(report, x_test[shown].reshape(len(shown), side, side),
               ['%s\n→ %s %d%%' % (names[t_test[i]], names[predicted[i]],
                                   round(100 * p[i, predicted[i]])) for i in shown],
               len(wrong), len(t_test), model, dataset)
    _plot_confusion(report, confusion, names, per_class, model, dataset)
    report.write_csv('misclassified.csv', [
        {'index': int(i), 'true': int(t_test[i]), 'true_name': names[t_test[i]],
         'predicted': int(predicted[i]), 'predicted_name': names[predicted[i]],
         'p_predicted': float(p[i, predicted[i]]), 'p_true': float(p[i, t_test[i]])}
        for i in wrong], fields=['index', 'true', 'true_name', 'predicted', 'predicted_name',
                                 'p_predicted', 'p_true'])
    report.write_json('results.json', {
        'source': os.fspath(source), 'model': model, 'dataset': dataset,
        'test_size': len(t_test), 'misclassified': len(wrong), 'accuracy': accuracy,
        'per_class_accuracy': dict(zip(names, per_class.tolist())),
        'confusions': [{'true': a, 'predicted': b, 'count': n} for n, a, b in mixups[:10]],
        'quick': options.quick})
    report.say('%s (%s) on %d %s test images: accuracy %.4f, %d misclassified'
               % (source, model, len(t_test), dataset, accuracy, len(wrong)))
    if mixups:
        report.say('  most frequent mix-ups (true -> predicted): ' + ', '.join(
            '%s -> %s %d' % (a, b, n) for n, a, b in mixups[:4]))
    report.caption = ('misclassified.png: the most confident mistakes first; many are '
                      'ambiguous even to a person. confusion.png: the mistakes pile up in a '
                      'few cells%s.' % (' (here %s)' % ', '.join('%s taken for %s' % (a, b)
                                                                for _, a, b in mixups[:2])
                                        if mixups else ''))
    return report


def _plot_grid(report, images, titles, wrong, total, model, dataset):
    columns = 8
    rows = max(1, -(-len(images) // columns))
    fig = report.figure(12, 1.75 * rows + 0.9)
    if len(images):
        image_grid(fig, list(images), columns, titles=titles, fontsize=8,
                   box=(0.01, 0.01, 0.99, 1 - 0.75 / (1.75 * rows + 0.9)))
    else:
        fig.text(0.5, 0.5, 'no test image is misclassified', ha='center')
    fig.suptitle('%s on %s: %d of %d test images misclassified; the %d most confident '
                 'mistakes (true label → guess, its probability)'
                 % (model, dataset, wrong, total, len(images)), fontsize=11)
    report.save_figure(fig, 'misclassified.png')


def _plot_confusion(report, confusion, names, per_class, model, dataset):
    mistakes = confusion.astype(np.float64)
    np.fill_diagonal(mistakes, np.nan)
    fig = report.figure(9, 7.5)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(mistakes, cmap='Reds')
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j and confusion[i, j]:
                dark = confusion[i, j] > 0.6 * np.nanmax(mistakes)
                ax.text(j, i, str(confusion[i, j]), ha='center', va='center', fontsize=8,
                        color='white' if dark else 'black')
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=45, ha='right')
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(['%s (%.0f%% right)' % (n, 100 * a) for n, a in zip(names, per_class)])
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class (and its accuracy)')
    ax.set_title('%s on %s: how often each class is taken for another\n(the diagonal, the '
                 'right answers, is left blank)' % (model, dataset))
    fig.colorbar(image, ax=ax, label='test images', shrink=0.8)
    fig.tight_layout()
    report.save_figure(fig, 'confusion.png')
