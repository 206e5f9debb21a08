"""The keisan command: train / evaluate / predict / gradcheck, and its error exits."""
import json
import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

from keisan import cuda, cli
from keisan.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
from keisan.training import MODELS, RunDirectory

FASHION_DIR = '/usr/share/datasets/fashion-mnist'
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                                   reason='Fashion-MNIST not installed (dataset-fashion-mnist)')

TRAIN = ['train', '--model', 'two_layer', '--train-size', '1000', '--test-size', '500',
         '--epochs', '1', '--no-progress', '--no-download']


def train_two_layer(out, *extra):
    return cli.main(TRAIN + ['--out', str(out)] + list(extra))


def test_python_m_keisan_help():
    result = subprocess.run([sys.executable, '-m', 'keisan', '--help'], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    for command in ('train', 'evaluate', 'predict', 'gradcheck', 'graph', 'experiment'):
        assert command in result.stdout


def test_default_lr_is_the_optimizers_own():
    assert cli.default_lr('adam') == cli.default_lr('adamw') == 0.001
    assert cli.default_lr('sgd') == cli.default_lr('rmsprop') == 0.01
    assert cli.default_lr('rmspropgraves') == 1e-4          # Chainer's default
    assert cli.default_lr('smorms3') == 1e-3
    assert cli.default_lr('adadelta') == 1.0


# ----- the full workflow on real data ---------------------------------------------------------
@needs_fashion
def test_train_evaluate_predict_resume(tmp_path, capsys):
    pil = pytest.importorskip('PIL.Image')
    out = tmp_path / 'run'
    assert train_two_layer(out) == 0
    for name in ('model.npz', 'checkpoint.npz', 'metrics.csv', 'metrics.json', 'config.json'):
        assert (out / name).is_file(), name
    config = json.loads((out / 'config.json').read_text())
    assert config['model'] == 'two_layer' and config['dataset'] == 'fashion-mnist'
    assert config['optimizer'] == 'adam' and config['optimizer_params'] == {'lr': 0.001}
    assert (config['train_size'], config['test_size'], config['seed']) == (1000, 500, 0)
    assert config['model_args'] == {'input_size': 784, 'hidden_size': 100, 'output_size': 10,
                                    'weight_decay_lambda': 0.0}
    history = json.loads((out / 'metrics.json').read_text())
    assert len(history) == 1 and history[0]['test_acc'] > 0.3
    capsys.readouterr()

    assert cli.main(['evaluate', str(out), '--no-download']) == 0
    text = capsys.readouterr().out
    acc = float(re.search(r'test acc ([0-9.]+)', text).group(1))
    assert 0.3 < acc <= 1.0
    assert '10000 images' in text
    for name in FASHION_MNIST_CLASSES:
        assert name in text

    # predict: a test image as a PNG, and the same image inverted (dark on light).
    _, (x_test, _) = load_fashion_mnist(normalize=False, flatten=True, download=False)
    image = x_test[0].reshape(28, 28)
    pil.fromarray(image).save(tmp_path / 'img.png')
    pil.fromarray(255 - image).save(tmp_path / 'inverted.png')
    network, _ = RunDirectory(out).load_model()
    expected = FASHION_MNIST_CLASSES[int(network.predict(
        (x_test[:1] / np.float32(255)).astype(np.float32)).argmax())]
    assert cli.main(['predict', str(out), str(tmp_path / 'img.png'),
                     str(tmp_path / 'inverted.png')]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '%s: %s' % (tmp_path / 'img.png', expected)
    assert lines[4].startswith('%s: %s' % (tmp_path / 'inverted.png', expected))
    assert 'inverted' in lines[4]
    probs = [float(line.split()[-1]) for line in lines[1:4]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6

    # --resume continues the same run for a second epoch.
    assert train_two_layer(out, '--epochs', '2', '--resume') == 0
    history = json.loads((out / 'metrics.json').read_text())
    assert [h['epoch'] for h in history] == [1, 2]
    assert 'resumed from' in capsys.readouterr().out


@needs_fashion
def test_weight_decay_is_the_conv_nets_l2_term(tmp_path):
    out = tmp_path / 'conv'
    assert cli.main(['train', '--model', 'simple_conv', '--train-size', '100', '--test-size',
                     '50', '--epochs', '1', '--batch-size', '50', '--weight-decay', '0.01',
                     '--optimizer', 'momentum', '--mode', 'autograd', '--no-progress',
                     '--no-download', '--out', str(out)]) == 0
    config = json.loads((out / 'config.json').read_text())
    assert 'weight_decay_hook' not in config and config['mode'] == 'autograd'
    assert config['weight_decay'] == config['model_args']['weight_decay_lambda'] == 0.01
    assert config['optimizer_params'] == {'lr': 0.01}
    network, _ = RunDirectory(out).load_model()
    assert network.params['W1'].shape == (30, 1, 5, 5)
    # The reported test loss is the cross-entropy plus 0.5 * lambda * sum(W**2), biases aside.
    _, (x_test, t_test) = load_fashion_mnist(flatten=False, download=False)
    x, t = x_test[:50], t_test[:50]
    penalty = 0.5 * 0.01 * sum(float((network.params[k] ** 2).sum()) for k in ('W1', 'W2', 'W3'))
    scores = network.predict(x, train_flg=False).astype(np.float64)
    log_p = scores - scores.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    cross_entropy = -log_p[np.arange(len(t)), t].mean()
    test_loss = json.loads((out / 'metrics.json').read_text())[0]['test_loss']
    assert penalty > 0.01
    assert test_loss == pytest.approx(cross_entropy + penalty, rel=1e-4)


@needs_fashion
def test_a_config_with_the_old_weight_decay_hook_key_still_loads(tmp_path, capsys):
    out = tmp_path / 'run'
    assert train_two_layer(out) == 0
    config = json.loads((out / 'config.json').read_text())
    del config['model_args']['weight_decay_lambda']
    config['weight_decay_hook'] = False
    (out / 'config.json').write_text(json.dumps(config))
    network, _ = RunDirectory(out).load_model()
    assert network.weight_decay_lambda == 0
    assert cli.main(['evaluate', str(out), '--no-download', '--test-size', '100']) == 0


@needs_fashion
def test_cosine_lr_schedule_and_resume(tmp_path, capsys):
    out = tmp_path / 'run'
    assert train_two_layer(out, '--epochs', '1', '--lr-schedule', 'cosine') == 0
    config = json.loads((out / 'config.json').read_text())
    assert config['lr_schedule'] == 'cosine' and config['optimizer_params'] == {'lr': 0.001}
    capsys.readouterr()
    assert train_two_layer(out, '--epochs', '2', '--resume', '--lr-schedule',
                           'constant') == 2                          # schedule differs
    assert '--lr-schedule constant (the run has cosine)' in capsys.readouterr().err
    assert train_two_layer(out, '--epochs', '2', '--resume') == 0    # the run's own settings
    history = json.loads((out / 'metrics.json').read_text())
    assert [h['epoch'] for h in history] == [1, 2]
    assert json.loads((out / 'config.json').read_text())['lr_schedule'] == 'cosine'
    assert train_two_layer(out, '--epochs', '3', '--resume', '--lr', '0.5') == 2
    assert '--lr 0.5 (the run has 0.001)' in capsys.readouterr().err


@needs_fashion
def test_resume_alone_continues_a_run_with_all_its_settings(tmp_path, capsys):
    out = tmp_path / 'run'
    assert cli.main(['train', '--model', 'two_layer', '--optimizer', 'sgd', '--lr', '0.05',
                     '--batch-size', '50', '--weight-decay', '0.001', '--seed', '7',
                     '--train-size', '300', '--test-size', '100', '--epochs', '1',
                     '--out', str(out), '--no-progress']) == 0
    before = json.loads((out / 'config.json').read_text())
    assert cli.main(['train', '--out', str(out), '--resume', '--epochs', '2',
                     '--no-progress']) == 0
    after = json.loads((out / 'config.json').read_text())
    for key in ('model', 'optimizer', 'optimizer_params', 'batch_size', 'weight_decay', 'seed',
                'train_size', 'test_size'):
        assert after[key] == before[key], key
    assert after['epochs'] == 2
    capsys.readouterr()
    assert cli.main(['train', '--out', str(out), '--resume', '--optimizer', 'adam',
                     '--no-progress']) == 2
    err = capsys.readouterr().err
    assert '--optimizer adam (the run has sgd)' in err and '--lr' not in err   # not given


@needs_fashion
def test_out_that_cannot_hold_a_run(tmp_path, capsys):
    a_file = tmp_path / 'file'
    a_file.write_text('x')
    assert train_two_layer(a_file) == 2
    err = capsys.readouterr().err
    assert 'not a directory' in err and 'Traceback' not in err
    assert train_two_layer(a_file / 'sub') == 2
    assert 'cannot create' in capsys.readouterr().err


@needs_fashion
def test_predict_top_lists_all_classes(tmp_path, capsys):
    pil = pytest.importorskip('PIL.Image')
    out = tmp_path / 'run'
    assert train_two_layer(out) == 0
    pil.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / 'black.png')
    capsys.readouterr()
    assert cli.main(['predict', str(out), str(tmp_path / 'black.png'), '--top', '0']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11
    assert sum(float(line.split()[-1]) for line in lines[1:]) == pytest.approx(1, abs=5e-3)
    with pytest.raises(SystemExit):
        cli.main(['predict', str(out), str(tmp_path / 'black.png'), '--top', '-1'])


@needs_fashion
def test_incompatible_checkpoint(tmp_path, capsys):
    out = tmp_path / 'run'
    assert train_two_layer(out) == 0
    capsys.readouterr()
    code = cli.main(['train', '--model', 'mlp', '--train-size', '1000', '--test-size', '500',
                     '--no-progress', '--no-download', '--out', str(out), '--resume'])
    assert code == 2
    err = capsys.readouterr().err
    assert '--model mlp (the run has two_layer)' in err and 'Traceback' not in err
    # Without config.json, the checkpoint's shapes tell.
    (out / 'config.json').rename(out / 'config.saved')
    code = cli.main(['train', '--model', 'mlp', '--train-size', '1000', '--test-size', '500',
                     '--no-progress', '--no-download', '--out', str(out), '--resume'])
    assert code == 2
    err = capsys.readouterr().err
    assert 'W2' in err and 'shape' in err and 'Traceback' not in err
    (out / 'config.saved').rename(out / 'config.json')
    # model.npz that does not fit config.json: evaluate names the parameter.
    config = json.loads((out / 'config.json').read_text())
    config['model_args']['hidden_size'] = 50
    (out / 'config.json').write_text(json.dumps(config))
    assert cli.main(['evaluate', str(out), '--no-download']) == 2
    assert 'W1' in capsys.readouterr().err


# ----- gradcheck --------------------------------------------------------------------------------
@pytest.mark.parametrize('model', list(MODELS))
def test_gradcheck(model, capsys):
    assert cli.main(['gradcheck', '--model', model]) == 0
    lines = capsys.readouterr().out.splitlines()
    diffs = [line for line in lines if re.fullmatch(r'\w+:\d\.\de[-+]\d+', line)]
    assert diffs and diffs[0].startswith('W1:')
    assert all(float(line.split(':')[1]) <= 1e-6 for line in diffs)


def test_gradcheck_reports_a_wrong_gradient(monkeypatch, capsys):
    from keisan.models import TwoLayerNet
    monkeypatch.setattr(TwoLayerNet, 'gradient', lambda self, x, t: {
        key: np.ones_like(value) for key, value in self.params.items()})
    assert cli.main(['gradcheck', '--model', 'two_layer']) == 1
    assert 'FAILED' in capsys.readouterr().err


def test_gradcheck_dtype(capsys):
    """float32 (how keisan trains) by default, float64 on request; the numerical gradients
    are in float64 either way, so both report the book's figures."""
    assert cli.main(['gradcheck', '--model', 'simple_conv']) == 0
    out = capsys.readouterr().out
    assert 'SimpleConvNet in float32' in out and 'in float64' in out
    assert cli.main(['gradcheck', '--model', 'two_layer', '--dtype', 'float64']) == 0
    assert 'TwoLayerNet in float64' in capsys.readouterr().out


# ----- the book's weight files: evaluate / predict --model NAME FILE ---------------------------
def book_pickle(path, model, seed=0, **changes):
    """A pickle of ``model``'s params as the book's save_params writes it (float64, the
    book's keys); returns the network holding the same weights."""
    np.random.seed(seed)
    network = cli.build_model(model)
    params = {key: value.astype(np.float64) for key, value in network.params.items()}
    params.update(changes)
    with open(path, 'wb') as f:
        pickle.dump(params, f)
    return network


@needs_fashion
def test_evaluate_and_predict_a_book_pickle(tmp_path, capsys):
    """``keisan evaluate --model deep_conv deep_convnet_params.pkl``: the book's ch08 weights
    in one command (here a pickle with the book's layout, on Fashion-MNIST)."""
    path = tmp_path / 'deep_convnet_params.pkl'
    network = book_pickle(path, 'deep_conv')
    assert cli.main(['evaluate', '--model', 'deep_conv', str(path), '--dataset',
                     'fashion-mnist', '--test-size', '200', '--no-download']) == 0
    text = capsys.readouterr().out
    _, (x_test, t_test) = load_fashion_mnist(flatten=False, download=False)
    expected = network.accuracy(x_test[:200], t_test[:200])
    assert 'test acc %.4f' % expected in text and '(deep_conv)' in text
    assert 'Ankle boot' in text
    pil = pytest.importorskip('PIL.Image')
    pil.fromarray((x_test[0, 0] * 255).astype(np.uint8)).save(tmp_path / 'img.png')
    assert cli.main(['predict', '--model', 'deep_conv', str(path), str(tmp_path / 'img.png'),
                     '--top', '1']) == 0
    label = int(network.predict(x_test[:1]).argmax())
    assert capsys.readouterr().out.splitlines()[0].endswith(': %d' % label)   # MNIST digits


def test_a_bad_weights_file_is_a_user_error(tmp_path, capsys):
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return os.system, ('touch %s' % marker,)
    with open(tmp_path / 'evil.pkl', 'wb') as f:
        pickle.dump({'W1': Payload()}, f)
    for path, message in ((tmp_path / 'evil.pkl', 'refused'),
                          (tmp_path / 'missing.pkl', 'no such file'),
                          (tmp_path, 'no such file')):
        assert cli.main(['evaluate', '--model', 'two_layer', str(path), '--no-download']) == 2
        err = capsys.readouterr().err
        assert message in err and 'Traceback' not in err
    assert not marker.exists()
    book_pickle(tmp_path / 'two_layer.pkl', 'two_layer')
    assert cli.main(['evaluate', '--model', 'mlp', str(tmp_path / 'two_layer.pkl'),
                     '--no-download']) == 2
    err = capsys.readouterr().err
    assert 'missing W3' in err and 'W2 has shape' in err and 'is it a mlp?' in err


# ----- error exits -------------------------------------------------------------------------------
def test_unknown_model_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(['train', '--model', 'resnet'])
    assert info.value.code == 2
    assert 'invalid choice' in capsys.readouterr().err


def test_missing_directory_and_files(tmp_path, capsys):
    assert cli.main(['evaluate', str(tmp_path / 'nowhere')]) == 2
    assert 'no such directory' in capsys.readouterr().err
    assert cli.main(['predict', str(tmp_path), 'x.png']) == 2
    assert 'config.json' in capsys.readouterr().err
    (tmp_path / 'config.json').write_text(json.dumps({'model': 'two_layer'}))
    assert cli.main(['evaluate', str(tmp_path)]) == 2
    assert 'model.npz' in capsys.readouterr().err


def test_resume_without_checkpoint(tmp_path, capsys):
    assert cli.main(['train', '--model', 'two_layer', '--out', str(tmp_path), '--resume']) == 2
    err = capsys.readouterr().err
    assert 'no checkpoint' in err and 'Traceback' not in err


def test_missing_data(tmp_path, monkeypatch, capsys):
    from keisan.datasets import mnist
    monkeypatch.setattr(mnist, 'SYSTEM_DATA_DIRS', {})
    code = cli.main(['train', '--model', 'two_layer', '--dataset', 'mnist', '--no-download',
                     '--data-dir', str(tmp_path), '--out', str(tmp_path / 'run')])
    assert code == 2
    err = capsys.readouterr().err
    assert 'MNIST' in err and 'not found' in err


def test_bad_image(tmp_path, capsys):
    from keisan.models import TwoLayerNet
    from keisan.serializers import save_npz
    pytest.importorskip('PIL')
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'config.json').write_text(json.dumps({
        'model': 'two_layer', 'dataset': 'fashion-mnist',
        'model_args': {'input_size': 784, 'hidden_size': 10, 'output_size': 10}}))
    save_npz(str(run / 'model.npz'), TwoLayerNet(784, 10, 10))
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'this is not a PNG')
    assert cli.main(['predict', str(run), str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'Traceback' not in err
    assert cli.main(['predict', str(run), str(tmp_path / 'missing.png')]) == 2
    assert 'missing.png' in capsys.readouterr().err


@pytest.mark.skipif(cuda.is_available(), reason='a GPU is available here')
def test_gpu_unavailable_fails_cleanly(tmp_path, capsys):
    assert cli.main(['train', '--model', 'two_layer', '--device', 'gpu',
                     '--out', str(tmp_path)]) == 2
    assert 'CuPy' in capsys.readouterr().err
