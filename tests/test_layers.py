"""The book's layers agree with the define-by-run Functions (same outputs and gradients)."""
import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan import layers
from keisan.gradient_check import numerical_gradient


def grads(fn, *arrays, gy=None, seed=0):
    """Forward through the autograd and return (y, [grad of each float input])."""
    xs = [ks.Variable(a) if a.dtype.kind == 'f' else a for a in arrays]
    y = fn(*xs)
    if gy is None:
        gy = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    y.grad = gy
    y.backward()
    return y.data, [x.grad for x in xs if isinstance(x, ks.Variable)], gy


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_mul_add_layers_book_example():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange = layers.MulLayer(), layers.MulLayer()
    add, mul_tax = layers.AddLayer(), layers.MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    price = mul_tax.forward(add.forward(apple_price, orange_price), tax)
    dall, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert round(price) == 715
    assert dapple_num == pytest.approx(110) and dapple == pytest.approx(2.2)
    assert dorange == pytest.approx(3.3) and dorange_num == pytest.approx(165)
    assert dtax == 650
    assert isinstance(price, float)


def test_mul_layer_arrays_broadcast(rng):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal(4)
    layer = layers.MulLayer()
    out = layer.forward(x, y)
    dout = rng.standard_normal((3, 4))
    dx, dy = layer.backward(dout)
    np.testing.assert_allclose(out, x * y)
    np.testing.assert_allclose(dx, dout * y)
    np.testing.assert_allclose(dy, (dout * x).sum(0))


@pytest.mark.parametrize('layer, fn', [
    (layers.Relu, F.relu), (layers.Sigmoid, F.sigmoid),
    (lambda: layers.LeakyReLU(0.1), lambda x: F.leaky_relu(x, 0.1))])
def test_activations_match_functions(rng, layer, fn):
    x = rng.standard_normal((5, 7))
    x[np.abs(x) < 0.05] = 0.3
    layer = layer()
    y_ref, (gx_ref,), gy = grads(fn, x)
    np.testing.assert_array_equal(layer.forward(x.copy()), y_ref)
    np.testing.assert_array_equal(layer.backward(gy), gx_ref)


def test_relu_mask_and_sigmoid_out(rng):
    x = rng.standard_normal((4, 3))
    relu = layers.Relu()
    relu.forward(x)
    np.testing.assert_array_equal(relu.mask, x <= 0)
    sig = layers.Sigmoid()
    out = sig.forward(x)
    np.testing.assert_allclose(sig.out, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(sig.backward(np.ones_like(x)), out * (1 - out))


def test_affine_matches_linear_and_restores_shape(rng):
    x = rng.standard_normal((4, 2, 3, 3))
    W, b = rng.standard_normal((18, 5)), rng.standard_normal(5)
    layer = layers.Affine(W, b)
    y_ref, (gx, gW, gb), gy = grads(F.linear, x, W, b)
    np.testing.assert_allclose(layer.forward(x), y_ref)
    dx = layer.backward(gy)
    assert dx.shape == x.shape and layer.x.shape == (4, 18)
    assert layer.original_x_shape == x.shape
    np.testing.assert_allclose(dx, gx)
    np.testing.assert_allclose(layer.dW, gW)
    np.testing.assert_allclose(layer.db, gb)


def test_affine_sees_in_place_parameter_update(rng):
    params = {'W1': rng.standard_normal((3, 2)), 'b1': np.zeros(2)}
    layer = layers.Affine(params['W1'], params['b1'])
    x = rng.standard_normal((4, 3))
    y0 = layer.forward(x)
    layer.backward(np.ones_like(y0))
    params['W1'] -= 0.1 * layer.dW          # the book's in-place update
    params['b1'] -= 0.1 * layer.db
    np.testing.assert_allclose(layer.forward(x), x @ params['W1'] + params['b1'])
    assert layer.W is params['W1']


@pytest.mark.parametrize('one_hot', [False, True])
def test_softmax_with_loss_matches_function(rng, one_hot):
    x = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    if one_hot:
        t = np.eye(4)[t]
    layer = layers.SoftmaxWithLoss()
    y_ref, (gx_ref,), _ = grads(lambda v: F.softmax_cross_entropy(v, t), x,
                                gy=np.array(1.0))
    loss = layer.forward(x, t)
    np.testing.assert_allclose(loss, y_ref)
    np.testing.assert_allclose(layer.backward(), gx_ref)
    # the book's formula
    y = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    labels = t.argmax(1) if one_hot else t
    np.testing.assert_allclose(loss, -np.log(y[np.arange(6), labels]).mean())
    np.testing.assert_allclose(layer.y, y)


def test_mean_squared_loss_book_semantics(rng):
    y, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    layer = layers.MeanSquaredLoss()
    loss = layer.forward(y, t)
    np.testing.assert_allclose(loss, 0.5 * ((y - t) ** 2).sum() / 5)
    np.testing.assert_allclose(layer.backward(), (y - t) / 5)
    # and it is the Function scaled: same kernel
    np.testing.assert_allclose(loss, F.mean_squared_error(y, t).data * y.size / 10)


def test_dropout_layer_book_semantics():
    x = np.ones((200, 50), dtype=np.float32)
    layer = layers.Dropout(0.3)
    np.random.seed(3)
    y = layer.forward(x, train_flg=True)
    np.random.seed(3)
    mask = np.random.rand(200, 50) > 0.3
    np.testing.assert_array_equal(y, x * mask)
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2)), 2 * mask)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), x * 0.7)
    assert layer.forward(x, train_flg=False).dtype == np.float32


