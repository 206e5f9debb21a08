"""The book's .pkl weight files: keisan.pickles reads plain data only, load_params maps the
book's keys, and a bad file changes nothing."""
import os
import pickle
import pickletools

import numpy as np
import pytest

from keisan import models, pickles
from reference import conv_ref, pool_ref


def numpy1_names(data):
    """The pickle ``data`` as NumPy 1 writes it: numpy.core.* instead of numpy._core.*."""
    for module in (b'multiarray', b'numeric'):
        new, old = b'numpy.core.' + module, b'numpy._core.' + module
        data = data.replace(old + b'\n', new + b'\n')                   # GLOBAL, protocols 0-3
        data = data.replace(b'\x8c' + bytes([len(old)]) + old,          # SHORT_BINUNICODE, 4-5
                            b'\x8c' + bytes([len(new)]) + new)
    return pickletools.optimize(data)                                    # frames made anew


class Payload:
    """Unpickling this runs ``os.system(command)``: what a booby-trapped weight file does."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def dump(obj, path, protocol=None):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol)        # what the book's save_params does
    return str(path)


def book_params(net, seed=0):
    """A dict like the book's ``params`` for ``net``'s shapes: float64 arrays, W1, b1, ..."""
    r = np.random.default_rng(seed)
    return {key: 0.1 * r.standard_normal(value.shape) for key, value in net.params.items()}


# ----- keisan.pickles -------------------------------------------------------------------
@pytest.mark.parametrize('protocol', range(6))
@pytest.mark.parametrize('numpy_version', [1, 2])
def test_dicts_of_arrays_written_by_numpy_1_and_2_load(protocol, numpy_version):
    params = {'W1': np.arange(6.0).reshape(2, 3), 'b1': np.zeros(3, np.float32),
              'T': np.asfortranarray(np.ones((2, 2))), 'big': np.arange(3, dtype='>f4'),
              'n': np.int64(7), 'meta': [1, 2.5, ('x', None, b'raw')]}
    data = pickle.dumps(params, protocol)
    expected = pickle.loads(data)                  # (protocols 0-4 drop the '>' byte order)
    if numpy_version == 1:
        data = numpy1_names(data)
        assert b'numpy._core' not in data and b'numpy.core' in data
    assert pickles.is_pickle(data[:2])
    loaded = pickles.loads(data)
    assert loaded.keys() == params.keys() and loaded['meta'] == params['meta']
    for key in ('W1', 'b1', 'T', 'big', 'n'):
        assert loaded[key].dtype == expected[key].dtype
        np.testing.assert_array_equal(loaded[key], params[key])


@pytest.mark.parametrize('protocol', range(6))
def test_a_payload_calling_os_system_runs_nothing(protocol, tmp_path):
    marker = tmp_path / 'ran'
    path = dump({'W1': np.zeros(3), 'b1': Payload('touch %s' % marker)},
                tmp_path / 'evil.pkl', protocol)
    with pytest.raises(ValueError, match=r'refers to (posix|nt)\.system, which a file of '
                                         r'NumPy arrays never needs; refused'):
        pickles.load(path)
    assert not marker.exists()


def test_a_refused_pickle_builds_nothing(monkeypatch, tmp_path):
    """The whole file is checked before anything is built: the arrays before the payload
    are never made."""
    built = []
    allowed = dict(pickles._ALLOWED)
    for key, make in pickles._ALLOWED.items():
        if not isinstance(make, type):              # _reconstruct needs the real ndarray
            allowed[key] = lambda *args, make=make: built.append(args) or make(*args)
    monkeypatch.setattr(pickles, '_ALLOWED', allowed)
    for protocol in range(6):
        data = pickle.dumps({'W1': np.zeros(3), 'x': Payload('true')}, protocol)
        with pytest.raises(ValueError, match='system'):
            pickles.loads(data)
    assert built == []
    pickles.loads(pickle.dumps({'W1': np.zeros(3)}))     # the counting works
    assert built


@pytest.mark.parametrize('obj, message', [
    (Payload, r'refers to test_pickles\.Payload'),                 # a class of the test
    ({'f': eval}, 'builtins.eval'),
    ({'W1': np.array([1, 'a'], dtype=object)}, r"the pickle\['W1'\] is an array of dtype "
                                                r'object'),
    ({'W1': np.array(['ab'])}, 'dtype <U2'),
])
def test_anything_but_plain_data_is_refused_by_name(obj, message):
    with pytest.raises(ValueError, match=message):
        pickles.loads(pickle.dumps(obj))


def test_a_global_the_scan_cannot_name_is_refused():
    """STACK_GLOBAL fed by something else than two strings (here: the result of a call)."""
    data = (b'\x80\x04\x8c\x05numpy\x8c\x07ndarray\x93)\x85R\x8c\x01x\x93.')
    with pytest.raises(ValueError, match='an unknown global'):
        pickles.loads(data)


@pytest.mark.parametrize('data', [b'', b'\x80\x04', b'\x80\x04\x95garbage', b'PK\x03\x04'])
def test_broken_pickles_raise_value_error(data):
    with pytest.raises(ValueError, match='keisan.pickles.loads'):
        pickles.loads(data)


def test_load_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such file'):
        pickles.load(tmp_path / 'nothing.pkl')


# ----- BookNetwork.load_params ------------------------------------------------------------
def book_simple_convnet_predict(params, x):
    """The book's SimpleConvNet forward in plain NumPy: conv-relu-pool-affine-relu-affine."""
    h = np.maximum(conv_ref(x, params['W1'], params['b1'], 1, 0), 0)
    h = pool_ref(h, 2, 2, 0, 'max').reshape(len(x), -1)
    h = np.maximum(h @ params['W2'] + params['b2'], 0)
    return h @ params['W3'] + params['b3']


