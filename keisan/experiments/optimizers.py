"""Optimizers (book ch. 6.1): their paths on f(x, y) = x²/20 + y² and their loss curves
training a 5-layer MLP on real data.

Figures:
    paths.png   one contour plot of f per optimizer with its first 30 steps from
                (-7, 2): SGD zigzags across the steep y direction while creeping along
                the flat x direction; Momentum overshoots and rolls back; AdaGrad and
                Adam scale each coordinate's step and head straight for the minimum.
    loss.png    the training loss (moving average) of MultiLayerNet 784-100x4-10
                with each optimizer at its default learning rate, on the same
                mini-batches.

Numbers: paths.csv (optimizer, step, x, y, f), loss.csv (optimizer, iteration, loss),
results.json (learning rates, final points, final losses).
"""
import numpy as np

from keisan import optimizers as O
from keisan.experiments.common import Report, load_data, smooth, train_steps
from keisan.models import MultiLayerNet

TITLE = 'ch. 6.1: optimizer paths on x²/20 + y² and their loss training an MLP'

#: optimizer -> learning rate for the 2-D paths (the book's for its four; the others
#: chosen so that their 30 steps show their character)
PATH_LR = {'sgd': 0.95, 'momentum': 0.1, 'nesterov': 0.1, 'adagrad': 1.5, 'rmsprop': 0.1,
           'rmspropgraves': 0.1, 'adadelta': 1.0, 'adam': 0.3, 'adamw': 0.3, 'smorms3': 0.3}
START, STEPS = (-7.0, 2.0), 30
BOOK = ('sgd', 'momentum', 'adagrad', 'adam')


def f(x, y):
    return x ** 2 / 20.0 + y ** 2


def path(name, lr, steps=STEPS):
    """(steps + 1, 2) array: the points optimizer ``name`` visits minimizing f from START."""
    optimizer = O.get(name, lr=lr)
    params = {'x': np.array([START[0]]), 'y': np.array([START[1]])}
    points = [START]
    for _ in range(steps):
        grads = {'x': params['x'] / 10.0, 'y': 2.0 * params['y']}    # the gradient of f
        optimizer.update(params, grads)
        points.append((float(params['x'][0]), float(params['y'][0])))
    return np.array(points)


