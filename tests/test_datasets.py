"""Tests for keisan.datasets. Deterministic and offline: downloads go to a local HTTP server."""
import gzip
import hashlib
import http.server
import io
import os
import sys
import threading
import time

import numpy as np
import pytest

from keisan import datasets, random_state
from keisan.datasets import (DataLoader, Dataset, DatasetError, TupleDataset, fetch,
                             get_dataset, load_fashion_mnist, load_mnist, read_idx, write_idx)
from keisan.datasets import download as download_mod
from keisan.datasets import mnist as mnist_mod

FILES = mnist_mod.FILES
REAL_FASHION_DIR = '/usr/share/datasets/fashion-mnist'


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Keep every test away from ~/.cache, the real mirrors and the system data dirs."""
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('KEISAN_DATA', str(tmp_path / 'default-data'))
    monkeypatch.delenv('KEISAN_MNIST_MIRRORS', raising=False)
    monkeypatch.delenv('KEISAN_FASHION_MNIST_MIRRORS', raising=False)
    monkeypatch.setattr(mnist_mod, 'SYSTEM_DATA_DIRS', {'mnist': (), 'fashion-mnist': ()})
    monkeypatch.setattr(mnist_mod, 'DEFAULT_MIRRORS',
                        {'mnist': ('http://127.0.0.1:9/unused/',),
                         'fashion-mnist': ('http://127.0.0.1:9/unused/',)})
    monkeypatch.setattr(download_mod, 'RETRY_BACKOFF', 0.0)


def _gz_bytes(array, tmp_path, name):
    path = tmp_path / ('src-' + name)
    write_idx(path, array, gzip=True)
    return path.read_bytes()


@pytest.fixture
def fake(tmp_path):
    """A tiny MNIST-like dataset: arrays and the bytes of the four .gz files."""
    rng = np.random.default_rng(1234)
    arrays = {
        'train_img': rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
        'train_label': (np.arange(20) % 10).astype(np.uint8),
        'test_img': rng.integers(0, 256, size=(8, 28, 28), dtype=np.uint8),
        'test_label': rng.integers(0, 10, size=8, dtype=np.uint8),
    }
    blobs = {FILES[part]: _gz_bytes(a, tmp_path, FILES[part]) for part, a in arrays.items()}
    md5 = {name: hashlib.md5(b).hexdigest() for name, b in blobs.items()}

    class Fake:
        pass
    f = Fake()
    f.arrays, f.blobs, f.md5 = arrays, blobs, md5
    return f


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.log.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        status, body, length = route
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """Local HTTP server. ``server.routes[path] = (status, body, content_length or None)``."""
    srv = _Server(('127.0.0.1', 0), _Handler)
    srv.routes, srv.log = {}, []
    srv.url = 'http://127.0.0.1:%d' % srv.server_address[1]

    def serve(prefix, blobs, status=200, length=None):
        for name, body in blobs.items():
            srv.routes['/%s/%s' % (prefix, name)] = (status, body, length)
        return '%s/%s/' % (srv.url, prefix)
    srv.serve = serve
    thread = threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.02},
                              daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _listing(path):
    """All files below ``path`` (relative), or [] if it does not exist."""
    out = []
    for root, _, files in os.walk(path):
        out += [os.path.relpath(os.path.join(root, f), path) for f in files]
    return sorted(out)


@pytest.fixture
def patch_md5(monkeypatch):
    def apply(key, md5):
        monkeypatch.setitem(mnist_mod.CHECKSUMS, key, dict(md5))
    return apply


# ----------------------------------------------------------------------------- IDX

@pytest.mark.parametrize('dtype', ['u1', 'i1', '>i2', '<i2', 'i4', 'f4', 'f8'])
@pytest.mark.parametrize('compress', [True, False])
def test_idx_roundtrip(tmp_path, dtype, compress):
    a = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    path = tmp_path / 'a.idx'
    write_idx(path, a, gzip=compress)
    b = read_idx(path)
    np.testing.assert_array_equal(a, b)
    assert b.dtype == np.dtype(dtype).newbyteorder('=')
    assert b.dtype.isnative and b.flags.writeable


def test_idx_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_without_suffix = tmp_path / 'data-idx2-ubyte'
    plain_with_suffix = tmp_path / 'data-idx2-ubyte.gz'
    write_idx(gz_without_suffix, a, gzip=True)
    write_idx(plain_with_suffix, a, gzip=False)
    assert gz_without_suffix.read_bytes()[:2] == b'\x1f\x8b'
    assert plain_with_suffix.read_bytes()[:4] == b'\x00\x00\x08\x02'
    np.testing.assert_array_equal(read_idx(gz_without_suffix), a)
    np.testing.assert_array_equal(read_idx(plain_with_suffix), a)


def test_idx_header_layout(tmp_path):
    path = tmp_path / 'x'
    write_idx(path, np.zeros((2, 28, 28), np.uint8), gzip=False)
    data = path.read_bytes()
    assert data[:16] == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])
    assert len(data) == 16 + 2 * 784


def _write(tmp_path, name, data, compress=False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


@pytest.mark.parametrize('compress', [False, True])
def test_idx_empty(tmp_path, compress):
    path = _write(tmp_path, 'empty-idx1-ubyte', b'', compress)
    with pytest.raises(DatasetError, match='empty') as e:
        read_idx(path)
    assert str(path) in str(e.value)


@pytest.mark.parametrize('data', [b'\x00\x00\x08', b'\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00'])
@pytest.mark.parametrize('compress', [False, True])
def test_idx_truncated_header(tmp_path, data, compress):
    path = _write(tmp_path, 'short', data, compress)
    with pytest.raises(DatasetError, match='truncated header') as e:
        read_idx(path)
    assert str(path) in str(e.value)


@pytest.mark.parametrize('header, message', [
    (b'\x08\x03\x00\x00', 'bad magic number'),
    (b'\x00\x01\x08\x01', 'bad magic number'),
    (b'\x00\x00\x0a\x01', 'unknown IDX type code 0x0A'),
    (b'\x00\x00\x08\x00', 'number of dimensions 0'),
    (b'\x00\x00\x08\x40', 'number of dimensions 64'),
])
def test_idx_bad_magic(tmp_path, header, message):
    path = _write(tmp_path, 'bad', header + b'\x00' * 64)
    with pytest.raises(DatasetError, match=message):
        read_idx(path)


@pytest.mark.parametrize('compress', [False, True])
def test_idx_payload_too_short(tmp_path, compress):
    header = bytes([0, 0, 8, 3]) + np.array([60000, 28, 28], '>u4').tobytes()
    path = _write(tmp_path, 'train-images-idx3-ubyte.gz', header + b'\x07' * 1000, compress)
    with pytest.raises(DatasetError) as e:
        read_idx(path)
    msg = str(e.value)
    assert msg.startswith(str(path))
    assert 'expected 47040000 bytes of image data' in msg and 'found 1000' in msg


@pytest.mark.parametrize('compress', [False, True])
def test_idx_trailing_bytes(tmp_path, compress):
    header = bytes([0, 0, 8, 1]) + np.array([5], '>u4').tobytes()
    path = _write(tmp_path, 'labels', header + b'\x01' * 6, compress)
    with pytest.raises(DatasetError, match='trailing'):
        read_idx(path)
    exact = _write(tmp_path, 'labels-ok', header + b'\x01' * 5, compress)
    np.testing.assert_array_equal(read_idx(exact), np.ones(5, np.uint8))


def test_idx_forged_huge_header_fails_fast(tmp_path):
    header = bytes([0, 0, 0x0E, 3]) + np.array([2 ** 32 - 1] * 3, '>u4').tobytes()
    path = _write(tmp_path, 'forged', header + b'\x00' * 100, compress=True)
    start = time.perf_counter()
    with pytest.raises(DatasetError, match='found 100'):
        read_idx(path)
    assert time.perf_counter() - start < 1.0


def test_idx_bad_gzip(tmp_path):
    path = _write(tmp_path, 'x.gz', b'\x1f\x8b' + b'not really gzip data' * 3)
    with pytest.raises(DatasetError, match='corrupt or truncated gzip data'):
        read_idx(path)


def test_idx_truncated_gzip(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    good = tmp_path / 'good.gz'
    write_idx(good, a)
    data = good.read_bytes()
    cut = _write(tmp_path, 'cut.gz', data[:len(data) // 2])
    with pytest.raises(DatasetError) as e:
        read_idx(cut)
    assert str(cut) in str(e.value)
    # A damaged CRC in the trailer is caught as well.
    bad_crc = _write(tmp_path, 'crc.gz', data[:-8] + bytes(8))
    with pytest.raises(DatasetError, match='gzip'):
        read_idx(bad_crc)


def test_dataset_error_is_value_error():
    assert issubclass(DatasetError, ValueError)


@pytest.mark.parametrize('bad', [np.zeros(3, np.int64), np.zeros(3, bool), np.float16(1)])
def test_write_idx_rejects_unsupported(tmp_path, bad):
    with pytest.raises(ValueError, match='write_idx'):
        write_idx(tmp_path / 'x', bad)


def test_write_idx_is_deterministic(tmp_path):
    a = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / 'a', a)
    write_idx(tmp_path / 'b', a)
    assert (tmp_path / 'a').read_bytes() == (tmp_path / 'b').read_bytes()


# ----------------------------------------------------------------------------- fetch

def test_fetch_good_download(server, tmp_path):
    body = b'hello keisan' * 1000
    url = server.serve('m', {'f.bin': body})
    dest = tmp_path / 'cache'
    path = fetch('f.bin', [url], dest, md5=hashlib.md5(body).hexdigest(),
                 sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert path == str(dest / 'f.bin')
    assert (dest / 'f.bin').read_bytes() == body
    assert _listing(dest) == ['f.bin']
    # A verified file already present is returned without contacting any mirror.
    server.log.clear()
    assert fetch('f.bin', [url], dest, md5=hashlib.md5(body).hexdigest(), progress=False) == path
    assert server.log == []


def test_fetch_replaces_corrupt_existing_file(server, tmp_path):
    body = b'payload' * 10
    url = server.serve('m', {'f.bin': body})
    (tmp_path / 'f.bin').write_bytes(b'corrupt')
    fetch('f.bin', [url], tmp_path, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert (tmp_path / 'f.bin').read_bytes() == body


def test_fetch_wrong_checksum_leaves_nothing(server, tmp_path):
    url = server.serve('m', {'f.bin': b'abc' * 100})
    dest = tmp_path / 'cache'
    with pytest.raises(DatasetError) as e:
        fetch('f.bin', [url], dest, md5='0' * 32, progress=False)
    msg = str(e.value)
    assert url + 'f.bin' in msg and 'md5 checksum mismatch' in msg
    assert _listing(dest) == []
    assert server.log == ['/m/f.bin']      # a checksum mismatch is not retried


def test_fetch_truncated_transfer_leaves_nothing(server, tmp_path):
    url = server.serve('m', {'f.bin': b'x' * 500}, length=1000)
    with pytest.raises(DatasetError, match='truncated transfer') as e:
        fetch('f.bin', [url], tmp_path / 'cache', retries=2, progress=False)
    assert '500' in str(e.value) and '1000' in str(e.value)
    assert _listing(tmp_path / 'cache') == []
    assert server.log == ['/m/f.bin'] * 2  # transient: retried


def test_fetch_falls_back_to_second_mirror(server, tmp_path):
    body = b'good data'
    bad = server.serve('m1', {'f.bin': b'server error'}, status=500)
    good = server.serve('m2', {'f.bin': body})
    path = fetch('f.bin', [bad, good], tmp_path, sha256=hashlib.sha256(body).hexdigest(),
                 retries=3, progress=False)
    assert open(path, 'rb').read() == body
    assert server.log == ['/m1/f.bin'] * 3 + ['/m2/f.bin']
    assert _listing(tmp_path) == ['f.bin']


def test_fetch_all_mirrors_fail_lists_every_url(server, tmp_path):
    m404 = server.url + '/missing/'
    m500 = server.serve('m500', {'f.bin': b''}, status=503)
    unreachable = 'http://127.0.0.1:9/nothing-listens-here/'
    with pytest.raises(DatasetError) as e:
        fetch('f.bin', [m404, m500, unreachable], tmp_path / 'c', retries=2,
              timeout=5, progress=False)
    msg = str(e.value)
    for url in (m404, m500, unreachable):
        assert url + 'f.bin' in msg
    assert 'HTTP 404' in msg and 'HTTP 503' in msg and 'cannot connect' in msg
    assert server.log.count('/missing/f.bin') == 1     # 404 is not retried
    assert server.log.count('/m500/f.bin') == 2
    assert _listing(tmp_path / 'c') == []


def test_fetch_validation_failure_leaves_nothing(server, tmp_path):
    url = server.serve('m', {'f.bin': b'data'})

    def validate(path):
        assert os.path.dirname(path) == str(tmp_path)
        raise DatasetError('%s: not what we wanted' % path)
    with pytest.raises(DatasetError, match='failed validation'):
        fetch('f.bin', [url], tmp_path, validate=validate, progress=False)
    assert _listing(tmp_path) == []


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_fetch_text_progress_without_tqdm(server, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'tqdm.auto', None)     # makes "import tqdm.auto" fail
    err = _FakeTTY()
    monkeypatch.setattr(sys, 'stderr', err)
    url = server.serve('m', {'f.bin': b'z' * 300000})
    fetch('f.bin', [url], tmp_path, progress=True)
    assert 'f.bin: 100.0%' in err.getvalue()
    # Not a terminal: silent.
    monkeypatch.setattr(sys, 'stderr', io.StringIO())
    fetch('g.bin', [server.serve('m', {'g.bin': b'z'})], tmp_path, progress=True)
    assert sys.stderr.getvalue() == ''


def test_fetch_arguments(tmp_path):
    with pytest.raises(ValueError, match='retries'):
        fetch('f', ['http://127.0.0.1:9/'], tmp_path, retries=0)
    with pytest.raises(DatasetError, match='no mirror'):
        fetch('f', [], tmp_path)


# ----------------------------------------------------------------------------- MNIST loaders

def _check_loaded(result, fake, normalize, flatten, one_hot):
    (x, t), (xt, tt) = result
    for xs, ts, split in ((x, t, 'train'), (xt, tt, 'test')):
        img, lab = fake.arrays[split + '_img'], fake.arrays[split + '_label']
        n = len(img)
        assert xs.shape == ((n, 784) if flatten else (n, 1, 28, 28))
        if normalize:
            assert xs.dtype == np.float32
            assert 0.0 <= xs.min() and xs.max() <= 1.0
            np.testing.assert_allclose(xs.reshape(n, 28, 28), img / np.float32(255), rtol=1e-6)
        else:
            assert xs.dtype == np.uint8
            np.testing.assert_array_equal(xs.reshape(n, 28, 28), img)
        if one_hot:
            assert ts.shape == (n, 10) and ts.dtype == np.float32
            np.testing.assert_array_equal(ts.sum(axis=1), 1)
            np.testing.assert_array_equal(ts.argmax(axis=1), lab)
        else:
            assert ts.shape == (n,) and ts.dtype == np.int64
            np.testing.assert_array_equal(ts, lab)


@pytest.mark.parametrize('loader, key', [(load_mnist, 'mnist'),
                                         (load_fashion_mnist, 'fashion-mnist')])
def test_load_downloads_verifies_and_caches(server, tmp_path, fake, patch_md5, loader, key):
    patch_md5(key, fake.md5)
    url = server.serve('m', fake.blobs)
    data_dir = tmp_path / 'data'
    result = loader(data_dir=data_dir, mirrors=[url])
    _check_loaded(result, fake, normalize=True, flatten=True, one_hot=False)
    assert _listing(data_dir) == sorted('%s/%s' % (key, n) for n in
                                        list(FILES.values()) + [key + '.npz'])
    assert len(server.log) == 4

    # Everything is local now: no more requests, every output variant works.
    server.log.clear()
    for normalize in (True, False):
        for flatten in (True, False):
            for one_hot in (True, False):
                result = loader(normalize, flatten, one_hot, data_dir=data_dir,
                                mirrors=[url], download=False)
                _check_loaded(result, fake, normalize, flatten, one_hot)
    assert server.log == []


def test_load_official_checksum_mismatch_caches_nothing(server, tmp_path, fake):
    # The fake files do not match the official MD5 sums: the download must be refused.
    url = server.serve('m', fake.blobs)
    with pytest.raises(DatasetError) as e:
        load_mnist(data_dir=tmp_path / 'data', mirrors=[url])
    assert 'md5 checksum mismatch' in str(e.value)
    assert _listing(tmp_path / 'data') == []


def test_load_truncated_idx_is_not_cached(server, tmp_path, fake, patch_md5):
    # A well-transferred file with a matching checksum but broken IDX content.
    blobs = dict(fake.blobs)
    name = FILES['train_img']
    raw = gzip.decompress(blobs[name])
    blobs[name] = gzip.compress(raw[:-100], mtime=0)
    patch_md5('mnist', {n: hashlib.md5(b).hexdigest() for n, b in blobs.items()})
    url = server.serve('m', blobs)
    with pytest.raises(DatasetError) as e:
        load_mnist(data_dir=tmp_path / 'data', mirrors=[url])
    assert 'failed validation' in str(e.value) and 'expected 15680 bytes' in str(e.value)
    assert name not in ' '.join(_listing(tmp_path / 'data'))
    assert not any(f.endswith('.npz') or f.endswith('.part') for f in _listing(tmp_path / 'data'))


def test_load_truncated_transfer_is_not_cached(server, tmp_path, fake, patch_md5):
    patch_md5('mnist', fake.md5)
    url = server.serve('m', fake.blobs)
    name = FILES['train_img']
    server.routes['/m/' + name] = (200, fake.blobs[name][:300], len(fake.blobs[name]))
    with pytest.raises(DatasetError, match='truncated transfer'):
        load_mnist(data_dir=tmp_path / 'data', mirrors=[url])
    assert name not in ' '.join(_listing(tmp_path / 'data'))


def test_load_second_mirror_after_http_500(server, tmp_path, fake, patch_md5):
    patch_md5('mnist', fake.md5)
    bad = server.serve('bad', fake.blobs, status=500)
    good = server.serve('good', fake.blobs)
    result = load_mnist(one_hot_label=True, data_dir=tmp_path / 'd', mirrors=[bad, good])
    _check_loaded(result, fake, normalize=True, flatten=True, one_hot=True)
    assert any(p.startswith('/bad/') for p in server.log)


def test_load_all_mirrors_fail(server, tmp_path, fake, patch_md5):
    patch_md5('fashion-mnist', fake.md5)
    a = server.serve('a', fake.blobs, status=500)
    b = server.url + '/b/'
    with pytest.raises(DatasetError) as e:
        load_fashion_mnist(data_dir=tmp_path / 'd', mirrors=[a, b])
    msg = str(e.value)
    name = FILES['train_img']
    assert a + name in msg and b + name in msg
    assert str(tmp_path / 'd' / 'fashion-mnist') in msg
    assert 'apt-get install -y dataset-fashion-mnist' in msg and 'KEISAN_DATA' in msg
    assert _listing(tmp_path / 'd') == []


@pytest.mark.parametrize('loader, key', [(load_mnist, 'mnist'),
                                         (load_fashion_mnist, 'fashion-mnist')])
def test_load_not_found_without_download(tmp_path, loader, key):
    with pytest.raises(DatasetError) as e:
        loader(download=False)
    msg = str(e.value)
    assert str(tmp_path / 'default-data' / key) in msg       # from $KEISAN_DATA
    assert 'download=False' in msg and 'KEISAN_DATA' in msg
    assert 'apt-get install -y dataset-fashion-mnist' in msg
    for name in FILES.values():
        assert name in msg


def test_mirrors_from_environment(server, tmp_path, fake, patch_md5, monkeypatch):
    patch_md5('mnist', fake.md5)
    bad = server.url + '/nowhere/'
    good = server.serve('env', fake.blobs)
    monkeypatch.setenv('KEISAN_MNIST_MIRRORS', '%s, %s' % (bad, good))
    result = load_mnist(normalize=False)
    _check_loaded(result, fake, normalize=False, flatten=True, one_hot=False)
    assert (tmp_path / 'default-data' / 'mnist' / FILES['test_label']).exists()
    assert '/nowhere/' + FILES['train_img'] in server.log


def _install(directory, fake, compress=True):
    os.makedirs(directory, exist_ok=True)
    for part, name in FILES.items():
        write_idx(os.path.join(directory, name if compress else name[:-3]), fake.arrays[part],
                  gzip=compress)


@pytest.mark.parametrize('compress', [True, False])
def test_load_from_data_dir_env(tmp_path, fake, compress):
    _install(tmp_path / 'default-data' / 'mnist', fake, compress)
    _check_loaded(load_mnist(download=False), fake, True, True, False)


def test_load_from_system_dir(tmp_path, fake, monkeypatch):
    system = tmp_path / 'usr-share-datasets' / 'fashion-mnist'
    _install(system, fake)
    monkeypatch.setattr(mnist_mod, 'SYSTEM_DATA_DIRS',
                        {'mnist': (), 'fashion-mnist': (str(system),)})
    result = get_dataset('fashion-mnist', flatten=False, data_dir=tmp_path / 'd', download=False)
    _check_loaded(result, fake, True, False, False)
    # The parsed cache goes to the data directory, never next to the system files.
    assert _listing(tmp_path / 'd') == ['fashion-mnist/fashion-mnist.npz']
    assert len(_listing(system)) == 4


def test_data_dir_lookup_order(tmp_path, fake, monkeypatch):
    monkeypatch.delenv('KEISAN_DATA')
    assert mnist_mod.data_root() == str(tmp_path / 'home' / '.cache' / 'keisan')
    monkeypatch.setenv('KEISAN_DATA', str(tmp_path / 'env'))
    assert mnist_mod.data_root() == str(tmp_path / 'env')
    assert mnist_mod.data_root(tmp_path / 'arg') == str(tmp_path / 'arg')


def test_cache_follows_source_changes(tmp_path, fake):
    directory = tmp_path / 'default-data' / 'mnist'
    _install(directory, fake)
    load_mnist(download=False)
    assert (directory / 'mnist.npz').exists()
    # Replace the test labels: the stale cache must not be used.
    new_labels = (fake.arrays['test_label'] + 1) % 10
    write_idx(directory / FILES['test_label'], new_labels)
    os.utime(directory / FILES['test_label'], ns=(1, 1))
    (_, _), (_, tt) = load_mnist(download=False)
    np.testing.assert_array_equal(tt, new_labels)
    # A corrupt cache is ignored and rebuilt.
    (directory / 'mnist.npz').write_bytes(b'PK\x03\x04garbage')
    (_, _), (_, tt) = load_mnist(download=False)
    np.testing.assert_array_equal(tt, new_labels)


def test_invalid_local_files_are_rejected(tmp_path, fake):
    directory = tmp_path / 'default-data' / 'mnist'
    _install(directory, fake)
    write_idx(directory / FILES['train_img'], np.zeros((20, 27, 27), np.uint8))
    with pytest.raises(DatasetError, match=r'expected images of shape \(N, 28, 28\)'):
        load_mnist(download=False)
    _install(directory, fake)
    write_idx(directory / FILES['train_label'], np.full(20, 10, np.uint8))
    with pytest.raises(DatasetError, match='label 10 out of range'):
        load_mnist(download=False)
    _install(directory, fake)
    write_idx(directory / FILES['test_label'], np.zeros(7, np.uint8))
    with pytest.raises(DatasetError, match='8 images but .* 7 labels'):
        load_mnist(download=False)
    assert not (directory / 'mnist.npz').exists()


def test_get_dataset_names(tmp_path, fake):
    _install(tmp_path / 'default-data' / 'fashion-mnist', fake)
    a = get_dataset('fashion_mnist', download=False)
    b = get_dataset('Fashion-MNIST', download=False)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'.*fashion-mnist.*mnist"):
        get_dataset('cifar10')


def test_class_names():
    assert datasets.MNIST_CLASSES == tuple('0123456789')
    assert len(datasets.FASHION_MNIST_CLASSES) == 10
    assert datasets.FASHION_MNIST_CLASSES[0] == 'T-shirt/top'
    assert datasets.FASHION_MNIST_CLASSES[9] == 'Ankle boot'


def test_public_api():
    for name in ['load_mnist', 'load_fashion_mnist', 'read_idx', 'write_idx', 'fetch',
                 'DatasetError', 'Dataset', 'TupleDataset', 'DataLoader', 'MNIST_CLASSES',
                 'FASHION_MNIST_CLASSES', 'get_dataset']:
        assert name in datasets.__all__ and hasattr(datasets, name)


@pytest.mark.skipif(not os.path.isdir(REAL_FASHION_DIR),
                    reason='Debian package dataset-fashion-mnist not installed')
def test_real_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_mod, 'SYSTEM_DATA_DIRS',
                        {'mnist': (), 'fashion-mnist': (REAL_FASHION_DIR,)})
    (x, t), (xt, tt) = load_fashion_mnist(download=False)     # about 1 s: parse + cache
    assert x.shape == (60000, 784) and xt.shape == (10000, 784)
    assert x.dtype == np.float32 and xt.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.99
    assert t.shape == (60000,) and tt.shape == (10000,)
    assert t.min() == 0 and t.max() == 9 and tt.min() == 0 and tt.max() == 9
    np.testing.assert_array_equal(np.bincount(t), np.full(10, 6000))


# ----------------------------------------------------------------------------- datasets

def test_tuple_dataset_indexing():
    x = np.arange(10).reshape(5, 2)
    t = np.arange(5) * 10
    ds = TupleDataset(x, t)
    assert len(ds) == 5
    xi, ti = ds[3]
    np.testing.assert_array_equal(xi, [6, 7])
    assert ti == 30
    xs, ts = ds[1:3]
    np.testing.assert_array_equal(xs, x[1:3])
    np.testing.assert_array_equal(ts, [10, 20])
    xs, ts = ds[np.array([4, 0])]
    np.testing.assert_array_equal(ts, [40, 0])
    assert isinstance(TupleDataset([1, 2, 3]).arrays[0], np.ndarray)


def test_tuple_dataset_length_mismatch():
    with pytest.raises(ValueError, match='lengths 5, 4'):
        TupleDataset(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError):
        TupleDataset()


def _epoch(loader):
    return [tuple(np.array(a) for a in batch) for batch in loader]


def _same(epochs_a, epochs_b):
    assert len(epochs_a) == len(epochs_b)
    for a, b in zip(epochs_a, epochs_b):
        assert len(a) == len(b)
        for fa, fb in zip(a, b):
            np.testing.assert_array_equal(fa, fb)


def _data(n=23):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return x, np.arange(n)


@pytest.mark.parametrize('shuffle', [False, True])
def test_loader_covers_every_sample_once(shuffle):
    x, t = _data(23)
    loader = DataLoader((x, t), 5, shuffle=shuffle, seed=0)
    assert len(loader) == 5
    for _ in range(3):
        batches = _epoch(loader)
        assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
        seen = np.concatenate([b[1] for b in batches])
        np.testing.assert_array_equal(np.sort(seen), t)
        for bx, bt in batches:
            np.testing.assert_array_equal(bx, x[bt])
        if not shuffle:
            np.testing.assert_array_equal(seen, t)
    assert loader.epoch == 3


def test_loader_drop_last():
    x, t = _data(23)
    loader = DataLoader((x, t), 5, shuffle=True, seed=1, drop_last=True)
    assert len(loader) == 4
    batches = _epoch(loader)
    assert len(batches) == 4 and all(len(b[0]) == 5 for b in batches)
    assert len(np.unique(np.concatenate([b[1] for b in batches]))) == 20
    assert len(DataLoader(np.zeros(3), 5, drop_last=True)) == 0
    assert list(DataLoader(np.zeros(3), 5, drop_last=True)) == []


def test_loader_reproducible_with_seed():
    x, t = _data(30)
    a = DataLoader((x, t), 7, shuffle=True, seed=42)
    b = DataLoader(TupleDataset(x, t), 7, shuffle=True, seed=42)
    ea = [_epoch(a) for _ in range(3)]
    eb = [_epoch(b) for _ in range(3)]
    for one, two in zip(ea, eb):
        _same(one, two)
    orders = [np.concatenate([bt for _, bt in e]) for e in ea]
    assert not np.array_equal(orders[0], orders[1])     # a new order every epoch
    other = np.concatenate([bt for _, bt in _epoch(DataLoader((x, t), 7, shuffle=True, seed=43))])
    assert not np.array_equal(orders[0], other)


def test_loader_state_resumes_mid_epoch_through_npz(tmp_path):
    x, t = _data(50)
    reference = DataLoader((x, t), 8, shuffle=True, seed=7)
    expected = [_epoch(reference) for _ in range(3)]
    flat_expected = [b for e in expected for b in e]

    run = DataLoader((x, t), 8, shuffle=True, seed=7)
    seen = _epoch(run)
    it = iter(run)
    seen += [next(it), next(it), next(it)]
    state = run.get_state()
    assert state['epoch'] == 1 and state['position'] == 3
    np.savez(tmp_path / 'ckpt.npz', **{'loader/' + k: v for k, v in state.items()})
    seen = [tuple(np.array(a) for a in b) for b in seen]

    with np.load(tmp_path / 'ckpt.npz', allow_pickle=False) as z:
        saved = {k[len('loader/'):]: z[k] for k in z.files}
    resumed = DataLoader((x, t), 8, shuffle=True, seed=None)    # seed comes from the state
    resumed.set_state(saved)
    rest = _epoch(resumed) + _epoch(resumed)
    _same(seen + rest, flat_expected)


def test_loader_state_at_epoch_boundary():
    x, t = _data(12)
    ref = DataLoader((x, t), 4, shuffle=True, seed=3)
    expected = _epoch(ref) + _epoch(ref)
    run = DataLoader((x, t), 4, shuffle=True, seed=3)
    first = [b for b, _ in zip(run, range(len(run)))]     # last next() never called
    state = run.get_state()
    assert state['epoch'] == 1 and state['position'] == 0
    assert run.epoch == 1
    other = DataLoader((x, t), 4, shuffle=True, seed=0)
    other.set_state(state)
    _same(first + _epoch(other), expected)
    _same(_epoch(run), expected[3:])        # the original loader goes on to epoch 2 too


def test_loader_break_starts_next_epoch():
    x, t = _data(12)
    ref = DataLoader((x, t), 4, shuffle=True, seed=5)
    expected = [_epoch(ref) for _ in range(2)]
    run = DataLoader((x, t), 4, shuffle=True, seed=5)
    for _ in run:
        break
    _same(_epoch(run), expected[1])


def test_loader_set_state_mismatch():
    x, t = _data(12)
    state = DataLoader((x, t), 4).get_state()
    with pytest.raises(ValueError, match='12 samples in batches of 4'):
        DataLoader((x, t), 3).set_state(state)
    with pytest.raises(ValueError, match='missing key'):
        DataLoader((x, t), 4).set_state({'epoch': 0})


def test_loader_set_state_refuses_a_malformed_rng_state():
    x, t = _data(12)
    state = DataLoader((x, t), 4, shuffle=True, seed=1).get_state()
    assert '"PCG64"' in str(state['rng_state'])
    broken = dict(state, rng_state=np.array(str(state['rng_state']).replace('"inc"', '"inx"')))
    with pytest.raises(ValueError, match='DataLoader.set_state: decode_state'):
        DataLoader((x, t), 4).set_state(broken)
    mt = dict(state, rng_state=random_state.encode_state(np.random.MT19937(0).state))
    with pytest.raises(ValueError, match='of MT19937, expected PCG64'):
        DataLoader((x, t), 4).set_state(mt)


@pytest.mark.parametrize('name', ['MT19937', 'PCG64', 'PCG64DXSM', 'Philox', 'SFC64'])
def test_random_state_round_trip_through_npz(tmp_path, name):
    rng = np.random.Generator(getattr(np.random, name)(5))
    rng.random(3), rng.integers(0, 9, size=3, dtype=np.uint32)   # half-used words, buffers
    np.savez(tmp_path / 's.npz', r=random_state.encode_state(rng.bit_generator.state))
    expected = rng.random(5)
    with np.load(tmp_path / 's.npz', allow_pickle=False) as z:
        state = random_state.decode_state(z['r'], name)
    other = np.random.Generator(getattr(np.random, name)())
    other.bit_generator.state = state
    np.testing.assert_array_equal(other.random(5), expected)


def test_random_state_of_np_random_keeps_the_cached_gaussian():
    np.random.seed(2)
    np.random.standard_normal()             # leaves the second Gaussian of a pair cached
    array = random_state.encode_state(np.random.get_state(legacy=False))
    expected = np.random.standard_normal(3)
    np.random.set_state(random_state.decode_state(array, bit_generator='MT19937'))
    np.testing.assert_array_equal(np.random.standard_normal(3), expected)


def test_random_state_errors():
    text = str(random_state.encode_state(np.random.get_state(legacy=False)))
    cases = [(np.array(text.replace('"pos"', '"p"')), 'pos'),
             (np.array(text.replace('"pos": ', '"pos": 9999')), 'at most 624|in \\[0, 624\\]'),
             (np.array(text.replace('"MT19937"', '"Generator"')), 'not a NumPy bit generator'),
             (np.array(text[:-5]), 'not a valid random state'),
             (np.array([text]), '0-d string array'),
             (np.array(text.replace('"gauss": ', '"gauss": "x", "_": ')), 'not a valid'),
             (np.array(3), '0-d string array')]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            random_state.decode_state(bad)
    for bad in (None, ('MT19937', np.zeros(624, np.uint32), 0, 0, 0.0),
                {'bit_generator': 'PCG64', 'state': {'state': object(), 'inc': 1}}):
        with pytest.raises(ValueError, match='encode_state'):
            random_state.encode_state(bad)


@pytest.mark.parametrize('bad', [0, -1, 2.5, True, '4', None])
def test_loader_batch_size_validation(bad):
    with pytest.raises(ValueError, match='DataLoader.*batch_size'):
        DataLoader(np.zeros(4), bad)


def test_loader_other_arguments():
    with pytest.raises(ValueError, match='device'):
        DataLoader(np.zeros(4), 2, device='tpu')
    with pytest.raises(ValueError, match='seed'):
        DataLoader(np.zeros(4), 2, seed=1.5)
    with pytest.raises(TypeError):
        DataLoader(42, 2)
    assert DataLoader(np.zeros(4), np.int64(2)).batch_size == 2


def test_loader_batches_are_copies():
    x, t = _data(6)
    for xb, _ in DataLoader((x, t), 3):
        xb[:] = -1
    assert x.min() >= 0


class _SquareDataset(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i * i


def test_loader_generic_dataset_matches_fast_path():
    ds = _SquareDataset(11)
    x = np.repeat(np.arange(11, dtype=np.float32)[:, None], 2, axis=1)
    t = np.arange(11) ** 2
    _same(_epoch(DataLoader(ds, 4, shuffle=True, seed=9)),
          _epoch(DataLoader((x, t), 4, shuffle=True, seed=9)))


def test_loader_device_gpu_uses_keisan_cuda(monkeypatch):
    cuda = pytest.importorskip('keisan.cuda')
    moved = []

    def fake_to_gpu(a):
        moved.append(a.shape)
        return ('on-gpu', a)
    monkeypatch.setattr(cuda, 'to_gpu', fake_to_gpu)
    x, t = _data(6)
    batches = list(DataLoader((x, t), 4, device='gpu'))
    assert [b[0][0] for b in batches] == ['on-gpu'] * 2
    assert moved == [(4, 3), (4,), (2, 3), (2,)]
    assert isinstance(next(iter(DataLoader((x, t), 4, device='cpu')))[0], np.ndarray)


def test_loader_takes_the_dataset_by_keyword():
    x, t = np.arange(10.0).reshape(5, 2), np.arange(5)
    loader = DataLoader(dataset=(x, t), batch_size=2, drop_last=True)
    assert [len(b[0]) for b in loader] == [2, 2]
    with pytest.raises(TypeError, match='DataLoader.*int'):
        DataLoader(dataset=3, batch_size=2)
