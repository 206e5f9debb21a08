"""Batch normalization (book ch. 6.3): training accuracy with and without batch norm
for initial weights of 16 scales, as in the book's ``batch_norm_test.py``.

Figures:
    curves.png    the book's 16-panel figure: for each std of the initial weights,
                  the accuracy on the training images after every epoch, with batch
                  norm (solid) and without (dashed).
    final.png     the accuracy after the last epoch against the weight scale (log x):
                  without batch norm only a narrow band of scales learns; with it
                  almost every scale does.

Numbers: curves.csv (weight_std, batch_norm, epoch, train_acc), final.csv (weight_std,
train_acc and test_acc with and without batch norm), results.json.
"""
import numpy as np

from keisan import optimizers as O
from keisan.experiments.common import Report, epoch_axis, load_data, train_epochs
from keisan.models import MultiLayerNetExtend

TITLE = 'ch. 6.3: accuracy with and without batch norm across 16 weight scales'


def run(options):
    """Train MultiLayerNetExtend 784-100x5-10 with and without batch norm for each weight
    scale; returns the Report."""
    report = Report('batch-norm', options)
    dataset = options.dataset_name
    quick = options.quick
    scales = np.logspace(0, -4, num=8 if quick else 16)
    train_size, epochs, batch_size, lr = (300, 4, 100, 0.01) if quick else (1000, 20, 100, 0.01)
    (x_train, t_train), (x_test, t_test) = load_data(options)
    x_train, t_train = x_train[:train_size], t_train[:train_size]
    test_size = 1000 if quick else 10000
    x_test, t_test = x_test[:test_size], t_test[:test_size]

    def evaluate(network):
        return {'train_acc': network.accuracy(x_train, t_train, batch_size=1000)}

    curves, final = [], []
    steps_per_epoch = -(-train_size // batch_size)
    bar = report.progress(len(scales) * 2 * epochs * steps_per_epoch, 'training')
    for std in scales:
        row = {'weight_std': float(std)}
        for batch_norm in (True, False):
            np.random.seed(options.seed)
            network = MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std=float(std),
                                          use_batchnorm=batch_norm)
            with np.errstate(over='ignore', invalid='ignore'):   # std 1 without BN overflows
                history = train_epochs(network, O.SGD(lr=lr), x_train, t_train, epochs,
                                       batch_size, evaluate, options.seed, bar)
            curves += [{'weight_std': float(std), 'batch_norm': batch_norm,
                        'epoch': h['epoch'], 'train_acc': h['train_acc']} for h in history]
            key = 'with_bn' if batch_norm else 'without_bn'
            row['train_acc_' + key] = history[-1]['train_acc']
            row['test_acc_' + key] = network.accuracy(x_test, t_test, batch_size=1000)
        final.append(row)
    bar.close()

    _plot_curves(report, curves, scales, train_size, dataset)
    _plot_final(report, final, epochs, train_size, dataset)
    report.write_csv('curves.csv', curves)
    report.write_csv('final.csv', final)
    better = sum(r['train_acc_with_bn'] > r['train_acc_without_bn'] for r in final)
    report.write_json('results.json', {
        'network': 'MultiLayerNetExtend(784, [100]*5, 10), ReLU, weight_init_std=scale',
        'optimizer': 'SGD(lr=%g)' % lr, 'dataset': dataset, 'train_size': train_size,
        'test_size': test_size, 'epochs': epochs, 'batch_size': batch_size,
        'final': final, 'scales_where_batch_norm_is_better': better, 'quick': quick})
    report.say('%d weight scales from 1 to 1e-4, %d epochs on %d %s training images: batch '
               'norm ends with the higher training accuracy for %d of %d'
               % (len(scales), epochs, train_size, dataset, better, len(scales)))
    report.say('  mean final training accuracy: with batch norm %.3f, without %.3f'
               % (np.mean([r['train_acc_with_bn'] for r in final]),
                  np.mean([r['train_acc_without_bn'] for r in final])))
    report.caption = ('curves.png: in most panels the solid line (batch norm) climbs faster '
                      'and higher; without batch norm the network learns only when the initial '
                      "weights are near the right scale (about 0.1-0.3; He's sqrt(2/n) is 0.05 "
                      'for the first layer, 0.14 for the others) and stays at chance elsewhere. '
                      'final.png: the same, as accuracy against the scale.')
    return report


def _plot_curves(report, curves, scales, train_size, dataset):
    fig = report.figure(14, 11 if len(scales) > 8 else 6.5)
    columns = 4
    rows = -(-len(scales) // columns)
    for i, std in enumerate(scales):
        ax = fig.add_subplot(rows, columns, i + 1)
        for batch_norm, style in ((True, '-'), (False, '--')):
            points = [c for c in curves if c['weight_std'] == float(std)
                      and c['batch_norm'] == batch_norm]
            ax.plot([p['epoch'] for p in points], [p['train_acc'] for p in points], style,
                    color='#1f77b4' if batch_norm else '#ff7f0e', linewidth=1.8,
                    label='batch norm' if batch_norm else 'no batch norm')
        ax.set_title('initial weight std %.2g' % std, fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(True, alpha=0.3)
        if i % columns == 0:
            ax.set_ylabel('training accuracy')
        epoch_axis(ax, label=i >= len(scales) - columns)
        if i == 0:
            ax.legend(fontsize=9, loc='lower right')
    fig.suptitle('MultiLayerNetExtend 784-100x5-10 on %d %s training images, SGD lr 0.01: '
                 'accuracy on those images after each epoch' % (train_size, dataset))
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    report.save_figure(fig, 'curves.png')


def _plot_final(report, final, epochs, train_size, dataset):
    fig = report.figure(8, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    stds = [r['weight_std'] for r in final]
    for key, label, style, color in (('with_bn', 'batch norm', 'o-', '#1f77b4'),
                                     ('without_bn', 'no batch norm', 's--', '#ff7f0e')):
        ax.plot(stds, [r['train_acc_' + key] for r in final], style, color=color,
                label=label + ': training images')
        ax.plot(stds, [r['test_acc_' + key] for r in final], style, color=color, alpha=0.35,
                label=label + ': test images')
    ax.set_xscale('log')
    ax.set_ylim(0, 1)
    ax.set_xlabel('std of the initial weights')
    ax.set_ylabel('accuracy after epoch %d' % epochs)
    ax.set_title('%s, %d training images: batch norm makes the initial scale matter less'
                 % (dataset, train_size), fontsize=11)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    report.save_figure(fig, 'final.png')
