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
from keisan.training import RunDirectory, Trainer, TrainerOptions, evaluate_network

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