@pytest.mark.parametrize('shape', [(8, 5), (6, 3, 4, 4)])
def test_batch_normalization_matches_function(rng, shape):
    x = rng.standard_normal(shape) * 2 + 1
    c = shape[1]
    gamma, beta = rng.standard_normal(c) + 1, rng.standard_normal(c)
    layer = layers.BatchNormalization(gamma, beta, momentum=0.9)
    y = layer.forward(x, train_flg=True)
    y_ref, (gx, ggamma, gbeta), gy = grads(
        lambda a, g, b: F.batch_normalization(a, g, b, eps=10e-7), x, gamma, beta)
    np.testing.assert_allclose(y, y_ref)
    np.testing.assert_allclose(layer.backward(gy), gx, atol=1e-12)
    np.testing.assert_allclose(layer.dgamma, ggamma)
    np.testing.assert_allclose(layer.dbeta, gbeta)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=axes))
    np.testing.assert_allclose(layer.running_var, 0.1 * x.var(axis=axes))
    # test mode uses the running statistics
    bshape = (1, c) + (1,) * (len(shape) - 2)
    expected = gamma.reshape(bshape) * (x - layer.running_mean.reshape(bshape)) / np.sqrt(
        layer.running_var.reshape(bshape) + 10e-7) + beta.reshape(bshape)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), expected)


def test_batch_normalization_layer_gradient_numerically(rng):
    x = rng.standard_normal((5, 4))
    gamma, beta = np.ones(4), np.zeros(4)
    layer = layers.BatchNormalization(gamma, beta)
    gy = rng.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(gy)
    num = numerical_gradient(lambda _: (layers.BatchNormalization(gamma, beta)
                                        .forward(x) * gy).sum(), x)
    np.testing.assert_allclose(dx, num, atol=1e-6)


@pytest.mark.parametrize('stride, pad', [(1, 0), (2, 1), (1, 2)])
def test_convolution_matches_function(rng, stride, pad):
    x = rng.standard_normal((2, 3, 7, 6))
    W, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    layer = layers.Convolution(W, b, stride, pad)
    y_ref, (gx, gW, gb), gy = grads(
        lambda a, w, bb: F.convolution_2d(a, w, bb, stride, pad), x, W, b)
    np.testing.assert_allclose(layer.forward(x), y_ref)
    np.testing.assert_allclose(layer.backward(gy), gx)
    np.testing.assert_allclose(layer.dW, gW)
    np.testing.assert_allclose(layer.db, gb)
    assert layer.col.shape == (2 * y_ref.shape[2] * y_ref.shape[3], 3 * 3 * 2)
    assert layer.col_W.shape == (18, 4)


@pytest.mark.parametrize('ph, pw, stride, pad', [(2, 2, 2, 0), (3, 3, 1, 1), (2, 3, 2, 0)])
def test_pooling_matches_function(rng, ph, pw, stride, pad):
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(np.float64)
    layer = layers.Pooling(ph, pw, stride, pad)
    y_ref, (gx,), gy = grads(lambda a: F.max_pooling_2d(a, (ph, pw), stride, pad), x)
    np.testing.assert_array_equal(layer.forward(x), y_ref)
    np.testing.assert_array_equal(layer.backward(gy), gx)


def test_pooling_default_stride_is_book_one():
    assert layers.Pooling(2, 2).stride == 1


def test_layer_network_float32_end_to_end(rng):
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    W = (0.1 * rng.standard_normal((3, 1, 3, 3))).astype(np.float32)
    b = np.zeros(3, np.float32)
    W2 = (0.1 * rng.standard_normal((27, 10))).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    net = [layers.Convolution(W, b), layers.Relu(), layers.Pooling(2, 2, 2),
           layers.Affine(W2, b2)]
    last = layers.SoftmaxWithLoss()
    h = x
    for layer in net:
        h = layer.forward(h)
        assert h.dtype == np.float32
    loss = last.forward(h, np.array([1, 2, 3, 4]))
    assert loss.dtype == np.float32
    d = last.backward()
    for layer in reversed(net):
        d = layer.backward(d)
        assert d.dtype == np.float32
    assert net[0].dW.dtype == np.float32 and net[3].db.dtype == np.float32


