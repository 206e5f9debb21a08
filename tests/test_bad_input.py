"""Issue #11, one test per finding: every bad value gets a clear error, a run never silently
turns to NaN, a download never hangs, a run directory is never lost.

The README's "Bad input" section says the same in prose; each case is made in a temp dir.
"""
import io
import json
import os
import socket
import threading
import time
import zipfile

import numpy as np
import pytest

import keisan.functions as F
from keisan import cli, serializers
from keisan.datasets import DataLoader, DatasetError, fetch, load_fashion_mnist
from keisan.datasets import download as download_mod
from keisan.datasets import mnist as mnist_mod
from keisan.layers import Affine
from keisan.models import TwoLayerNet
from keisan.training import (NonFiniteError, RunDirectory, Trainer, TrainerOptions,
                             evaluate_network)

FASHION_DIR = '/usr/share/datasets/fashion-mnist'
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                                   reason='Fashion-MNIST not installed (dataset-fashion-mnist)')
TRAIN = ['train', '--model', 'two_layer', '--train-size', '200', '--test-size', '100',
         '--epochs', '1', '--no-progress', '--no-download']


def blobs(n=60, dim=6):
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, size=n)
    x = (rng.normal(size=(n, dim)) + (2.0 * t - 1.0)[:, None]).astype(np.float32)
    return x, t


def trainer(out=None, network=None, data=None, **kwargs):
    """A quiet Trainer on two blobs; keywords naming TrainerOptions fields go there."""
    x, t = blobs() if data is None else data
    fields = TrainerOptions.__dataclass_fields__
    options = {key: kwargs.pop(key) for key in list(kwargs) if key in fields}
    kwargs.setdefault('optimizer', 'sgd')
    kwargs.setdefault('optimizer_param', {'lr': 0.1})
    return Trainer(network or TwoLayerNet(6, 5, 2), x, t, x[:20], t[:20], verbose=False,
                   out=out, options=TrainerOptions(progress=False, **options), **kwargs)


def contents(directory):
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


