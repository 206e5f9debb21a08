"""Weight initialization (book ch. 6.2): how the initial weights' scale shapes the
activations of a deep network, and its learning.

Figures:
    activations-sigmoid.png, activations-tanh.png, activations-relu.png
        histograms of the activations of 5 layers of 100 units fed 1,000 random
        inputs, one row per initial weight scale (std 1, 0.01, Xavier sqrt(1/n), He
        sqrt(2/n)), one column per layer. std 1 saturates sigmoid/tanh at their
        ends; std 0.01 squeezes everything to one value (0.5, 0, 0): the units
        all do the same thing, or nothing; Xavier suits sigmoid/tanh, He suits ReLU,
        keeping the spread the same layer after layer.
    loss.png
        training loss of MultiLayerNet 784-100x4-10 (ReLU) on real data with std
        0.01, Xavier and He initial weights: std 0.01 hardly learns.

Numbers: activations.csv (activation, init, layer, mean, std, and the fractions of
units saturated or dead), loss.csv, results.json.
"""
import numpy as np

import keisan.functions as F
from keisan import initializers
from keisan.config import no_grad
from keisan import optimizers as O
from keisan.experiments.common import Report, load_data, smooth, train_steps
from keisan.models import MultiLayerNet

TITLE = 'ch. 6.2: activation histograms per layer for std 1, 0.01, Xavier, He; loss curves'

#: initial weight scale -> initializer (std of the Gaussian weights of a layer with n inputs)
INITS = {'std 1': initializers.Normal(1.0), 'std 0.01': initializers.Normal(0.01),
         'Xavier sqrt(1/n)': initializers.LeCunNormal(), 'He sqrt(2/n)': initializers.HeNormal()}
ACTIVATIONS = {'sigmoid': F.sigmoid, 'tanh': F.tanh, 'relu': F.relu}
#: histogram range of each activation (ReLU's is set by the data, see _plot_histograms)
RANGES = {'sigmoid': (0.0, 1.0), 'tanh': (-1.0, 1.0)}
LAYERS, UNITS, INPUTS = 5, 100, 1000
#: MultiLayerNet's weight_init_std for the three inits of the loss curves
TRAINED_INITS = {'std 0.01': 0.01, 'Xavier sqrt(1/n)': 'xavier', 'He sqrt(2/n)': 'he'}


def activations(init, activation, x):
    """The activations (list of LAYERS arrays (INPUTS, UNITS)) of a random network
    whose weights ``init`` draws, for the input batch ``x``."""
    outputs = []
    with no_grad():
        for _ in range(LAYERS):
            W = init((x.shape[1], UNITS), dtype=np.float64)
            x = ACTIVATIONS[activation](x @ W).data
            outputs.append(x)
    return outputs


def statistics(activation, values):
    """mean, std and the fraction of units stuck: saturated (sigmoid < 0.02 or > 0.98,
    |tanh| > 0.98) or dead (ReLU exactly 0)."""
    if activation == 'relu':
        stuck = float(np.mean(values == 0))
    elif activation == 'sigmoid':
        stuck = float(np.mean((values < 0.02) | (values > 0.98)))
    else:
        stuck = float(np.mean(np.abs(values) > 0.98))
    return {'mean': float(values.mean()), 'std': float(values.std()), 'stuck': stuck}


