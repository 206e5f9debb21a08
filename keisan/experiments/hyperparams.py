"""Hyperparameter search (book ch. 6.5): random search of the learning rate and the
weight decay, judged on validation data split off the training data
(``hyperparameter_optimization.py``).

Each trial draws lr = 10^U(-6, -2) and λ = 10^U(-8, -4) (from ``--seed``), trains
MultiLayerNet 784-100x6-10 with SGD on 400 training images and scores it on 100
validation images held out from the same 500 (never on the test set).

Figures:
    best.png      the validation (solid) and training (dashed) accuracy by epoch of
                  the 20 best trials, best first, titled with their settings.
    search.png    every trial as a point at (lr, λ), coloured by its final validation
                  accuracy: the good region is a band of learning rates.

Numbers: trials.csv (trial, lr, weight_decay, val_acc, train_acc; best first),
curves.csv (trial, epoch, val_acc, train_acc), results.json.
"""
import numpy as np

from keisan import optimizers as O
from keisan.experiments.common import Report, epoch_axis, load_data, train_epochs
from keisan.models import MultiLayerNet

TITLE = 'ch. 6.5: random search of lr and weight decay on validation data, the best curves'
LR_RANGE, DECAY_RANGE = (-6, -2), (-8, -4)      # exponents of 10
SHOWN = 20


def run(options):
    """Run the random search; returns the Report."""
    report = Report('hyperparams', options)
    dataset = options.dataset_name
    quick = options.quick
    trials, epochs = (6, 25) if quick else (100, 50)
    size, batch_size = 500, 100
    (x_all, t_all), _ = load_data(options)
    rng = np.random.default_rng(options.seed)
    order = rng.permutation(len(x_all))[:size]          # 500 images: 400 train, 100 validation
    x_val, t_val = x_all[order[:size // 5]], t_all[order[:size // 5]]
    x_train, t_train = x_all[order[size // 5:]], t_all[order[size // 5:]]

    def evaluate(network):
        return {'val_acc': network.accuracy(x_val, t_val, batch_size=1000),
                'train_acc': network.accuracy(x_train, t_train, batch_size=1000)}

    results = []
    bar = report.progress(trials * epochs * -(-len(x_train) // batch_size), 'trials')
    for trial in range(1, trials + 1):
        lr = 10 ** rng.uniform(*LR_RANGE)
        weight_decay = 10 ** rng.uniform(*DECAY_RANGE)
        seed = (options.seed + trial) % 2 ** 32        # each trial's own, as np.random takes
        np.random.seed(seed)
        network = MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=weight_decay)
        history = train_epochs(network, O.SGD(lr=lr), x_train, t_train, epochs, batch_size,
                               evaluate, seed, bar)
        results.append({'trial': trial, 'lr': lr, 'weight_decay': weight_decay,
                        'val_acc': history[-1]['val_acc'],
                        'train_acc': history[-1]['train_acc'], 'history': history})
    bar.close()
    results.sort(key=lambda r: -r['val_acc'])

    _plot_best(report, results[:SHOWN], epochs, dataset)
    _plot_search(report, results, dataset)
    report.write_csv('trials.csv', [{k: v for k, v in r.items() if k != 'history'}
                                    for r in results])
    report.write_csv('curves.csv', [dict(trial=r['trial'], **h) for r in results
                                    for h in r['history']])
    best = results[0]
    report.write_json('results.json', {
        'network': 'MultiLayerNet(784, [100]*6, 10), ReLU, He init', 'optimizer': 'SGD',
        'dataset': dataset, 'train_size': len(x_train), 'validation_size': len(x_val),
        'epochs': epochs, 'batch_size': batch_size, 'trials': trials, 'seed': options.seed,
        'lr_range': [10.0 ** e for e in LR_RANGE],
        'weight_decay_range': [10.0 ** e for e in DECAY_RANGE],
        'best': {k: v for k, v in best.items() if k != 'history'}, 'quick': quick})
    top = results[:max(1, len(results) // 4)]
    report.say('%d trials of %d epochs on %d %s images (%d for validation), seed %d'
               % (trials, epochs, size, dataset, len(x_val), options.seed))
    report.say('  best: validation accuracy %.3f with lr %.2g, weight decay %.2g'
               % (best['val_acc'], best['lr'], best['weight_decay']))
    report.say('  the best quarter used lr %.2g..%.2g and weight decay %.2g..%.2g'
               % (min(r['lr'] for r in top), max(r['lr'] for r in top),
                  min(r['weight_decay'] for r in top), max(r['weight_decay'] for r in top)))
    report.caption = ('search.png: the good trials form a band of high learning rates '
                      '(about 1e-3 to 1e-2 here) whatever the weight decay; best.png: below '
                      'that band training is too slow to get anywhere in %d epochs. Narrow '
                      'the ranges around the best trials (move them, if the best sit at an '
                      'edge) and search again.' % epochs)
    return report


def _plot_best(report, results, epochs, dataset):
    columns = 5
    rows = -(-len(results) // columns)
    fig = report.figure(15, 2.6 * rows + 0.8)
    for i, r in enumerate(results):
        ax = fig.add_subplot(rows, columns, i + 1)
        x = [h['epoch'] for h in r['history']]
        ax.plot(x, [h['val_acc'] for h in r['history']], '-', label='validation')
        ax.plot(x, [h['train_acc'] for h in r['history']], '--', label='training')
        ax.set_title('#%d: val %.2f\nlr %.1e, λ %.1e' % (i + 1, r['val_acc'], r['lr'],
                                                        r['weight_decay']), fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_xlim(1, epochs)
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8, loc='lower right')
        if i % columns == 0:
            ax.set_ylabel('accuracy')
        epoch_axis(ax, label=i >= len(results) - columns)
    fig.suptitle('The %d best of the random trials on %s (MultiLayerNet 784-100x6-10, SGD), '
                 'best first' % (len(results), dataset))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (2.6 * rows + 0.8)))
    report.save_figure(fig, 'best.png')


def _plot_search(report, results, dataset):
    fig = report.figure(8, 6)
    ax = fig.add_subplot(1, 1, 1)
    points = ax.scatter([r['lr'] for r in results], [r['weight_decay'] for r in results],
                        c=[r['val_acc'] for r in results], cmap='viridis', vmin=0, vmax=1,
                        s=40, edgecolors='black', linewidths=0.3)
    best = results[0]
    ax.plot(best['lr'], best['weight_decay'], '*', color='red', markersize=16,
            label='best: val %.2f' % best['val_acc'])
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlim(10.0 ** LR_RANGE[0], 10.0 ** LR_RANGE[1])
    ax.set_ylim(10.0 ** DECAY_RANGE[0], 10.0 ** DECAY_RANGE[1])
    ax.set_xlabel('learning rate')
    ax.set_ylabel('weight decay λ')
    ax.set_title('Random search on %s: each point a trial, its colour the final validation '
                 'accuracy' % dataset, fontsize=10)
    ax.legend(loc='lower left')
    fig.colorbar(points, ax=ax, label='validation accuracy')
    fig.tight_layout()
    report.save_figure(fig, 'search.png')
