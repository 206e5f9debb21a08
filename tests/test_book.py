"""keisan.book: the book repository's modules, their star imports, the book's array
helpers, load_mnist, and book-style scripts run as subprocesses on MNIST-shaped data."""
import builtins
import importlib
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keisan
from keisan.datasets import DatasetError, write_idx
from reference import im2col_ref, softmax_ref

FASHION_DIR = '/usr/share/datasets/fashion-mnist'

#: module -> names a star import of the book's module gives (its own and those it
#: star-imports; ``np`` where it imports NumPy)
BOOK_NAMES = {
    'functions': {'identity_function', 'step_function', 'sigmoid', 'sigmoid_grad', 'relu',
                  'relu_grad', 'softmax', 'sum_squared_error', 'cross_entropy_error',
                  'softmax_loss', 'np'},
    'gradient': {'numerical_gradient', 'numerical_gradient_2d', 'np'},
    'util': {'smooth_curve', 'shuffle_dataset', 'conv_output_size', 'im2col', 'col2im', 'np'},
    'layers': {'Relu', 'Sigmoid', 'Affine', 'SoftmaxWithLoss', 'Dropout', 'BatchNormalization',
               'Convolution', 'Pooling', 'im2col', 'col2im', 'softmax', 'cross_entropy_error',
               'np'},
    'optimizer': {'SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSprop', 'Adam', 'np'},
    'trainer': {'Trainer', 'SGD', 'Adam', 'np'},
    'multi_layer_net': {'MultiLayerNet', 'Affine', 'numerical_gradient', 'OrderedDict', 'np'},
    'multi_layer_net_extend': {'MultiLayerNetExtend', 'BatchNormalization', 'np'},
    'mnist': {'load_mnist', 'np'},
    'layer_naive': {'MulLayer', 'AddLayer'},
    'two_layer_net': {'TwoLayerNet', 'Relu', 'numerical_gradient', 'OrderedDict', 'np'},
    'simple_convnet': {'SimpleConvNet', 'Convolution', 'numerical_gradient', 'np'},
    'deep_convnet': {'DeepConvNet', 'Dropout', 'np'},
}


# ----- the modules and their star imports -----------------------------------------------------
@pytest.mark.parametrize('name', sorted(BOOK_NAMES))
def test_star_import_gives_the_books_names_and_no_builtin(name):
    namespace = {}
    exec('from keisan.book.%s import *' % name, namespace)
    names = set(namespace) - {'__builtins__'}
    module = importlib.import_module('keisan.book.' + name)
    assert names == set(module.__all__)
    assert BOOK_NAMES[name] <= names, BOOK_NAMES[name] - names
    assert not names & set(vars(builtins)), names & set(vars(builtins))
    if 'np' in names:
        assert namespace['np'] is np


def test_the_names_are_keisans_one_implementation():
    from keisan.book import (deep_convnet, gradient, layer_naive, layers, mnist,
                             multi_layer_net_extend, optimizer, simple_convnet, trainer,
                             two_layer_net, util)
    assert layers.Affine is keisan.layers.Affine and layers.Pooling is keisan.layers.Pooling
    assert layers.ReLU is keisan.layers.Relu and layers.MaxPooling is keisan.layers.Pooling
    assert layer_naive.MulLayer is keisan.layers.MulLayer
    assert optimizer.Adam is keisan.optimizers.Adam and optimizer.Momentum is \
        keisan.optimizers.MomentumSGD
    assert trainer.Trainer is keisan.training.Trainer
    assert gradient.numerical_gradient is keisan.gradient_check.numerical_gradient
    assert util.im2col is keisan.kernels.im2col and util.col2im is keisan.kernels.col2im
    assert two_layer_net.TwoLayerNet is keisan.models.TwoLayerNet
    assert simple_convnet.SimpleConvNet is keisan.models.SimpleConvNet
    assert deep_convnet.DeepConvNet is keisan.models.DeepConvNet
    assert multi_layer_net_extend.MultiLayerNetExtend is keisan.models.MultiLayerNetExtend
    assert mnist.img_size == 784 and mnist.key_file['train_img'] == 'train-images-idx3-ubyte.gz'