def make_run(directory, config=None, state=None, hidden=10):
    """A run directory as keisan train leaves it: a two_layer config.json and model.npz."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {'model': 'two_layer', 'dataset': 'fashion-mnist',
                'model_args': {'input_size': 784, 'hidden_size': hidden, 'output_size': 10}}
    settings.update(config or {})
    (directory / 'config.json').write_text(json.dumps(settings))
    arrays = TwoLayerNet(784, hidden, 10, weight_init_std=0.5).state_dict()
    arrays.update(state or {})
    np.savez(directory / 'model.npz', **arrays)
    return directory


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert 'Traceback' not in err and err.count('\n') == 1, err
    return err


# ----- 1. silent NaN --------------------------------------------------------------------------
def test_a_nan_pixel_in_the_training_data_is_refused_with_count_and_index():
    x, t = blobs()
    x[17, 3] = np.nan
    x[40, 0] = np.inf
    with pytest.raises(ValueError, match=r'x_train holds 2 NaN or infinite values; the '
                                         r'first is in example 17'):
        trainer(data=(x, t))


@needs_fashion
def test_sgd_lr_1e10_stops_with_one_message_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / 'run'
    assert cli.main(TRAIN + ['--optimizer', 'sgd', '--lr', '1e10', '--out', str(out)]) == 2
    err = one_error_line(capsys)
    assert 'training diverged: ' in err and 'epoch 1' in err and 'lr=1e+10' in err
    assert not out.exists() or os.listdir(out) == []


@pytest.mark.filterwarnings('ignore::RuntimeWarning')     # NumPy's overflow
def test_a_diverging_epoch_keeps_the_last_good_files(tmp_path):
    run = trainer(tmp_path, epochs=1, mini_batch_size=10)
    run.train()
    saved = contents(tmp_path)
    run.epochs = 3
    run.x_train[:, 0] = np.inf          # the data went bad after it was checked
    with pytest.raises(NonFiniteError) as e:
        run.train()
    message = str(e.value)
    assert 'the loss is nan at step 7 (epoch 2, batch 1 of 6)' in message
    assert 'lr=0.1' in message and 'weight decay' in message
    assert 'the files in %s are those of epoch 1' % tmp_path in message
    assert contents(tmp_path) == saved


@pytest.mark.filterwarnings('ignore::RuntimeWarning')     # NumPy's overflow
def test_check_finite_off_still_never_writes_nan(tmp_path):
    run = trainer(tmp_path, epochs=1, check_finite=False, optimizer_param={'lr': 1e12},
                  mini_batch_size=10)
    with pytest.raises(NonFiniteError, match='W1.*hold NaN or inf at the end of epoch 1'):
        run.train()
    assert not tmp_path.exists() or os.listdir(tmp_path) == []


def test_evaluate_and_predict_refuse_a_model_with_nan_parameters(tmp_path, capsys):
    pil = pytest.importorskip('PIL.Image')
    W2 = np.zeros((10, 10), np.float32)
    W2[3, 4] = np.nan
    run = make_run(tmp_path / 'run', state={'W2': W2})
    pil.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / 'x.png')
    assert cli.main(['evaluate', str(run), '--no-download']) == 2
    assert 'W2 holds 1 NaN or infinite value' in one_error_line(capsys)
    assert cli.main(['predict', str(run), str(tmp_path / 'x.png')]) == 2
    assert 'W2 holds 1 NaN' in one_error_line(capsys)


@pytest.mark.filterwarnings('ignore::RuntimeWarning')     # NumPy's overflow
def test_a_finite_model_whose_scores_overflow(tmp_path, capsys):
    pil = pytest.importorskip('PIL.Image')
    run = make_run(tmp_path / 'run', state={'W1': np.full((784, 10), 1e30, np.float32),
                                            'W2': np.full((10, 10), 1e30, np.float32)})
    pil.fromarray(np.full((28, 28), 200, np.uint8)).save(tmp_path / 'x.png')
    assert cli.main(['predict', str(run), str(tmp_path / 'x.png')]) == 2
    assert 'x.png are NaN or inf (the model overflows)' in one_error_line(capsys)
    if os.path.isdir(FASHION_DIR):
        assert cli.main(['evaluate', str(run), '--no-download', '--test-size', '10']) == 2
        assert 'the loss of examples 0 to 9 is' in one_error_line(capsys)


def test_nan_test_inputs_are_not_scored_as_class_0():
    x, t = blobs()
    net = TwoLayerNet(6, 5, 2)
    bad = x.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError, match='x_test holds 6 NaN.*example 5'):
        Trainer(net, x, t, bad, t, verbose=False)
    with pytest.raises(ValueError, match='loss of examples 0 to 19 is nan'):
        evaluate_network(net, bad[:40], t[:40], batch_size=20)
    with pytest.raises(ValueError, match='accuracy: 1 row of y holds NaN.*row 5'):
        F.accuracy(net.predict(bad[:10]), t[:10])


def test_weight_decay_nan_is_refused_at_the_flag_and_the_trainer(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(TRAIN + ['--weight-decay', 'nan'])
    assert e.value.code == 2
    assert "expected a finite number >= 0, got 'nan'" in capsys.readouterr().err
    with pytest.raises(ValueError, match='network.weight_decay_lambda must be a finite'):
        trainer(network=TwoLayerNet(6, 5, 2, weight_decay_lambda=float('nan')))


# ----- 2. downloads ---------------------------------------------------------------------------
def _server(handle):
    """A TCP server on 127.0.0.1 calling ``handle(conn)`` in a thread per connection."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    return listener, 'http://127.0.0.1:%d/' % listener.getsockname()[1]


def _silent(conn):
    time.sleep(30)          # accepts, reads nothing, sends nothing
    conn.close()


def _trickle(conn):
    try:
        conn.recv(4096)
        conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n')
        for _ in range(300):
            conn.sendall(b'x')
            time.sleep(0.05)
    except OSError:
        pass
    conn.close()


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(download_mod, 'RETRY_BACKOFF', 0.0)


def test_a_silent_mirror_and_a_trickling_one_are_given_up_in_time(tmp_path, no_backoff):
    silent, silent_url = _server(_silent)
    trickle, trickle_url = _server(_trickle)
    start = time.monotonic()
    try:
        with pytest.raises(DatasetError) as e:
            fetch('f.bin', [silent_url, trickle_url], tmp_path, timeout=0.5, deadline=1.5,
                  progress=False)
    finally:
        silent.close()
        trickle.close()
    assert time.monotonic() - start < 5
    message = str(e.value)
    assert silent_url + 'f.bin (attempt 1): stalled: no data for 0.5 s' in message
    assert trickle_url + 'f.bin (attempt 1): deadline passed' in message
    assert 'by hand' in message and str(tmp_path / 'f.bin') in message
    assert os.listdir(tmp_path) == []


