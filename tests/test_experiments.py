"""``keisan experiment NAME --quick``: every experiment writes readable PNGs and numbers
that show what its figures claim; bad input gives one clear line."""
import csv
import json
import math
import os
import struct
import sys

import numpy as np
import pytest

from keisan import cli, experiments
from keisan.datasets import load_fashion_mnist
from keisan.training import RunDirectory

FASHION_DIR = '/usr/share/datasets/fashion-mnist'
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                                   reason='Fashion-MNIST not installed (dataset-fashion-mnist)')
pytest.importorskip('matplotlib')


def run_quick(name, out, *extra):
    """``keisan experiment NAME --quick`` into ``out``; returns its summary (stdout)."""
    return cli.main(['experiment', name, '--quick', '--no-progress', '--no-download',
                     '--out', str(out)] + list(extra))


def check_files(out, names):
    """Every file was written; PNGs are real images between 500x300 and 2500x2000 pixels."""
    for name in names:
        path = out / name
        assert path.is_file(), name
        if name.endswith('.png'):
            data = path.read_bytes()
            assert data[:8] == b'\x89PNG\r\n\x1a\n', name
            width, height = struct.unpack('>II', data[16:24])
            assert 500 <= width <= 2500 and 300 <= height <= 2000, (name, width, height)
            assert len(data) > 10_000, name


def read_csv(path):
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            try:
                row[key] = float(value)
            except ValueError:
                pass
    return rows


def summary(capsys):
    text = capsys.readouterr().out
    assert 'look for: ' in text and 'wrote ' in text
    return text


@needs_fashion
def test_optimizers(tmp_path, capsys):
    assert run_quick('optimizers', tmp_path) == 0
    assert 'sgd' in summary(capsys)
    check_files(tmp_path, ['paths.png', 'loss.png', 'paths.csv', 'loss.csv', 'results.json'])
    paths = {}
    for row in read_csv(tmp_path / 'paths.csv'):
        paths.setdefault(row['optimizer'], []).append((row['x'], row['y']))
    assert set(paths) == {'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'rmspropgraves',
                          'adadelta', 'adam', 'adamw', 'smorms3'}
    assert all(points[0] == (-7.0, 2.0) and len(points) == 31 for points in paths.values())

    def flips(name):        # how often the path crosses the valley floor y = 0
        y = np.array(paths[name])[:, 1]
        return int(np.sum(np.sign(y[1:]) != np.sign(y[:-1])))

    def length(name):
        return float(np.sum(np.hypot(*np.diff(np.array(paths[name]), axis=0).T)))

    assert flips('sgd') >= 25                   # SGD zigzags across y...
    assert flips('adagrad') <= 2 and flips('adam') <= 2
    assert length('sgd') > 3 * length('adagrad') and length('sgd') > 3 * length('adam')

    losses = {}
    for row in read_csv(tmp_path / 'loss.csv'):
        losses.setdefault(row['optimizer'], []).append(row['loss'])
    final = {name: np.mean(values[-15:]) for name, values in losses.items()}
    for name in ('momentum', 'adagrad', 'adam'):   # ...and is the slowest on real data
        assert final['sgd'] > final[name] + 0.1, final


@needs_fashion
def test_weight_init(tmp_path, capsys):
    assert run_quick('weight-init', tmp_path) == 0
    summary(capsys)
    check_files(tmp_path, ['activations-sigmoid.png', 'activations-tanh.png',
                           'activations-relu.png', 'loss.png', 'activations.csv', 'loss.csv',
                           'results.json'])
    stats = {(r['activation'], r['init'], int(r['layer'])): r
             for r in read_csv(tmp_path / 'activations.csv')}
    he = [stats['relu', 'He sqrt(2/n)', layer]['std'] for layer in range(1, 6)]
    small = [stats['relu', 'std 0.01', layer]['std'] for layer in range(1, 6)]
    assert 0.5 < he[-1] / he[0] < 2               # He keeps ReLU activations spread
    assert small[-1] < 1e-3 * small[0]            # std 0.01 collapses them towards 0
    for layer in range(1, 6):
        assert stats['sigmoid', 'std 1', layer]['stuck'] > 0.5     # saturated at 0 and 1
        assert stats['sigmoid', 'Xavier sqrt(1/n)', layer]['stuck'] < 0.05
        assert stats['sigmoid', 'std 0.01', layer]['std'] < 0.03   # all units alike
    losses = {}
    for row in read_csv(tmp_path / 'loss.csv'):
        losses.setdefault(row['init'], []).append(row['loss'])
    final = {name: np.mean(values[-15:]) for name, values in losses.items()}
    assert final['std 0.01'] > 2.2                # hardly learns (log 10 = 2.303)
    assert final['He sqrt(2/n)'] < final['std 0.01'] - 0.5