def test_affine_and_convolution_layers_without_bias(rng):
    x = rng.standard_normal((3, 2, 5, 5))
    w = rng.standard_normal((4, 2, 3, 3))
    conv = layers.Convolution(w, None, stride=1, pad=1)
    y = conv.forward(x)
    np.testing.assert_allclose(y, F.convolution_2d(x, w, pad=1).data)
    dx = conv.backward(np.ones_like(y))
    assert dx.shape == x.shape and conv.dW.shape == w.shape and conv.db is None
    affine = layers.Affine(rng.standard_normal((50, 3)), None)
    out = affine.forward(x)
    affine.backward(np.ones_like(out))
    assert affine.dW.shape == (50, 3) and affine.db is None


def test_pooling_layer_pads_with_zeros_like_the_book():
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)              # all negative
    layer = layers.Pooling(2, 2, stride=2, pad=1)
    y = layer.forward(x)
    # im2col pads with 0, so every window touching the border has max 0 (the book's result)
    expected = np.array([[[[0, 0, 0], [0, -6, 0], [0, 0, 0]]]], dtype=float)
    np.testing.assert_array_equal(y, expected)
    dx = layer.backward(np.ones_like(y))
    expected_dx = np.zeros_like(x)
    expected_dx[0, 0, 1, 1] = 1                                 # only the inner window's max
    np.testing.assert_array_equal(dx, expected_dx)
    assert F.max_pooling_2d(x, 2, 2, 1).data.max() < 0          # the Function never pads in


# ----- the seed listings' names and the book's attributes (issue 10, items 5 and 6) ------
def test_listing_names_of_the_layers():
    assert layers.ReLU is layers.Relu and layers.MaxPooling is layers.Pooling
    leaky = layers.LeakyReLU()
    assert leaky.alpha == 0.1                           # the listings' default
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(leaky.forward(x), [[-0.2, 0.0, 3.0]])
    np.testing.assert_array_equal(leaky.mask, x <= 0)
    np.testing.assert_allclose(leaky.backward(np.ones_like(x)), [[0.1, 0.1, 1.0]])
    assert layers.Dropout().dropout_ratio == 0.5         # the book's default stays


def book_batch_norm_per_activation(x, gamma, beta, eps=10e-7):
    """The book's 4-D batch norm: (N, C, H, W) flattened to (N, C*H*W), per column."""
    flat = x.reshape(len(x), -1)
    xn = (flat - flat.mean(axis=0)) / np.sqrt(flat.var(axis=0) + eps)
    return (gamma * xn + beta).reshape(x.shape), xn


def test_batch_normalization_per_activation_of_4d_input(rng):
    """gamma and beta of size C*H*W (the book's form) normalize each activation; size C
    (a convolution's form) each channel."""
    x = rng.standard_normal((5, 2, 3, 3)) * 2 + 1
    gamma, beta = rng.standard_normal(18) + 1, rng.standard_normal(18)
    layer = layers.BatchNormalization(gamma, beta)
    y = layer.forward(x)
    expected, xn = book_batch_norm_per_activation(x, gamma, beta)
    np.testing.assert_allclose(y, expected)
    assert layer.xn.shape == layer.xc.shape == (5, 18) and layer.std.shape == (18,)
    np.testing.assert_allclose(layer.xn, xn)
    np.testing.assert_allclose(layer.xc, x.reshape(5, -1) - x.reshape(5, -1).mean(axis=0))
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.reshape(5, -1).mean(axis=0))
    gy = rng.standard_normal(x.shape)
    dx = layer.backward(gy)
    assert dx.shape == x.shape and layer.dgamma.shape == (18,)
    numeric = numerical_gradient(
        lambda _: (book_batch_norm_per_activation(x, gamma, beta)[0] * gy).sum(), x)
    np.testing.assert_allclose(dx, numeric, atol=1e-6)
    test_out = layer.forward(x, train_flg=False)
    np.testing.assert_allclose(test_out.reshape(5, -1), gamma * (
        x.reshape(5, -1) - layer.running_mean) / np.sqrt(layer.running_var + 10e-7) + beta)
    per_channel = layers.BatchNormalization(np.ones(2), np.zeros(2))
    assert per_channel.forward(x).shape == x.shape and per_channel.xn.shape == x.shape
    traced = layer(ks.Variable(x))                      # the same in the graph
    assert traced.shape == x.shape
    with ks.test_mode():
        np.testing.assert_allclose(layer(x).data, layer.forward(x, train_flg=False))