# ----- the book's array helpers ----------------------------------------------------------------
def test_functions_take_and_return_plain_arrays():
    from keisan.book.functions import (identity_function, relu, relu_grad, sigmoid,
                                       sigmoid_grad, softmax, step_function)
    a = np.array([[0.3, 2.9, 4.0], [-1.0, 0.0, 1010.0]])
    for f in (identity_function, relu, relu_grad, sigmoid, sigmoid_grad, softmax,
              step_function):
        assert isinstance(f(a), np.ndarray) and f(a).shape == a.shape, f.__name__
    np.testing.assert_allclose(softmax(a), softmax_ref(a))          # row-wise, no overflow
    np.testing.assert_allclose(softmax(np.array([0.3, 2.9, 4.0])),
                               [0.01821127, 0.24519181, 0.73659691], rtol=1e-6)
    assert np.argmax(softmax(a), axis=1).tolist() == [2, 2]
    np.testing.assert_allclose(np.dot(sigmoid(a), np.ones(3)), (1 / (1 + np.exp(-a))).sum(1))
    assert step_function(np.array([-1.0, 0.0, 2.0])).tolist() == [0, 0, 1]
    assert relu(np.array([-2, 0, 3])).tolist() == [0, 0, 3]
    assert relu_grad(np.array([-2.0, 0.0, 3.0])).tolist() == [0.0, 1.0, 1.0]   # the book's >=
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(sigmoid_grad(a), s * (1 - s))
    assert float(sigmoid(0.0)) == 0.5 and sigmoid([0.0, 0.0]).tolist() == [0.5, 0.5]


def test_losses_with_the_books_semantics():
    from keisan.book.functions import cross_entropy_error, softmax, softmax_loss, \
        sum_squared_error
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    assert sum_squared_error(y, t) == pytest.approx(0.0975)           # the book's examples
    assert cross_entropy_error(y, t) == pytest.approx(0.510825457099338)
    assert cross_entropy_error(y, np.array(2)) == pytest.approx(0.510825457099338)
    batch = np.stack([y, y[::-1]])
    expected = -(np.log(0.6 + 1e-7) + np.log(0.1 + 1e-7)) / 2
    for labels in (np.array([2, 2]), np.eye(10)[[2, 2]], np.array([[2], [2]])):
        assert cross_entropy_error(batch, labels) == pytest.approx(expected)
    x = np.array([[1.0, 2.0, 0.5]])
    assert softmax_loss(x, np.array([1])) == pytest.approx(
        cross_entropy_error(softmax(x), np.array([1])))
    with pytest.raises(ValueError, match=r'cross_entropy_error: t of shape \(3,\) fits neither'):
        cross_entropy_error(batch, np.array([1, 2, 3]))


def test_numerical_gradient_on_nd_arrays_restores_what_it_perturbs():
    from keisan.book.gradient import numerical_gradient, numerical_gradient_2d
    W = np.random.default_rng(0).standard_normal((2, 3, 2))
    before = W.copy()
    g = numerical_gradient(lambda _: np.sum(W ** 2), W)     # the book's closure style
    np.testing.assert_allclose(g, 2 * before, atol=1e-6)
    assert np.array_equal(W, before)
    grid = np.array([[3.0, 0.0], [4.0, 2.0]])               # ch. 4: one point per row
    np.testing.assert_allclose(numerical_gradient_2d(lambda p: np.sum(p ** 2), grid),
                               2 * grid, atol=1e-6)