@needs_fashion
def test_batch_norm(tmp_path, capsys):
    assert run_quick('batch-norm', tmp_path) == 0
    assert 'batch norm ends with the higher training accuracy' in summary(capsys)
    check_files(tmp_path, ['curves.png', 'final.png', 'curves.csv', 'final.csv',
                           'results.json'])
    final = read_csv(tmp_path / 'final.csv')
    assert len(final) == 8
    better = sum(r['train_acc_with_bn'] > r['train_acc_without_bn'] for r in final)
    assert better > len(final) / 2
    assert len(read_csv(tmp_path / 'curves.csv')) == 8 * 2 * 4      # scales x BN x epochs


@needs_fashion
def test_overfit(tmp_path, capsys):
    assert run_quick('overfit', tmp_path) == 0
    summary(capsys)
    check_files(tmp_path, ['curves.png', 'curves.csv', 'results.json'])
    last = {}
    for row in read_csv(tmp_path / 'curves.csv'):
        last[row['setting']] = row
    gap = {name: row['train_acc'] - row['test_acc'] for name, row in last.items()}
    plain = 'no regularization'
    assert last[plain]['train_acc'] > 0.75 and gap[plain] > 0.1
    assert gap['weight decay λ=0.1'] < gap[plain] and gap['dropout 0.2'] < gap[plain]


@needs_fashion
def test_hyperparams(tmp_path, capsys):
    assert run_quick('hyperparams', tmp_path, '--seed', '3') == 0
    assert 'seed 3' in summary(capsys)
    check_files(tmp_path, ['best.png', 'search.png', 'trials.csv', 'curves.csv',
                           'results.json'])
    trials = read_csv(tmp_path / 'trials.csv')
    assert len(trials) == 6
    accuracies = [t['val_acc'] for t in trials]
    assert accuracies == sorted(accuracies, reverse=True)        # best first
    assert all(1e-6 <= t['lr'] <= 1e-2 and 1e-8 <= t['weight_decay'] <= 1e-4 for t in trials)
    assert all(t['lr'] > 10 ** -3.5 for t in trials[:2])         # the good ones: high lr
    slow = [t['val_acc'] for t in trials if t['lr'] < 1e-4]
    assert slow and max(slow) < accuracies[0] - 0.1
    results = json.loads((tmp_path / 'results.json').read_text())
    assert results['seed'] == 3 and results['best']['val_acc'] == trials[0]['val_acc']


@needs_fashion
def test_filters(tmp_path, capsys):
    assert run_quick('filters', tmp_path) == 0
    summary(capsys)
    check_files(tmp_path, ['filters.png', 'feature-maps.png', 'filters.csv', 'results.json'])
    rows = read_csv(tmp_path / 'filters.csv')
    assert len(rows) == 30
    mean = {key: np.mean([r[key] for r in rows]) for key in rows[0]}
    assert abs(mean['smoothness_before']) < 0.15          # random noise
    assert mean['smoothness_after'] > mean['smoothness_before'] + 0.15
    assert mean['std_after'] > mean['std_before']
    assert json.loads((tmp_path / 'results.json').read_text())['test_acc'] > 0.3


@pytest.fixture
def trained_run(tmp_path):
    out = tmp_path / 'run'
    assert cli.main(['train', '--model', 'two_layer', '--train-size', '1000', '--epochs', '1',
                     '--no-progress', '--no-download', '--out', str(out)]) == 0
    return out