def run(options):
    """Draw the paths and train the MLP with every optimizer; returns the Report."""
    report = Report('optimizers', options)
    dataset = options.dataset_name
    quick = options.quick
    iterations, batch_size = (60, 64) if quick else (2000, 128)
    (x_train, t_train), _ = load_data(options)
    if quick:
        x_train, t_train = x_train[:5000], t_train[:5000]

    paths = {name: path(name, lr) for name, lr in PATH_LR.items()}
    losses = {}
    bar = report.progress(iterations * len(O.NAMES), 'training')
    for name in O.NAMES:
        bar.set_description_str('optimizers: %s' % name)
        np.random.seed(options.seed)            # the same initial weights for everyone
        network = MultiLayerNet(784, [100] * 4, 10)
        losses[name] = train_steps(network, O.get(name), x_train, t_train, iterations,
                                   batch_size, options.seed, bar)
    bar.close()

    _plot_paths(report, paths)
    _plot_losses(report, losses, iterations, batch_size, dataset)
    final = {name: float(np.mean(values[-max(1, iterations // 10):]))
             for name, values in losses.items()}
    report.write_csv('paths.csv', [
        {'optimizer': name, 'lr': PATH_LR[name], 'step': step, 'x': x, 'y': y, 'f': f(x, y)}
        for name, points in paths.items() for step, (x, y) in enumerate(points)])
    report.write_csv('loss.csv', [{'optimizer': name, 'iteration': i, 'loss': value}
                                  for name, values in losses.items()
                                  for i, value in enumerate(values)])
    report.write_json('results.json', {
        'function': 'x**2/20 + y**2', 'start': START, 'steps': STEPS,
        'path_lr': PATH_LR, 'path_end': {n: list(p[-1]) for n, p in paths.items()},
        'path_end_f': {n: f(*p[-1]) for n, p in paths.items()},
        'mlp': 'MultiLayerNet(784, [100]*4, 10), He init', 'dataset': dataset,
        'iterations': iterations, 'batch_size': batch_size,
        'default_lr': {name: O.get(name).lr for name in O.NAMES},
        'final_loss': final, 'quick': quick})

    report.say('f(x, y) = x²/20 + y² from (%g, %g), %d steps; distance from the minimum '
               'at the end:' % (START + (STEPS,)))
    report.say('  ' + ', '.join('%s %.2f' % (n, np.hypot(*p[-1])) for n, p in paths.items()))
    report.say('MLP 784-100x4-10 on %s, %d iterations of batch %d; mean loss of the last '
               '10%%:' % (dataset, iterations, batch_size))
    report.say('  ' + ', '.join('%s %.3f' % item for item in sorted(final.items(),
                                                                   key=lambda kv: kv[1])))
    report.caption = ('paths.png: SGD zigzags up and down the steep y walls while creeping '
                      'along x; Momentum swings past and back; AdaGrad and Adam scale each '
                      "direction's step and head for the minimum. loss.png: of the book's "
                      'four, plain SGD at lr 0.01 lowers the loss slowest; RMSprop at its '
                      'default lr 0.01 is too fast for this network (a jump at the start, '
                      'then noise).')
    return report


def _plot_paths(report, paths):
    fig = report.figure(16, 6.8)
    xs, ys = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 200))
    levels = [0.05, 0.25, 0.5, 1, 2, 3, 4, 5, 7, 10]
    for i, (name, points) in enumerate(paths.items()):
        ax = fig.add_subplot(2, 5, i + 1)
        ax.contour(xs, ys, f(xs, ys), levels=levels, colors='#bbbbbb', linewidths=0.7)
        ax.plot(points[:, 0], points[:, 1], 'o-', color='#d62728', markersize=2.5,
                linewidth=1)
        ax.plot(0, 0, '+', color='black', markersize=10)
        ax.set_title('%s (lr %g)' % (type(O.get(name)).__name__, PATH_LR[name]), fontsize=10)
        if np.hypot(*(points[-1] - points[0])) < 1:
            ax.text(0, -4, 'its steps start near sqrt(eps):\nit has barely moved',
                    ha='center', fontsize=9)
        ax.set_xlim(-10, 10)
        ax.set_ylim(-5, 5)
        if i >= 5:
            ax.set_xlabel('x')
        if i % 5 == 0:
            ax.set_ylabel('y')
    fig.suptitle('%d steps of each optimizer on f(x, y) = x²/20 + y² from (%g, %g); '
                 '+ marks the minimum' % ((STEPS,) + START))
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    report.save_figure(fig, 'paths.png')


def _plot_losses(report, losses, iterations, batch_size, dataset):
    fig = report.figure(14, 5.5)
    top = 1.1 * max(values[0] for values in losses.values())
    panels = (('the book\'s four', BOOK), ("keisan's others (and Adam)",
                                           [n for n in losses if n not in BOOK] + ['adam']))
    for i, (title, names) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        for j, name in enumerate(names):
            optimizer = O.get(name)
            curve = smooth(losses[name])
            note = ' (off the scale)' if curve.max() > top else ''
            ax.plot(np.arange(iterations), curve, ('-', '--', '-.', ':')[j % 4], linewidth=1.6,
                    label='%s (lr %g)%s' % (type(optimizer).__name__, optimizer.lr, note))
        ax.set_ylim(0, top)
        ax.set_xlabel('iteration (mini-batch of %d)' % batch_size)
        ax.set_ylabel('training loss (moving average)')
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle('MultiLayerNet 784-100x4-10 on %s, each optimizer at its default learning '
                 'rate, the same initial weights and batches' % dataset)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    report.save_figure(fig, 'loss.png')