def test_the_deadline_comes_from_the_environment(tmp_path, monkeypatch, no_backoff):
    trickle, url = _server(_trickle)
    monkeypatch.setenv('KEISAN_DOWNLOAD_TIMEOUT', '0.5')
    start = time.monotonic()
    try:
        with pytest.raises(DatasetError, match='deadline passed'):
            fetch('f.bin', [url], tmp_path, progress=False)
    finally:
        trickle.close()
    assert time.monotonic() - start < 3
    monkeypatch.setenv('KEISAN_DOWNLOAD_TIMEOUT', 'soon')
    with pytest.raises(ValueError, match=r"\$KEISAN_DOWNLOAD_TIMEOUT must be a number of "
                                         r"seconds > 0, got 'soon'"):
        fetch('f.bin', [url], tmp_path, progress=False)


def test_an_unwritable_data_directory_is_named_with_keisan_data(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_mod, 'SYSTEM_DATA_DIRS', {'mnist': (), 'fashion-mnist': ()})
    (tmp_path / 'file').write_text('not a directory')
    monkeypatch.setenv('KEISAN_DATA', str(tmp_path / 'file' / 'data'))
    with pytest.raises(DatasetError) as e:
        load_fashion_mnist(mirrors=['http://127.0.0.1:9/'])
    message = str(e.value)
    assert 'cannot download into %s' % (tmp_path / 'file' / 'data' / 'fashion-mnist') in message
    assert 'KEISAN_DATA' in message and 'writable' in message


@pytest.mark.skipif(os.name != 'posix' or os.geteuid() == 0,
                    reason='needs a user that file permissions apply to')
def test_a_read_only_data_directory(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(DatasetError, match='cannot be written'):
            fetch('f.bin', ['http://127.0.0.1:9/'], tmp_path, progress=False)
    finally:
        tmp_path.chmod(0o700)


# ----- 3. run directories ---------------------------------------------------------------------
@needs_fashion
def test_a_new_run_in_a_run_directory_needs_overwrite(tmp_path, capsys):
    out = tmp_path / 'run'
    assert cli.main(TRAIN + ['--out', str(out), '--seed', '1']) == 0
    saved = contents(out)
    capsys.readouterr()
    assert cli.main(TRAIN + ['--out', str(out), '--model', 'mlp']) == 2
    err = one_error_line(capsys)
    assert 'already holds a training run' in err and '--resume' in err and '--overwrite' in err
    assert contents(out) == saved
    assert cli.main(TRAIN + ['--out', str(out), '--overwrite', '--seed', '2']) == 0
    assert json.loads((out / 'config.json').read_text())['seed'] == 2


@needs_fashion
def test_an_overwriting_run_interrupted_before_its_first_epoch_keeps_the_old_run(
        tmp_path, capsys, monkeypatch):
    out = tmp_path / 'run'
    assert cli.main(TRAIN + ['--out', str(out)]) == 0
    saved = contents(out)
    calls = []

    def interrupt(self, x, t):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, x, t)
    original = Trainer.train_step
    monkeypatch.setattr(Trainer, 'train_step', interrupt)
    assert cli.main(TRAIN + ['--out', str(out), '--overwrite', '--model', 'mlp']) == 130
    assert 'nothing was written' in capsys.readouterr().err
    assert contents(out) == saved
    assert cli.main(['evaluate', str(out), '--no-download', '--test-size', '50']) == 0


@needs_fashion
def test_resume_with_other_settings_names_each(tmp_path, capsys):
    out = tmp_path / 'run'
    assert cli.main(TRAIN + ['--out', str(out)]) == 0
    capsys.readouterr()
    code = cli.main(TRAIN + ['--out', str(out), '--resume', '--epochs', '2', '--dataset',
                             'mnist', '--test-size', '50', '--weight-decay', '0.01'])
    assert code == 2
    err = one_error_line(capsys)
    for part in ('--dataset mnist (the run has fashion-mnist)',
                 '--test-size 50 (the run has 100)', '--weight-decay 0.01 (the run has 0)'):
        assert part in err
    assert 'model_args' not in err