def run(options):
    """Draw the histograms and train with three inits; returns the Report."""
    report = Report('weight-init', options)
    dataset = options.dataset_name
    iterations, batch_size = (100, 64) if options.quick else (2000, 128)
    (x_train, t_train), _ = load_data(options)
    if options.quick:
        x_train, t_train = x_train[:5000], t_train[:5000]

    np.random.seed(options.seed)
    x = np.random.randn(INPUTS, UNITS)
    rows, layers = [], {}
    for activation in ACTIVATIONS:
        for init_name, init in INITS.items():
            layers[activation, init_name] = activations(init, activation, x)
            for layer, values in enumerate(layers[activation, init_name], 1):
                rows.append(dict(activation=activation, init=init_name, layer=layer,
                                 **statistics(activation, values)))
    losses = {}
    bar = report.progress(iterations * len(TRAINED_INITS), 'training')
    for init_name, std in TRAINED_INITS.items():
        np.random.seed(options.seed)
        network = MultiLayerNet(784, [100] * 4, 10, weight_init_std=std)
        losses[init_name] = train_steps(network, O.SGD(lr=0.01), x_train, t_train,
                                        iterations, batch_size, options.seed, bar)
    bar.close()

    for activation in ACTIVATIONS:
        _plot_histograms(report, activation, layers)
    _plot_losses(report, losses, batch_size, dataset)
    report.write_csv('activations.csv', rows)
    report.write_csv('loss.csv', [{'init': name, 'iteration': i, 'loss': value}
                                  for name, values in losses.items()
                                  for i, value in enumerate(values)])
    final = {name: float(np.mean(values[-max(1, iterations // 10):]))
             for name, values in losses.items()}
    report.write_json('results.json', {
        'layers': LAYERS, 'units': UNITS, 'inputs': INPUTS, 'activation_stats': rows,
        'mlp': 'MultiLayerNet(784, [100]*4, 10), ReLU', 'optimizer': 'SGD(lr=0.01)',
        'dataset': dataset, 'iterations': iterations, 'batch_size': batch_size,
        'final_loss': final, 'quick': options.quick})

    std = {(r['activation'], r['init'], r['layer']): r['std'] for r in rows}
    report.say('std of the activations in layer 1 -> layer %d (1,000 random inputs):'
               % LAYERS)
    for activation in ACTIVATIONS:
        report.say('  %-7s ' % activation + ', '.join(
            '%s %.2g -> %.2g' % (name, std[activation, name, 1], std[activation, name, LAYERS])
            for name in INITS))
    report.say('MLP 784-100x4-10 (ReLU), SGD lr 0.01, %d iterations on %s; mean loss of the '
               'last 10%%: %s' % (iterations, dataset,
                                  ', '.join('%s %.3f' % kv for kv in final.items())))
    report.caption = ('activations-*.png: with std 1 sigmoid and tanh units pile up at their '
                      'ends (saturated: no gradient); with std 0.01 every unit outputs about '
                      'the same value, and with ReLU the values shrink towards 0 layer after '
                      'layer; Xavier (sigmoid, tanh) and He (ReLU) keep the spread from layer '
                      'to layer. loss.png: std 0.01 barely learns, He learns fastest.')
    return report


def _plot_histograms(report, activation, layers):
    from matplotlib.ticker import MaxNLocator
    fig = report.figure(15, 10)
    grid = fig.add_gridspec(len(INITS), LAYERS, left=0.09, right=0.99, top=0.9,
                            bottom=0.06, hspace=0.55, wspace=0.25)
    for row, init_name in enumerate(INITS):
        values = layers[activation, init_name]
        # ReLU: one range per row (its largest value), so a shrinking or growing spread
        # shows from layer to layer; the exact zeros (dead units) are counted, not drawn.
        span = RANGES.get(activation) or (0.0, max(float(v.max()) for v in values) or 1.0)
        for layer, a in enumerate(values, 1):
            ax = fig.add_subplot(grid[row, layer - 1])
            shown = a[a > 0] if activation == 'relu' else a
            ax.hist(shown.ravel(), bins=30, range=span, color='#4c72b0', histtype='stepfilled')
            ax.set_xlim(*span)
            ax.set_yticks([])
            stats = statistics(activation, a)
            ax.set_title('layer %d: std %.2g%s' % (
                layer, stats['std'],
                ', %d%% zero' % round(100 * stats['stuck']) if activation == 'relu' else ''),
                fontsize=9)
            ax.tick_params(labelsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.ticklabel_format(axis='x', style='sci', scilimits=(-3, 4))
            if layer == 1:
                ax.set_ylabel(init_name, fontsize=11)
    fig.suptitle('%s activations of %d layers of %d units (input: %d Gaussian vectors); '
                 'rows: the std of the initial weights%s'
                 % (activation, LAYERS, UNITS, INPUTS,
                    '\nhistograms of the non-zero values, x range set by each row\'s '
                    'largest value' if activation == 'relu' else ''), fontsize=12)
    report.save_figure(fig, 'activations-%s.png' % activation)


def _plot_losses(report, losses, batch_size, dataset):
    fig = report.figure(9, 5)
    ax = fig.add_subplot(1, 1, 1)
    for (name, values), style in zip(losses.items(), ('-', '--', '-.')):
        ax.plot(smooth(values), style, linewidth=1.8, label=name)
    ax.set_xlabel('iteration (mini-batch of %d)' % batch_size)
    ax.set_ylabel('training loss (moving average)')
    ax.set_ylim(bottom=0)
    ax.set_title('MultiLayerNet 784-100x4-10 (ReLU) on %s, SGD lr 0.01:\n'
                 'the initial weights decide whether it learns' % dataset)
    ax.grid(True, alpha=0.3)
    ax.legend(title='initial weights')
    fig.tight_layout()
    report.save_figure(fig, 'loss.png')
