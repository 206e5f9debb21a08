"""Links, initializers and .npz serialization."""
import os
import re
import stat

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
import keisan.links as L
from keisan import initializers, serializers


class MLP(L.Chain):
    def __init__(self):
        super().__init__()
        self.fc1 = L.Linear(4, 8, initialW='he')
        self.bn = L.BatchNormalization(8)
        self.fc2 = L.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def test_namedparams_dotted_and_cleargrads():
    model = MLP()
    names = [n for n, _ in model.namedparams()]
    assert names == ['fc1.W', 'fc1.b', 'bn.gamma', 'bn.beta', 'fc2.W', 'fc2.b']
    assert model.fc1.W.shape == (4, 8) and model.fc1.W.dtype == np.float32
    assert model.count_params() == 4 * 8 + 8 + 8 + 8 + 8 * 3 + 3
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    loss = F.softmax_cross_entropy(model(x), np.array([0, 1, 2, 0, 1]))
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.params())
    assert all(p.grad.dtype == np.float32 for p in model.params())
    model.cleargrads()
    assert all(p.grad is None for p in model.params())


def test_reassigning_attribute_unregisters():
    model = MLP()
    model.fc2 = F.relu          # no longer a link
    assert [n for n, _ in model.namedlinks(skipself=True)] == ['fc1', 'bn']


def test_link_requires_super_init():
    class Bad(L.Link):
        def __init__(self):
            self.W = ks.Parameter(np.zeros(3))
    with pytest.raises(RuntimeError, match='super'):
        Bad()


def test_linear_lazy_in_size_and_nobias():
    lin = L.Linear(None, 3)
    assert lin.W.data is None
    y = lin(np.ones((2, 2, 5), np.float32))
    assert lin.W.shape == (10, 3) and y.shape == (2, 3)
    assert L.Linear(7).out_size == 7
    assert L.Linear(3, 2, nobias=True).b is None
    assert len(list(L.Linear(3, 2, nobias=True).params())) == 1


def test_convolution2d_link():
    conv = L.Convolution2D(None, 4, 3, pad=1)
    y = conv(np.zeros((2, 3, 5, 5), np.float32))
    assert y.shape == (2, 4, 5, 5) and conv.W.shape == (4, 3, 3, 3)


def test_batchnorm_link_train_and_eval():
    bn = L.BatchNormalization(3)
    x = np.random.default_rng(1).standard_normal((10, 3)).astype(np.float32) * 3 + 2
    y = bn(x)
    np.testing.assert_allclose(y.data.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.avg_mean, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.avg_var, 0.9 + 0.1 * x.var(0), rtol=1e-5)
    mean, var = bn.avg_mean.copy(), bn.avg_var.copy()
    with ks.test_mode():
        y = bn(x)
    np.testing.assert_allclose(y.data, (x - mean) / np.sqrt(var + 2e-5), rtol=1e-5)
    np.testing.assert_array_equal(bn.avg_mean, mean)     # not updated in test mode
    bn.eval()
    np.testing.assert_allclose(bn(x).data, (x - mean) / np.sqrt(var + 2e-5), rtol=1e-5)
    assert not bn.training and bn.train().training


def test_sequential_and_chainlist():
    seq = L.Sequential(L.Linear(4, 5), F.relu, L.Linear(5, 2))
    assert len(seq) == 3 and [n for n, _ in seq.namedparams()] == ['0.W', '0.b', '2.W', '2.b']
    assert seq(np.zeros((3, 4), np.float32)).shape == (3, 2)
    cl = L.ChainList(L.Linear(2, 2), L.Linear(2, 2))
    assert len(cl) == 2 and isinstance(cl[1], L.Linear)
    with pytest.raises(TypeError, match='Link'):
        cl.append(F.relu)
    with pytest.raises(TypeError, match='int'):
        L.Sequential(3)