@needs_fashion
def test_a_checkpoint_with_epoch_minus_3_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / 'run'
    assert cli.main(TRAIN + ['--out', str(out)]) == 0
    arrays = serializers.read_npz(out / 'checkpoint.npz')
    arrays['trainer/epoch'] = np.array(-3)
    serializers.write_npz_atomic(out / 'checkpoint.npz', arrays)
    saved = contents(out)
    capsys.readouterr()
    assert cli.main(TRAIN + ['--out', str(out), '--resume', '--epochs', '2']) == 2
    assert 'trainer/epoch must be an integer >= 0, got -3' in one_error_line(capsys)
    assert contents(out) == saved


def test_checkpoint_fields_must_agree(tmp_path):
    trainer(tmp_path, epochs=2).train()
    path = tmp_path / 'checkpoint.npz'
    good = serializers.read_npz(path)
    for key, value, message in (
            ('trainer/iter', np.array(5), 'trainer/train_loss_list must hold'),
            ('history/epoch', np.array([1.0, 3.0]), 'epochs 1 to trainer/epoch = 2'),
            ('loader/position', np.array(2), 'loader/position 2'),
            ('optimizer/lr', np.array(np.inf), 'SGD lr inf'),
            ('model/W1', np.full((6, 5), np.nan, np.float32), 'model/W1 holds NaN')):
        serializers.write_npz_atomic(path, dict(good, **{key: value}))
        fresh = trainer(tmp_path, epochs=3)
        before = {k: v.copy() for k, v in fresh.network.params.items()}
        with pytest.raises(ValueError, match=message):
            fresh.resume()
        assert fresh.current_epoch == 0
        for k, v in before.items():
            assert np.array_equal(fresh.network.params[k], v)


def test_config_json_is_written_with_the_first_model_never_before(tmp_path):
    run = RunDirectory(tmp_path / 'run', config={'model': 'two_layer'})
    started = trainer(run, epochs=1)
    assert not (tmp_path / 'run').exists()
    started.train()
    assert json.loads((tmp_path / 'run' / 'config.json').read_text()) == {'model': 'two_layer'}
    assert (tmp_path / 'run' / 'model.npz').is_file()


# ----- 4. tracebacks --------------------------------------------------------------------------
@pytest.mark.parametrize('seed', ['-1', '99999999999', '1.5'])
def test_seeds_outside_0_to_2_32_are_usage_errors(seed, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(TRAIN + ['--seed', seed])
    assert e.value.code == 2
    assert 'expected an integer in [0, 4294967295]' in capsys.readouterr().err
    for bad in (-1, 2 ** 32):
        with pytest.raises(ValueError, match='TrainerOptions: seed'):
            TrainerOptions(seed=bad)
        with pytest.raises(ValueError, match='DataLoader: seed'):
            DataLoader(np.zeros((4, 2)), 2, seed=bad)


def _rewrite_member(path, name, data):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, 'w') as z:
        for n, b in members.items():
            z.writestr(n, b)


def _npy_header(shape, descr='<f4'):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {'descr': descr, 'fortran_order': False,
                                               'shape': shape})
    return buf.getvalue()


@pytest.mark.parametrize('member, message', [
    (b'this is not a .npy file', 'member W1.npy is not a .npy array'),
    (_npy_header((2 ** 40,)), 'member W1.npy claims a float32 array of shape (1099511627776,) '
                              '(4398046511104 bytes) but holds 0 bytes'),
    (_npy_header((784, 10)) + b'\0' * 100, 'claims a float32 array of shape (784, 10)')])
def test_broken_npy_members_are_refused_before_any_allocation(tmp_path, capsys, member,
                                                              message):
    run = make_run(tmp_path / 'run')
    _rewrite_member(run / 'model.npz', 'W1.npy', member)
    with pytest.raises(ValueError, match='W1.npy'):
        serializers.load_npz(run / 'model.npz', TwoLayerNet(784, 10, 10))
    assert cli.main(['evaluate', str(run)]) == 2
    assert message in one_error_line(capsys)