def test_batch_normalization_listing_arguments(rng):
    """BatchNormalization(gamma, beta, rho=0.9, moving_mean=None, moving_var=None) with
    x_mu / x_std, and gamma=None (made at the first call)."""
    x = rng.standard_normal((6, 4))
    mean = np.full(4, 0.5)
    layer = layers.BatchNormalization(np.ones(4), np.zeros(4), rho=0.5, moving_mean=mean)
    assert layer.momentum == layer.rho == 0.5 and layer.running_mean is mean
    layer.forward(x)
    assert layer.moving_mean is layer.running_mean and layer.moving_var is layer.running_var
    np.testing.assert_allclose(mean, 0.25 + 0.5 * x.mean(axis=0))      # updated in place
    np.testing.assert_array_equal(layer.x_mu, layer.xc)
    np.testing.assert_array_equal(layer.x_std, layer.xn)
    assert layer.batch_size == 6
    lazy = layers.BatchNormalization(None, None)
    y = lazy.forward(x.astype(np.float32))
    assert lazy.gamma.shape == (4,) and lazy.gamma.dtype == np.float32 and y.shape == (6, 4)
    with pytest.raises(TypeError, match='running_mean/moving_mean'):
        layers.BatchNormalization(np.ones(4), np.zeros(4), running_mean=mean, moving_mean=mean)


def test_book_attributes_after_forward_and_backward(rng):
    """What learners print: the attributes of the book's layers, with the book's shapes."""
    x = rng.standard_normal((2, 3, 6, 6))
    conv = layers.Convolution(rng.standard_normal((4, 3, 3, 3)), np.zeros(4), 1, 1)
    relu, pool = layers.Relu(), layers.Pooling(2, 2, 2)
    affine = layers.Affine(rng.standard_normal((36, 5)), np.zeros(5))
    sigmoid, drop = layers.Sigmoid(), layers.Dropout(0.3)
    bn = layers.BatchNormalization(np.ones(5), np.zeros(5))
    last = layers.SoftmaxWithLoss()
    h = x
    for layer in (conv, relu, pool, affine, bn, sigmoid, drop):
        h = layer.forward(h)
    t = np.array([1, 4])
    last.forward(h, t)
    d = last.backward()
    for layer in (drop, sigmoid, bn, affine, pool, relu, conv):
        d = layer.backward(d)
    assert conv.x is x and conv.col.shape == (2 * 36, 27) and conv.col_W.shape == (27, 4)
    assert conv.dW.shape == (4, 3, 3, 3) and conv.db.shape == (4,)
    assert relu.mask.shape == (2, 4, 6, 6) and relu.mask.dtype == bool
    assert pool.x.shape == (2, 4, 6, 6) and pool.arg_max.shape == (2 * 4 * 3 * 3,)
    assert affine.x.shape == (2, 36) and affine.dW.shape == (36, 5) and affine.db.shape == (5,)
    assert sigmoid.out.shape == (2, 5) and drop.mask.shape == (2, 5)
    assert bn.xc.shape == bn.xn.shape == (2, 5) and bn.std.shape == (5,) and bn.batch_size == 2
    assert bn.running_mean.shape == bn.running_var.shape == (5,)
    assert last.y.shape == (2, 5) and last.t is t and last.loss.shape == ()
    # kept by the fast path only as far as the book needs: col and arg_max are made on access
    assert 'col' not in vars(conv) and 'arg_max' not in vars(pool) and 'xc' not in vars(bn)


@pytest.mark.parametrize('ph, pw, stride, pad', [(2, 2, 2, 0), (3, 2, 1, 1)])
def test_pooling_arg_max_in_the_books_order(rng, ph, pw, stride, pad):
    """arg_max is the book's: argmax of each row of im2col(x).reshape(-1, ph*pw), rows in
    the order (N, OH, OW, C)."""
    from reference import im2col_ref
    x = rng.permutation(2 * 3 * 6 * 5).reshape(2, 3, 6, 5).astype(np.float64)
    layer = layers.Pooling(ph, pw, stride, pad)
    layer.forward(x)
    book = im2col_ref(x, ph, pw, stride, pad).reshape(-1, ph * pw).argmax(axis=1)
    np.testing.assert_array_equal(layer.arg_max, book)


def test_softmax_with_loss_takes_labels_as_a_column(rng):
    """The book's ch. 7 gradient check passes T = np.array([1]).reshape((1, 1))."""
    x = rng.standard_normal((3, 4))
    column, flat = layers.SoftmaxWithLoss(), layers.SoftmaxWithLoss()
    t = np.array([[1], [3], [0]])
    assert column.forward(x, t) == flat.forward(x, t.ravel())
    np.testing.assert_array_equal(column.backward(), flat.backward())
    assert column.t is t