def test_chainer_listing_with_init_scope_and_named_links():
    """The one-file Chainer of the seed listings: init_scope, Chain(**links), Variables
    from lists, .array."""
    class Net(L.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(3, 4)
                self.l2 = L.Linear(4, 2)

        def forward(self, x):
            return self.l2(F.relu(self.l1(x)))

    np.random.seed(0)
    net = Net()
    assert [n for n, _ in net.namedparams()] == ['l1.W', 'l1.b', 'l2.W', 'l2.b']
    x = ks.Variable(np.array([[0.5, -1.0, 2.0]], np.float32))
    t = ks.Variable([1])
    loss = F.softmax_cross_entropy(net(x), t)
    loss.backward()
    assert net.l1.W.grad.shape == (3, 4) and loss.array.shape == ()
    named = L.Chain(l1=L.Linear(3, 4), l2=L.Linear(4, 2))
    assert [n for n, _ in named.namedparams()] == ['l1.W', 'l1.b', 'l2.W', 'l2.b']
    with pytest.raises(TypeError, match='Chain: l1 must be a Link, got int'):
        L.Chain(l1=3)


def test_initializers_book_mapping_and_reproducibility():
    assert isinstance(initializers.from_weight_init_std('relu'), initializers.HeNormal)
    assert isinstance(initializers.from_weight_init_std('he'), initializers.HeNormal)
    assert isinstance(initializers.from_weight_init_std('xavier'), initializers.LeCunNormal)
    assert isinstance(initializers.from_weight_init_std('sigmoid'), initializers.LeCunNormal)
    assert initializers.from_weight_init_std(0.01).scale == 0.01
    with pytest.raises(ValueError, match='weight_init_std'):
        initializers.from_weight_init_std('gauss')
    np.random.seed(0)
    w = initializers.Normal(0.01)((784, 50), dtype=np.float64)
    np.random.seed(0)
    np.testing.assert_array_equal(w, 0.01 * np.random.randn(784, 50))  # the book's draw
    big = initializers.HeNormal()((2000, 300))
    assert big.dtype == np.float32
    assert abs(big.std() - np.sqrt(2 / 2000)) < 0.01 * np.sqrt(2 / 2000) * 5
    conv = initializers.GlorotNormal()((64, 32, 3, 3))
    assert abs(conv.std() - np.sqrt(2 / (32 * 9 + 64 * 9))) < 0.002
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))


def test_save_load_npz_roundtrip_in_place(tmp_path):
    np.random.seed(0)
    model = MLP()
    model(np.random.randn(6, 4).astype(np.float32))     # moves running stats
    path = tmp_path / 'model.npz'
    serializers.save_npz(path, model)
    other = MLP()
    w_buffer = other.fc1.W.data
    serializers.load_npz(path, other)
    assert other.fc1.W.data is w_buffer                 # loaded in place
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert 'bn.running_mean' in other.state_dict()
    assert not list(tmp_path.glob('.tmp-*'))


def test_load_npz_reports_mismatches_by_name(tmp_path):
    path = tmp_path / 'm.npz'
    serializers.save_npz(path, L.Linear(3, 4))
    with pytest.raises(ValueError, match=r'W has shape \(3, 4\) in the file but \(3, 5\)'):
        serializers.load_npz(path, L.Linear(3, 5))
    with pytest.raises(ValueError, match='missing fc1.W'):
        serializers.load_npz(path, MLP())
    lazy = L.Linear(None, 4)
    serializers.load_npz(path, lazy)                   # uninitialized takes the shape
    assert lazy.W.shape == (3, 4)


def test_load_npz_refuses_pickle_and_bad_files(tmp_path):
    bad = tmp_path / 'obj.npz'
    np.savez(bad, W=np.array([{'a': 1}], dtype=object))
    with pytest.raises(ValueError, match='pickle'):
        serializers.load_npz(bad, L.Linear(3, 4))
    junk = tmp_path / 'junk.npz'
    junk.write_bytes(b'not a zip file')
    with pytest.raises(ValueError, match='junk.npz'):
        serializers.load_npz(junk, L.Linear(3, 4))
    with pytest.raises(FileNotFoundError, match='nothing.npz'):
        serializers.load_npz(tmp_path / 'nothing.npz', L.Linear(3, 4))
    with pytest.raises(TypeError, match='state_dict'):
        serializers.save_npz(tmp_path / 'x.npz', object())