def test_a_zip_member_claiming_more_than_its_compressed_bytes_can_hold(tmp_path):
    path = tmp_path / 'm.npz'
    serializers.save_npz(path, TwoLayerNet(4, 3, 2))
    data = bytearray(path.read_bytes())
    # the central directory's uncompressed size of the first member: 16 GiB
    offset = data.rfind(b'PK\x01\x02')
    first = data.find(b'PK\x01\x02')
    assert offset >= first >= 0
    data[first + 24:first + 28] = (2 ** 32 - 1).to_bytes(4, 'little')
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match='more than its .* bytes in the archive can hold'):
        serializers.read_npz(path)


def test_affine_backward_before_forward():
    with pytest.raises(RuntimeError, match='Affine.backward: call forward first'):
        Affine(np.zeros((2, 3)), np.zeros(3)).backward(np.zeros((1, 3)))


def test_a_config_asking_for_a_huge_hidden_layer_is_refused_at_once(tmp_path, capsys):
    run = make_run(tmp_path / 'run')
    config = json.loads((run / 'config.json').read_text())
    config['model_args']['hidden_size'] = 1e7
    (run / 'config.json').write_text(json.dumps(config))
    start = time.monotonic()
    assert cli.main(['evaluate', str(run)]) == 2
    assert time.monotonic() - start < 2
    assert ('"model_args" hidden_size must be an integer in [1, 4096], got 10000000.0'
            in one_error_line(capsys))
    config['model_args']['hidden_size'] = 10 ** 7
    (run / 'config.json').write_text(json.dumps(config))
    assert cli.main(['evaluate', str(run)]) == 2
    assert 'got 10000000' in one_error_line(capsys)


def test_classes_of_length_1_are_refused(tmp_path, capsys):
    pytest.importorskip('PIL')
    run = make_run(tmp_path / 'run', config={'classes': ['only']})
    assert cli.main(['predict', str(run), str(tmp_path / 'x.png')]) == 2
    assert '"classes" must be a list of 10 names' in one_error_line(capsys)


# ----- 5. silent coercion ---------------------------------------------------------------------
@pytest.mark.parametrize('bad, message', [
    (np.ones((784, 10), np.int64), 'W1 has dtype int64'),
    (np.ones((784, 10), bool), 'W1 has dtype bool'),
    (np.full((784, 10), '1.5'), 'W1 has dtype <U3'),
    (np.ones((784, 10), complex), 'W1 has dtype complex128'),
    (np.full((784, 10), np.inf), 'W1 holds 7840 NaN or infinite values in the file'),
    (np.full((784, 10), 1e300), "W1 holds 7840 NaN or infinite values once rounded to the "
                                "model's float32"),
    (np.ones((784, 11), np.float32), 'W1 has shape (784, 11) in the file but (784, 10)')])
def test_parameters_are_floats_of_the_right_shape_or_nothing_is_loaded(tmp_path, bad, message):
    path = tmp_path / 'm.npz'
    arrays = TwoLayerNet(784, 10, 10).state_dict()
    arrays['W1'], arrays['b2'] = bad, np.full(10, 7.0)
    np.savez(path, **arrays)
    net = TwoLayerNet(784, 10, 10)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match='load_state_dict: ' + message.replace('(', r'\(')
                       .replace(')', r'\)')):
        serializers.load_npz(path, net)
    for key, value in before.items():
        assert np.array_equal(net.params[key], value), key


def test_float64_files_load_into_float32_networks(tmp_path):
    path = tmp_path / 'm.npz'
    source = TwoLayerNet(4, 3, 2, dtype=np.float64)
    serializers.save_npz(path, source)
    net = TwoLayerNet(4, 3, 2)
    serializers.load_npz(path, net)
    assert net.params['W1'].dtype == np.float32
    np.testing.assert_array_equal(net.params['W1'], source.params['W1'].astype(np.float32))


def test_a_config_with_dtype_int8_is_refused(tmp_path, capsys):
    run = make_run(tmp_path / 'run', config={'dtype': 'int8'})
    assert cli.main(['evaluate', str(run)]) == 2
    assert '"dtype" must be one of float32, float64, got \'int8\'' in one_error_line(capsys)