def test_util_helpers():
    from keisan.book.util import conv_output_size, shuffle_dataset, smooth_curve
    assert conv_output_size(28, 5) == 24.0 and isinstance(conv_output_size(28, 5), float)
    assert conv_output_size(7, 2, stride=2) == 3.5 and conv_output_size(4, 3, 1, 1) == 4.0
    x = np.cumsum(np.random.default_rng(1).standard_normal(50))
    padded = np.concatenate([np.pad(x, (10, 0), 'reflect')[:10], x,
                             np.pad(x, (0, 10), 'symmetric')[-10:]])
    window = np.kaiser(11, 2)
    expected = np.convolve(window / window.sum(), padded, mode='valid')[5:-5]
    np.testing.assert_allclose(smooth_curve(list(x)), expected)
    assert smooth_curve(x).shape == x.shape
    data, labels = np.arange(12).reshape(6, 2), np.arange(6)
    np.random.seed(3)
    order = np.random.permutation(6)
    np.random.seed(3)
    xs, ts = shuffle_dataset(data, labels)
    np.testing.assert_array_equal(ts, order)
    np.testing.assert_array_equal(xs, data[order])


def test_im2col_of_the_book():
    from keisan.book.util import col2im, im2col
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 7))
    col = im2col(x, 5, 5, stride=1, pad=0)
    assert col.shape == (2 * 9, 75) and np.array_equal(col, im2col_ref(x, 5, 5, 1, 0))
    assert col2im(col, x.shape, 5, 5).shape == x.shape


# ----- load_mnist -------------------------------------------------------------------------------
def write_mnist(root, n_train=600, n_test=200, seed=0):
    """Small MNIST-shaped IDX files in ``root/mnist``: each class a bright bar at its own
    rows over noise, so a few steps of training separate them."""
    folder = os.path.join(root, 'mnist')
    os.makedirs(folder, exist_ok=True)
    r = np.random.default_rng(seed)
    for prefix, n in (('train', n_train), ('t10k', n_test)):
        labels = r.integers(0, 10, n).astype(np.uint8)
        images = r.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label:4 + 2 * label, 4:24] = 255
        write_idx(os.path.join(folder, '%s-images-idx3-ubyte.gz' % prefix), images)
        write_idx(os.path.join(folder, '%s-labels-idx1-ubyte.gz' % prefix), labels)
    return folder


@pytest.fixture
def mnist_data(tmp_path, monkeypatch):
    """$KEISAN_DATA holding the small MNIST files (no download ever happens)."""
    write_mnist(str(tmp_path))
    monkeypatch.setenv('KEISAN_DATA', str(tmp_path))
    monkeypatch.setenv('KEISAN_MNIST_MIRRORS', 'http://127.0.0.1:9/')
    monkeypatch.delenv('KEISAN_BOOK_DATASET', raising=False)
    return tmp_path


def test_load_mnist_has_the_books_interface(mnist_data):
    from keisan.book.mnist import load_mnist
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (600, 784) and x_train.dtype == np.float32 and x_train.max() <= 1
    assert t_train.shape == (600,) and x_test.shape == (200, 784)
    (x, t), _ = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x.shape == (600, 1, 28, 28) and x.dtype == np.uint8
    assert t.shape == (600, 10) and (t.sum(axis=1) == 1).all()


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR), reason='Fashion-MNIST not installed')
def test_load_mnist_falls_back_to_installed_fashion_mnist(monkeypatch, capsys):
    from keisan.book.mnist import load_mnist

    def no_mnist(*args, **kwargs):
        raise DatasetError('MNIST: train-images-idx3-ubyte.gz not found\nTo fix: ...')
    monkeypatch.setattr(keisan.datasets, 'load_mnist', no_mnist)
    (x_train, t_train), (x_test, _) = load_mnist(flatten=False)
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    err = capsys.readouterr().err
    assert 'MNIST is not available (MNIST: train-images' in err and 'Fashion-MNIST' in err
    monkeypatch.setenv('KEISAN_BOOK_DATASET', 'fashion-mnist')
    assert load_mnist()[1][0].shape == (10000, 784) and capsys.readouterr().err == ''
    monkeypatch.setenv('KEISAN_BOOK_DATASET', 'cifar')
    with pytest.raises(ValueError, match='KEISAN_BOOK_DATASET must be mnist or fashion-mnist'):
        load_mnist()