@needs_fashion
def test_misclassified_from_a_run_and_from_a_weights_file(tmp_path, trained_run, capsys):
    out = tmp_path / 'mis'
    assert run_quick('misclassified', out, '--run', str(trained_run)) == 0
    assert 'two_layer' in summary(capsys)
    check_files(out, ['misclassified.png', 'confusion.png', 'misclassified.csv',
                      'results.json'])
    rows = read_csv(out / 'misclassified.csv')
    results = json.loads((out / 'results.json').read_text())
    assert results['dataset'] == 'fashion-mnist' and results['test_size'] == 2000
    assert len(rows) == results['misclassified'] == round((1 - results['accuracy']) * 2000)
    assert len(rows) > 0
    confidence = [r['p_predicted'] for r in rows]
    assert confidence == sorted(confidence, reverse=True)     # the surest mistakes first
    # the rows are really the network's mistakes
    network, _ = RunDirectory(trained_run).load_model()
    _, (x_test, t_test) = load_fashion_mnist(download=False)
    index = np.array([int(r['index']) for r in rows])
    predicted = network.predict(x_test[index], train_flg=False).argmax(axis=1)
    assert np.array_equal(predicted, [int(r['predicted']) for r in rows])
    assert np.all(predicted != t_test[index])
    assert np.array_equal(t_test[index], [int(r['true']) for r in rows])

    weights = tmp_path / 'weights.npz'
    network.save_params(str(weights))
    again = tmp_path / 'mis-file'
    assert run_quick('misclassified', again, '--run', str(weights), '--model', 'two_layer') == 0
    assert (again / 'misclassified.csv').read_text() == (out / 'misclassified.csv').read_text()


@needs_fashion
def test_bad_input_gives_one_clear_line(tmp_path, trained_run, capsys):
    def error(*args):
        assert run_quick(*args) == 2
        err = capsys.readouterr().err
        assert err.startswith('keisan experiment: error: ')
        return err

    err = error('histograms', tmp_path / 'x')
    for name in experiments.EXPERIMENTS:
        assert name in err
    assert 'needs --run' in error('misclassified', tmp_path / 'x')
    assert 'no such run directory or weights file' in error(
        'misclassified', tmp_path / 'x', '--run', str(tmp_path / 'missing'))
    assert 'not a training run directory' in error(
        'misclassified', tmp_path / 'x', '--run', str(tmp_path))
    text = tmp_path / 'notes.txt'
    text.write_text('not weights')
    assert '--model' in error('misclassified', tmp_path / 'x', '--run', str(text))
    assert 'neither a run directory nor a weights file of mlp' in error(
        'misclassified', tmp_path / 'x', '--run', str(text), '--model', 'mlp')
    weights = tmp_path / 'two_layer.npz'
    RunDirectory(trained_run).load_model()[0].save_params(str(weights))
    assert 'in the file but' in error('misclassified', tmp_path / 'x', '--run', str(weights),
                                      '--model', 'mlp')        # the parameters do not fit
    assert 'holds a two_layer run' in error('misclassified', tmp_path / 'x', '--run',
                                            str(trained_run), '--model', 'mlp')
    assert 'misclassified only' in error('optimizers', tmp_path / 'x', '--run',
                                         str(trained_run))
    assert not (tmp_path / 'x').exists()


def test_without_matplotlib_the_message_names_keisan_train(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)     # makes "import matplotlib" fail
    assert run_quick('weight-init', tmp_path / 'out') == 2
    err = capsys.readouterr().err
    assert "pip install 'keisan[train]'" in err and 'matplotlib' in err
    assert not (tmp_path / 'out').exists()
    with pytest.raises(experiments.ExperimentError, match=r'keisan\[train\]'):
        experiments.run('overfit', experiments.Options(out=str(tmp_path / 'out')))


def test_missing_dataset_is_one_line(tmp_path, monkeypatch, capsys):
    from keisan.datasets import mnist
    monkeypatch.setattr(mnist, 'SYSTEM_DATA_DIRS', {})
    assert run_quick('overfit', tmp_path, '--dataset', 'mnist') == 2
    err = capsys.readouterr().err
    assert err.startswith('keisan experiment: error: ') and 'MNIST' in err


class Terminal:
    """A text stream that says it is a terminal, so that tqdm draws on it."""

    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    pytest.importorskip('tqdm')
    terminal = Terminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    report = experiments.Report('overfit', experiments.Options(out=str(tmp_path)))
    bar = report.progress(4, 'training')
    bar.update(4)
    bar.close()
    assert 'overfit: training' in ''.join(terminal.text)
    drawn = len(terminal.text)
    quiet = experiments.Report('overfit', experiments.Options(out=str(tmp_path),
                                                              progress=False))
    quiet.progress(4, 'training').update(4)
    assert len(terminal.text) == drawn              # --no-progress: nothing drawn


@needs_fashion
def test_hyperparams_takes_the_largest_seed(tmp_path, capsys):
    # each trial seeds np.random with its own seed, which must stay below 2**32
    assert run_quick('hyperparams', tmp_path, '--seed', str(2 ** 32 - 1)) == 0
    assert 'seed 4294967295' in summary(capsys)