@pytest.mark.parametrize('key, value', [('seed', -1), ('lr', 0), ('batch_size', 2.5),
                                        ('weight_decay', -0.1), ('optimizer', 'lbfgs'),
                                        ('dataset', 'cifar')])
def test_config_values_have_the_ranges_of_the_flags(tmp_path, capsys, key, value):
    config = {'optimizer_params': {'lr': value}} if key == 'lr' else {key: value}
    run = make_run(tmp_path / 'run', config=config)
    assert cli.main(['evaluate', str(run)]) == 2
    assert repr(value) in one_error_line(capsys)


def test_trainer_and_loader_values_are_checked_where_they_enter():
    for kwargs, message in (
            ({'mini_batch_size': 2.7}, 'mini_batch_size must be an integer >= 1, got 2.7'),
            ({'mini_batch_size': 0}, 'mini_batch_size must be an integer >= 1, got 0'),
            ({'evaluate_sample_num_per_epoch': 0},
             'evaluate_sample_num_per_epoch must be an integer >= 1, got 0'),
            ({'optimizer_param': {'lr': 0.0}}, r'learning rate \(optimizer lr\) must be a '
                                               r'finite number > 0, got 0.0'),
            ({'eval_batch_size': 0}, 'eval_batch_size must be an integer >= 1')):
        with pytest.raises(ValueError, match=message):
            trainer(**kwargs)
    with pytest.raises(ValueError, match='DataLoader: batch_size'):
        DataLoader(np.zeros((4, 2)), 2.7)


def test_an_empty_batch_is_a_clear_error():
    with pytest.raises(ValueError, match=r'accuracy: the batch is empty \(y has shape'):
        F.accuracy(np.zeros((0, 3), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match='TwoLayerNet.accuracy: the batch is empty'):
        TwoLayerNet(4, 3, 2).accuracy(np.zeros((0, 4), np.float32), np.zeros(0, np.int64))


# ----- 6. predict: transparency, 16-bit and float images, tiny images -------------------------
def _predictions(capsys):
    """{image path: [probabilities]} from predict's output."""
    result, current = {}, None
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith(' '):
            current = line.split(': ')[0]
            result[current] = []
        else:
            result[current].append(line.split()[-1])
    return result


def test_predict_reads_transparency_16_bit_and_float_images_like_the_8_bit_one(tmp_path,
                                                                                capsys):
    pil = pytest.importorskip('PIL.Image')
    run = make_run(tmp_path / 'run', hidden=30)
    shape = np.zeros((28, 28), bool)
    shape[6:22, 10:18] = True
    shape[10:14, 4:24] = True
    pil.fromarray(np.where(shape, 255, 0).astype(np.uint8)).save(tmp_path / 'gray.png')
    rgba = np.zeros((28, 28, 4), np.uint8)          # a black shape on a transparent ground
    rgba[..., 3] = np.where(shape, 255, 0)
    pil.fromarray(rgba, 'RGBA').save(tmp_path / 'rgba.png')
    pil.fromarray(np.where(shape, 65535, 0).astype(np.uint16)).save(tmp_path / 'deep.png')
    pil.fromarray(shape.astype(np.float32)).save(tmp_path / 'float.tif')
    images = [str(tmp_path / n) for n in ('gray.png', 'rgba.png', 'deep.png', 'float.tif')]
    assert cli.main(['predict', str(run)] + images + ['--top', '0']) == 0
    probs = _predictions(capsys)
    assert len(set(probs[images[0]])) > 1                   # not a blank image's 0.100s
    for path in images[1:]:
        assert probs[path] == probs[images[0]], path


def test_predict_refuses_tiny_and_fully_transparent_images(tmp_path, capsys):
    pil = pytest.importorskip('PIL.Image')
    run = make_run(tmp_path / 'run')
    pil.fromarray(np.zeros((7, 20), np.uint8)).save(tmp_path / 'tiny.png')
    assert cli.main(['predict', str(run), str(tmp_path / 'tiny.png')]) == 2
    assert 'is 20x7 pixels; predict needs at least 8x8' in one_error_line(capsys)
    pil.fromarray(np.zeros((28, 28, 4), np.uint8), 'RGBA').save(tmp_path / 'clear.png')
    assert cli.main(['predict', str(run), str(tmp_path / 'clear.png')]) == 2
    assert 'fully transparent' in one_error_line(capsys)