@pytest.mark.parametrize('protocol', [2, 3, 4])
def test_simple_conv_net_loads_the_books_params_pkl(protocol, tmp_path):
    """ch07/params.pkl's layout: the book's keys and shapes, float64; the float32 network
    predicts what the book's code computes from them."""
    np.random.seed(0)
    net = models.SimpleConvNet()                         # the book's 30 5x5 filters, 28x28
    params = book_params(net)
    path = dump(params, tmp_path / 'params.pkl', protocol)
    arrays = dict(net.params)
    net.load_params(path)
    for key, value in params.items():
        assert net.params[key] is arrays[key] and net.params[key].dtype == np.float32
        np.testing.assert_array_equal(net.params[key], value.astype(np.float32))
    x = np.random.rand(2, 1, 28, 28)
    np.testing.assert_allclose(net.predict(x.astype(np.float32)),
                               book_simple_convnet_predict(params, x), rtol=1e-4, atol=1e-5)


def test_deep_conv_net_loads_the_books_deep_convnet_params(tmp_path):
    np.random.seed(0)
    net = models.DeepConvNet()
    params = book_params(net)
    assert sorted(params) == sorted(['W%d' % i for i in range(1, 9)] +
                                    ['b%d' % i for i in range(1, 9)])
    assert params['W7'].shape == (64 * 4 * 4, 50)
    net.load_params(dump(params, tmp_path / 'deep_convnet_params.pkl'))
    other = models.DeepConvNet()
    for key, value in params.items():
        other.params[key][...] = value
    x = np.random.rand(3, 1, 28, 28).astype(np.float32)
    np.testing.assert_array_equal(net.predict(x), other.predict(x))


