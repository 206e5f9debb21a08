"""What a convolution learns (book ch. 7.6): the 30 first-layer filters of SimpleConvNet
before and after training, and the feature maps they make of one test image
(``visualize_filter.py``, ``apply_filter.py``).

Figures:
    filters.png        the 30 5x5 filters (white: positive weights, black: negative,
                       each scaled to its own range) of the book's SimpleConvNet
                       before training (random noise, std 0.01) and after: smooth blobs
                       and edges in several orientations.
    feature-maps.png   one test image and the 30 maps relu(conv(image, filter) + b)
                       of the trained filters: each lights up where its pattern is.

Numbers: filters.csv (filter, std and smoothness before and after: the correlation of
neighbouring weights, about 0 for noise), results.json (training, test accuracy).
"""
import numpy as np

import keisan.functions as F
from keisan import optimizers as O
from keisan.config import no_grad
from keisan.experiments.common import CLASS_NAMES, Report, image_grid, load_data, train_epochs
from keisan.models import SimpleConvNet

TITLE = "ch. 7.6: SimpleConvNet's first-layer filters before/after training, feature maps"


def smoothness(w):
    """Mean correlation of horizontally and vertically neighbouring weights of a 2-D filter
    (about 0 for random noise, near 1 for a smooth pattern)."""
    pairs = [(w[:, :-1], w[:, 1:]), (w[:-1, :], w[1:, :])]
    return float(np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in pairs]))


def run(options):
    """Train SimpleConvNet and draw its filters and feature maps; returns the Report."""
    report = Report('filters', options)
    dataset = options.dataset_name
    quick = options.quick
    train_size, epochs, batch_size = (3000, 1, 100) if quick else (60000, 2, 100)
    (x_train, t_train), (x_test, t_test) = load_data(options, flatten=False)
    x_train, t_train = x_train[:train_size], t_train[:train_size]
    if quick:
        x_test, t_test = x_test[:1000], t_test[:1000]

    np.random.seed(options.seed)
    network = SimpleConvNet(weight_init_std=0.01)      # the book's network and init
    before = network.params['W1'][:, 0].copy()         # (30, 5, 5)
    bar = report.progress(epochs * -(-len(x_train) // batch_size), 'training')
    history = train_epochs(network, O.Adam(lr=0.001), x_train, t_train, epochs, batch_size,
                           lambda net: {}, options.seed, bar)
    bar.close()
    after = network.params['W1'][:, 0].copy()
    test_acc = network.accuracy(x_test, t_test)
    image, label = x_test[:1], int(t_test[0])
    with no_grad():
        maps = F.relu(F.convolution_2d(image, network.params['W1'],
                                       network.params['b1'])).data[0]
    steps = len(history) * -(-len(x_train) // batch_size)

    _plot_filters(report, before, after, steps, dataset)
    _plot_maps(report, image[0, 0], maps, CLASS_NAMES[dataset][label])
    rows = [{'filter': i + 1, 'std_before': float(b.std()), 'std_after': float(a.std()),
             'smoothness_before': smoothness(b), 'smoothness_after': smoothness(a)}
            for i, (b, a) in enumerate(zip(before, after))]
    report.write_csv('filters.csv', rows)
    mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key != 'filter'}
    report.write_json('results.json', {
        'network': 'SimpleConvNet(weight_init_std=0.01): 30 5x5 filters, 100 hidden units',
        'optimizer': 'Adam(lr=0.001)', 'dataset': dataset, 'train_size': train_size,
        'epochs': epochs, 'batch_size': batch_size, 'steps': steps, 'test_size': len(x_test),
        'test_acc': test_acc, 'mean': mean, 'feature_map_image': {'index': 0, 'label': label},
        'quick': quick})
    report.say('SimpleConvNet trained %d steps (%d epoch%s on %d %s images): test accuracy '
               '%.3f' % (steps, epochs, 's' if epochs > 1 else '', train_size, dataset,
                         test_acc))
    report.say('  smoothness of the filters (correlation of neighbouring weights): %.2f '
               'before, %.2f after' % (mean['smoothness_before'], mean['smoothness_after']))
    report.caption = ('filters.png: before training the filters are noise; after, most are '
                      'smooth blobs or edges (light next to dark) in various orientations. '
                      'feature-maps.png: each map is bright where its filter\'s pattern occurs '
                      'in the image: edge filters trace outlines, blob filters fill areas.')
    return report


def _plot_filters(report, before, after, steps, dataset):
    fig = report.figure(12, 6.4)
    for (filters, heading), box in zip(
            ((before, 'before training: random, std 0.01'),
             (after, 'after %d training steps on %s' % (steps, dataset))),
            ((0.02, 0.52, 0.98, 0.86), (0.02, 0.02, 0.98, 0.36))):
        image_grid(fig, list(filters), columns=10, box=box)
        fig.text(0.5, box[3] + 0.03, heading, ha='center', fontsize=13)
    fig.suptitle("SimpleConvNet's 30 first-layer 5x5 filters (white: positive weights, "
                 'black: negative; each scaled to its own range)', fontsize=12)
    report.save_figure(fig, 'filters.png')


def _plot_maps(report, image, maps, label):
    fig = report.figure(13, 4.6)
    input_box, maps_box = (0.01, 0.15, 0.2, 0.75), (0.24, 0.02, 0.99, 0.85)
    ax = image_grid(fig, [image], columns=1, box=input_box)[0]
    ax.set_title('input: a test image (%s)' % label, fontsize=10)
    image_grid(fig, list(maps), columns=10, box=maps_box,
               titles=['filter %d' % (i + 1) for i in range(len(maps))])
    fig.suptitle('The 30 feature maps of the trained filters, relu(conv(image, filter) + '
                 'bias): bright where the pattern of the filter is', fontsize=12)
    report.save_figure(fig, 'feature-maps.png')