# ----- the book's scripts, with keisan.book imports, as subprocesses -----------------------------
def run_script(source, cwd, timeout=120):
    """Run a book-style script in ``cwd`` with this Python; returns its stdout."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', MPLBACKEND='Agg')
    result = subprocess.run([sys.executable, '-c', textwrap.dedent(source)], cwd=str(cwd),
                            env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def printed(out, prefix):
    """{key: float} of the lines ``key:value`` / ``key value`` after the line ``prefix``."""
    lines = out.split(prefix, 1)[1].split()
    return {line.split(':')[0]: float(line.split(':')[1]) for line in lines if ':' in line}


def test_ch04_gradient_and_training_scripts(mnist_data):
    out = run_script('''
        from keisan.book.functions import softmax, cross_entropy_error
        from keisan.book.gradient import numerical_gradient
        from keisan.book.mnist import load_mnist
        from keisan.book.two_layer_net import TwoLayerNet
        from keisan.book.layers import *          # np comes from here, as in the book

        class simpleNet:
            def __init__(self):
                self.W = np.array([[0.47, 0.99, 0.84], [0.85, 0.03, 0.69]])
            def predict(self, x):
                return np.dot(x, self.W)
            def loss(self, x, t):
                return cross_entropy_error(softmax(self.predict(x)), t)

        net = simpleNet()
        x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])
        dW = numerical_gradient(lambda w: net.loss(x, t), net.W)
        print('dW', ' '.join('%.4f' % v for v in dW.ravel()))

        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
        network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
        print('before', network.accuracy(x_test, t_test))
        for i in range(150):
            batch_mask = np.random.choice(x_train.shape[0], 100)
            grad = network.gradient(x_train[batch_mask], t_train[batch_mask])
            for key in ('W1', 'b1', 'W2', 'b2'):
                network.params[key] -= 0.5 * grad[key]
        print('after', network.accuracy(x_test, t_test))
    ''', mnist_data)
    dW = [float(v) for v in out.split('dW ')[1].split()[:6]]
    z = np.array([0.6, 0.9]) @ np.array([[0.47, 0.99, 0.84], [0.85, 0.03, 0.69]])
    p = np.exp(z) / np.exp(z).sum()
    expected = np.outer([0.6, 0.9], p - [0, 0, 1])
    np.testing.assert_allclose(dW, expected.ravel(), atol=1e-4)
    before = float(out.split('before ')[1].split()[0])
    after = float(out.split('after ')[1].split()[0])
    assert before < 0.3 and after > 0.8


def test_ch05_gradient_check_on_a_float32_two_layer_net(mnist_data):
    out = run_script('''
        import numpy as np
        from keisan.book.mnist import load_mnist
        from keisan.book.two_layer_net import TwoLayerNet

        np.random.seed(0)       # unseeded, a hidden unit near ReLU's kink can move b1's check
        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
        network = TwoLayerNet(input_size=784, hidden_size=8, output_size=10)
        print(network.params['W1'].dtype)
        x_batch = x_train[:3]
        t_batch = t_train[:3]
        grad_numerical = network.numerical_gradient(x_batch, t_batch)
        grad_backprop = network.gradient(x_batch, t_batch)
        print('differences')
        for key in grad_numerical.keys():
            diff = np.average(np.abs(grad_backprop[key] - grad_numerical[key]))
            print(key + ":" + str(diff))
    ''', mnist_data)
    assert out.startswith('float32')
    diffs = printed(out, 'differences')
    assert set(diffs) == {'W1', 'b1', 'W2', 'b2'} and max(diffs.values()) < 1e-6, diffs


def test_ch06_optimizer_comparisons(mnist_data):
    out = run_script('''
        from collections import OrderedDict
        from keisan.book.optimizer import *        # np comes from here, as in the book
        from keisan.book.mnist import load_mnist
        from keisan.book.multi_layer_net import MultiLayerNet
        from keisan.book.util import smooth_curve

        def df(x, y):
            return x / 10.0, 2.0 * y

        optimizers = OrderedDict(SGD=SGD(lr=0.95), Momentum=Momentum(lr=0.1),
                                 AdaGrad=AdaGrad(lr=1.5), Adam=Adam(lr=0.3),
                                 RMSprop=RMSprop(lr=0.3), RMSProp=RMSProp(lr=0.3, rho=0.9),
                                 Nesterov=Nesterov(lr=0.1))
        print('final positions')
        for key, optimizer in optimizers.items():
            params, grads = {'x': -7.0, 'y': 2.0}, {'x': 0, 'y': 0}
            x_history = []
            for i in range(30):
                x_history.append(params['x'])
                grads['x'], grads['y'] = df(params['x'], params['y'])
                optimizer.update(params, grads)
            print('%s:%.6f' % (key, abs(params['x']) + abs(params['y'])))
            assert len(set(x_history)) == 30

        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)
        np.random.seed(0)
        first, last = {}, {}
        for key, optimizer in (('SGD', SGD()), ('Adam', Adam())):
            network = MultiLayerNet(input_size=784, hidden_size_list=[50, 50], output_size=10)
            losses = []
            for i in range(60):
                batch_mask = np.random.choice(x_train.shape[0], 64)
                grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
                optimizer.update(network.params, grads)
                losses.append(network.loss(x_train[batch_mask], t_train[batch_mask]))
            curve = smooth_curve(losses)
            first[key], last[key] = curve[0], curve[-1]
        print('smoothed losses')
        for key in first:
            print('%s_first:%.4f %s_last:%.4f' % (key, first[key], key, last[key]))
    ''', mnist_data)
    positions = printed(out.split('smoothed losses')[0], 'final positions')
    assert set(positions) == {'SGD', 'Momentum', 'AdaGrad', 'Adam', 'RMSprop', 'RMSProp',
                              'Nesterov'}
    assert positions['AdaGrad'] < 0.5 and positions['Adam'] < 1.5
    losses = printed(out, 'smoothed losses')
    assert losses['Adam_last'] < losses['Adam_first'] and losses['SGD_last'] < \
        losses['SGD_first']


def test_ch06_batch_norm_gradient_check_and_regularization(mnist_data):
    out = run_script('''
        import numpy as np
        from keisan.book.mnist import load_mnist
        from keisan.book.multi_layer_net_extend import MultiLayerNetExtend
        from keisan.book.trainer import Trainer

        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
        np.random.seed(1)
        network = MultiLayerNetExtend(input_size=784, hidden_size_list=[6, 6], output_size=10,
                                      use_batchnorm=True)
        grad_backprop = network.gradient(x_train[:2], t_train[:2])
        grad_numerical = network.numerical_gradient(x_train[:2], t_train[:2])
        print('differences')
        for key in grad_numerical.keys():
            print(key + ":" + str(np.average(np.abs(grad_backprop[key] - grad_numerical[key]))))

        network = MultiLayerNetExtend(input_size=784, hidden_size_list=[40, 40],
                                      output_size=10, use_dropout=True, dropout_ration=0.2,
                                      weight_decay_lambda=0.01)
        trainer = Trainer(network, x_train[:300], t_train[:300], x_test, t_test, epochs=3,
                          mini_batch_size=100, optimizer='sgd', optimizer_param={'lr': 0.1},
                          verbose=False)
        trainer.train()
        print('epochs %d %d' % (len(trainer.train_acc_list), len(trainer.test_acc_list)))
    ''', mnist_data)
    diffs = printed(out.split('epochs')[0], 'differences')
    assert {'gamma1', 'beta2', 'W3'} <= set(diffs) and max(diffs.values()) < 1e-6, diffs
    assert 'epochs 3 3' in out


def test_ch07_gradient_check_with_labels_of_shape_n_1(mnist_data):
    """Seed 7: with 0.01 weights and zero biases most seeds put some convolution output
    within h = 1e-4 of ReLU's kink, and the book's float64 code prints 1e-6 to 1e-4 for b1
    then too (see test_models.py for the same figures in float32 and float64)."""
    out = run_script('''
        import numpy as np
        from keisan.book.simple_convnet import SimpleConvNet

        np.random.seed(7)
        network = SimpleConvNet(input_dim=(1, 10, 10),
                                conv_param={'filter_num': 10, 'filter_size': 3, 'pad': 0,
                                            'stride': 1},
                                hidden_size=10, output_size=10, weight_init_std=0.01)
        X = np.random.rand(100).reshape((1, 1, 10, 10))
        T = np.array([1]).reshape((1, 1))
        grad_num = network.numerical_gradient(X, T)
        grad = network.gradient(X, T)
        print('differences')
        for key, val in grad_num.items():
            print(key + ':' + str(np.abs(grad_num[key] - grad[key]).mean()))
    ''', mnist_data)
    diffs = printed(out, 'differences')
    assert set(diffs) == {'W1', 'b1', 'W2', 'b2', 'W3', 'b3'}
    assert max(diffs.values()) < 1e-6, diffs


def test_train_convnet_with_the_books_trainer(mnist_data):
    out = run_script('''
        import numpy as np
        from keisan.book.mnist import load_mnist
        from keisan.book.simple_convnet import SimpleConvNet
        from keisan.book.trainer import Trainer

        (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
        x_train, t_train = x_train[:300], t_train[:300]
        network = SimpleConvNet(input_dim=(1, 28, 28),
                                conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0,
                                            'stride': 1},
                                hidden_size=100, output_size=10, weight_init_std=0.01)
        trainer = Trainer(network, x_train, t_train, x_test, t_test,
                          epochs=2, mini_batch_size=100,
                          optimizer='Adam', optimizer_param={'lr': 0.001},
                          evaluate_sample_num_per_epoch=100)
        trainer.train()
        network.save_params("params.pkl")
        print("Saved Network Parameters!")
        print('lists %d %d %d' % (len(trainer.train_loss_list), len(trainer.train_acc_list),
                                  len(trainer.test_acc_list)))
        restored = SimpleConvNet()
        restored.load_params("params.pkl")
        print('same', restored.accuracy(x_test, t_test) == network.accuracy(x_test, t_test))
    ''', mnist_data)
    assert 'Final Test Accuracy' in out and 'Saved Network Parameters!' in out
    assert 'lists 6 2 2' in out and 'same True' in out


def test_misclassified_mnist_with_the_books_weight_file(mnist_data):
    """ch08's misclassified_mnist.py on a deep_convnet_params.pkl in the book's format."""
    np.random.seed(0)
    teacher = keisan.models.DeepConvNet()
    params = {key: value.astype(np.float64) for key, value in teacher.params.items()}
    with open(mnist_data / 'deep_convnet_params.pkl', 'wb') as f:
        pickle.dump(params, f)
    out = run_script('''
        import numpy as np
        from keisan.book.deep_convnet import DeepConvNet
        from keisan.book.mnist import load_mnist

        (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
        network = DeepConvNet()
        network.load_params("deep_convnet_params.pkl")
        print("calculating test accuracy ... ")
        classified_ids = []
        acc = 0.0
        batch_size = 100
        for i in range(int(x_test.shape[0] / batch_size)):
            tx = x_test[i*batch_size:(i+1)*batch_size]
            tt = t_test[i*batch_size:(i+1)*batch_size]
            y = network.predict(tx, train_flg=False)
            y = np.argmax(y, axis=1)
            classified_ids.append(y)
            acc += np.sum(y == tt)
        acc = acc / x_test.shape[0]
        print("test accuracy:" + str(acc))
        classified_ids = np.array(classified_ids).flatten()
        mis_pairs = {}
        current_view = 1
        for i, val in enumerate(classified_ids == t_test):
            if not val:
                mis_pairs[current_view] = (int(t_test[i]), int(classified_ids[i]))
                current_view += 1
                if current_view > 20:
                    break
        print("======= misclassified result =======")
        print(mis_pairs)
    ''', mnist_data)
    acc = float(out.split('test accuracy:')[1].split()[0])
    from keisan.datasets import load_mnist
    _, (x_test, t_test) = load_mnist(flatten=False, data_dir=str(mnist_data))
    assert acc == pytest.approx(teacher.accuracy(x_test, t_test))
    assert 'misclassified result' in out