def test_ch03_sample_weight_layout_loads_into_a_sigmoid_multi_layer_net(tmp_path):
    """ch03/sample_weight.pkl holds W1 (784, 50), W2 (50, 100), W3 (100, 10) and the biases
    of a sigmoid network: MultiLayerNet(784, [50, 100], 10, activation='sigmoid')."""
    r = np.random.default_rng(3)
    params = {'W1': r.standard_normal((784, 50)), 'W2': r.standard_normal((50, 100)),
              'W3': r.standard_normal((100, 10)), 'b1': r.standard_normal(50),
              'b2': r.standard_normal(100), 'b3': r.standard_normal(10)}
    net = models.MultiLayerNet(784, [50, 100], 10, activation='sigmoid')
    net.load_params(dump(params, tmp_path / 'sample_weight.pkl', 2))
    x = r.random((5, 784))
    h = 1 / (1 + np.exp(-(x @ params['W1'] + params['b1'])))
    h = 1 / (1 + np.exp(-(h @ params['W2'] + params['b2'])))
    scores = h @ params['W3'] + params['b3']
    np.testing.assert_allclose(net.predict(x.astype(np.float32)), scores, rtol=1e-4,
                               atol=1e-4)


def test_a_pickle_without_running_statistics_keeps_them(tmp_path):
    """The book pickles ``params`` only: batch norm's running statistics keep their values;
    when the dict has them (keisan's keys), they are loaded too."""
    np.random.seed(0)
    net = models.MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=True)
    params = book_params(net)
    assert 'gamma1' in params and 'running_mean1' not in params
    mean = net.layers['BatchNorm1'].running_mean
    mean[...] = 0.5
    net.load_params(dump(params, tmp_path / 'params.pkl'))
    np.testing.assert_array_equal(net.params['gamma2'], params['gamma2'].astype(np.float32))
    assert net.layers['BatchNorm1'].running_mean is mean and (mean == 0.5).all()
    params['running_mean1'] = np.full(5, 2.0)
    net.load_params(dump(params, tmp_path / 'with_stats.pkl'))
    assert (mean == 2.0).all()


def test_load_params_tells_npz_from_pickle_by_content(tmp_path):
    np.random.seed(0)
    net = models.TwoLayerNet(4, 3, 2)
    net.save_params(str(tmp_path / 'params.pkl'))        # an .npz, whatever its name
    other = models.TwoLayerNet(4, 3, 2)
    other.load_params(str(tmp_path / 'params.pkl'))
    np.testing.assert_array_equal(other.params['W1'], net.params['W1'])
    pickled = dump(book_params(net, seed=1), tmp_path / 'weights.npz')   # a pickle
    other.load_params(pickled)
    np.testing.assert_allclose(other.params['b2'], book_params(net, seed=1)['b2'], rtol=1e-6)
    with pytest.raises(FileNotFoundError, match='load_params: no such file'):
        other.load_params(str(tmp_path / 'missing.pkl'))


@pytest.mark.parametrize('change, message', [
    (lambda p: p.pop('b2'), 'missing b2'),
    (lambda p: p.update(W9=np.zeros(2)), 'unexpected W9'),
    (lambda p: p.update(W2=np.zeros((4, 2))), r'W2 has shape \(4, 2\) in the file but '
                                              r'\(3, 2\) in the model'),
    (lambda p: p.update(b1=[0.0, 0.0, 0.0]), "'b1' is a list, not an array"),
    (lambda p: p.update(b1=Payload('true')), 'system'),
])
def test_a_bad_pickle_names_the_key_and_loads_nothing(change, message, tmp_path):
    np.random.seed(0)
    net = models.TwoLayerNet(4, 3, 2)
    before = {key: value.copy() for key, value in net.params.items()}
    params = book_params(net, seed=1)
    change(params)
    with pytest.raises(ValueError, match=message):
        net.load_params(dump(params, tmp_path / 'bad.pkl'))
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value)


def test_a_pickle_that_is_not_a_dict_is_refused(tmp_path):
    net = models.TwoLayerNet(4, 3, 2)
    with pytest.raises(ValueError, match="holds a list, not the book's dict of arrays"):
        net.load_params(dump([np.zeros(2)], tmp_path / 'list.pkl'))