def test_corrupt_npz_files_raise_value_error_naming_the_file(tmp_path):
    good = tmp_path / 'good.npz'
    serializers.save_npz(good, L.Linear(30, 40))
    data = good.read_bytes()
    cases = {'truncated.npz': data[:len(data) // 2],
             'flipped.npz': data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
             'empty.npz': b''}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    np.save(tmp_path / 'array.npy', np.zeros(3))
    os.replace(tmp_path / 'array.npy', tmp_path / 'plain.npz')      # .npy under an .npz name
    (tmp_path / 'text.npz').write_text('hello')
    for name in list(cases) + ['plain.npz', 'text.npz']:
        with pytest.raises(ValueError, match=re.escape(name)) as info:
            serializers.load_npz(tmp_path / name, L.Linear(30, 40))
        assert 'pickle' not in str(info.value), name


def test_saved_files_are_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        serializers.save_npz(tmp_path / 'm.npz', L.Linear(2, 3))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'm.npz').st_mode) == 0o644


def test_lazy_link_save_load_before_and_after_first_call(tmp_path):
    path = tmp_path / 'lazy.npz'
    serializers.save_npz(path, L.Sequential(L.Linear(None, 4)))     # W not created yet
    fresh = L.Sequential(L.Linear(None, 4))
    serializers.load_npz(path, fresh)                                # nothing is missing
    assert fresh[0].W.data is None and fresh[0].in_size is None
    used = L.Sequential(L.Linear(None, 4))
    used(np.ones((2, 3), np.float32))
    serializers.save_npz(path, used)
    serializers.load_npz(path, fresh)
    assert fresh[0].in_size == 3 and fresh[0].W.shape == (3, 4)
    with pytest.raises(ValueError, match='missing 1.W'):            # a real omission
        serializers.load_npz(path, L.Sequential(L.Linear(3, 4), L.Linear(4, 2)))


def test_lazy_links_reject_non_arrays_by_name():
    with pytest.raises(TypeError, match='Linear.*list'):
        L.Linear(None, 2)([[1.0, 2.0]])
    with pytest.raises(TypeError, match='Convolution2D.*tuple'):
        L.Convolution2D(None, 2, 3)((1, 2))
    with pytest.raises(ValueError, match='Linear.*shape'):
        L.Linear(None, 2)(np.ones(3, np.float32))


def test_eval_mode_turns_dropout_off_inside_the_link():
    class Net(L.Chain):
        def forward(self, x):
            return F.dropout(x, 0.5)
    net = Net()
    x = np.ones((4, 6), np.float32)
    np.random.seed(0)
    assert (net(x).data == 0).any()                      # training: some units dropped
    net.eval()
    np.testing.assert_array_equal(net(x).data, x)        # eval(): identity
    assert ks.config.train                               # the global switch is untouched
    net.train()
    with ks.test_mode():
        np.testing.assert_array_equal(net(x).data, x)


def test_lazy_links_keep_the_graph_on_their_first_call():
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    first = L.Linear(4, 3)
    lazy = L.Linear(None, 2)
    F.sum(lazy(F.relu(first(x)))).backward()
    assert first.W.grad is not None and first.W.grad.shape == (4, 3)     # not cut
    images = np.random.default_rng(1).standard_normal((2, 1, 5, 5)).astype(np.float32)
    conv = L.Convolution2D(1, 2, 3)
    lazy_conv = L.Convolution2D(None, 2, 3)
    F.sum(lazy_conv(conv(images))).backward()
    assert conv.W.grad is not None and conv.W.grad.shape == (2, 1, 3, 3)
