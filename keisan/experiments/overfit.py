"""Overfitting (book ch. 6.4): a 7-layer MLP on only 300 training images, without
regularization, with weight decay and with dropout (``overfit_weight_decay.py``,
``overfit_dropout.py``).

Figure:
    curves.png    accuracy on the 300 training images and on the test images after
                  every epoch, one panel per setting. Unregularized, the training
                  accuracy reaches about 1.0 while the test accuracy stops far below: the
                  gap is overfitting. Weight decay and dropout narrow the gap.

Numbers: curves.csv (setting, epoch, train_acc, test_acc), results.json (the final
accuracies and gaps).
"""
import numpy as np

from keisan import optimizers as O
from keisan.experiments.common import Report, epoch_axis, load_data, train_epochs
from keisan.models import MultiLayerNet, MultiLayerNetExtend

TITLE = 'ch. 6.4: train/test accuracy on 300 images: plain, weight decay, dropout'
WEIGHT_DECAY, DROPOUT = 0.1, 0.2

#: setting -> how to build its network (MultiLayerNet 784-100x6-10, the book's)
SETTINGS = {
    'no regularization': lambda: MultiLayerNet(784, [100] * 6, 10),
    'weight decay λ=%g' % WEIGHT_DECAY: lambda: MultiLayerNet(
        784, [100] * 6, 10, weight_decay_lambda=WEIGHT_DECAY),
    'dropout %g' % DROPOUT: lambda: MultiLayerNetExtend(
        784, [100] * 6, 10, use_dropout=True, dropout_ration=DROPOUT),
}


def run(options):
    """Train the three settings on 300 images; returns the Report."""
    report = Report('overfit', options)
    dataset = options.dataset_name
    quick = options.quick
    train_size, batch_size, lr = 300, 100, 0.01
    epochs, test_size = (50, 1000) if quick else (300, 10000)
    (x_train, t_train), (x_test, t_test) = load_data(options)
    x_train, t_train = x_train[:train_size], t_train[:train_size]
    x_test, t_test = x_test[:test_size], t_test[:test_size]

    def evaluate(network):
        return {'train_acc': network.accuracy(x_train, t_train, batch_size=1000),
                'test_acc': network.accuracy(x_test, t_test, batch_size=1000)}

    histories = {}
    bar = report.progress(len(SETTINGS) * epochs * (train_size // batch_size), 'training')
    for name, build in SETTINGS.items():
        np.random.seed(options.seed)
        histories[name] = train_epochs(build(), O.SGD(lr=lr), x_train, t_train, epochs,
                                       batch_size, evaluate, options.seed, bar)
    bar.close()

    _plot(report, histories, train_size, test_size, dataset)
    report.write_csv('curves.csv', [dict(setting=name, **h) for name, history in
                                    histories.items() for h in history])
    final = {name: {'train_acc': h[-1]['train_acc'], 'test_acc': h[-1]['test_acc'],
                    'gap': h[-1]['train_acc'] - h[-1]['test_acc']}
             for name, h in histories.items()}
    report.write_json('results.json', {
        'network': 'MultiLayerNet(784, [100]*6, 10), ReLU, He init',
        'optimizer': 'SGD(lr=%g)' % lr, 'dataset': dataset, 'train_size': train_size,
        'test_size': test_size, 'epochs': epochs, 'batch_size': batch_size,
        'weight_decay_lambda': WEIGHT_DECAY, 'dropout_ratio': DROPOUT, 'final': final,
        'quick': quick})
    report.say('%d epochs on %d %s training images, tested on %d; after the last epoch:'
               % (epochs, train_size, dataset, test_size))
    for name, numbers in final.items():
        report.say('  %-20s train %.3f  test %.3f  gap %.3f'
                   % (name, numbers['train_acc'], numbers['test_acc'], numbers['gap']))
    report.caption = ('curves.png: without regularization the training accuracy races to '
                      'about 1.0 and the test accuracy stalls far below it; weight decay and '
                      'dropout keep the two curves closer (a smaller gap) at the price of a '
                      'lower training accuracy; dropout also learns more slowly (every step '
                      'trains a randomly thinned network), so it needs more epochs.')
    return report


def _plot(report, histories, train_size, test_size, dataset):
    fig = report.figure(15, 4.8)
    for i, (name, history) in enumerate(histories.items()):
        ax = fig.add_subplot(1, len(histories), i + 1)
        epochs = [h['epoch'] for h in history]
        ax.plot(epochs, [h['train_acc'] for h in history], '-', linewidth=1.8,
                label='train (%d images)' % train_size)
        ax.plot(epochs, [h['test_acc'] for h in history], '--', linewidth=1.8,
                label='test (%d images)' % test_size)
        last = history[-1]
        ax.set_title('%s: gap %.2f at the end' % (name, last['train_acc'] - last['test_acc']))
        ax.set_ylim(0, 1.02)
        epoch_axis(ax)
        ax.set_ylabel('accuracy')
        ax.grid(True, alpha=0.3)
        ax.legend(loc='lower right')
    fig.suptitle('MultiLayerNet 784-100x6-10 on %d %s training images, SGD lr 0.01'
                 % (train_size, dataset))
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    report.save_figure(fig, 'curves.png')
