"""Tests for keisan.optimizers: update rules against hand-written NumPy formulas, both
driving modes, hooks, schedules, state save/load, dtypes, in-place semantics, errors."""
import inspect
import math

import numpy as np
import pytest

import keisan
import keisan.functions as F
from keisan import serializers
from keisan.core.variable import Parameter
from keisan.links import Linear, Link
from keisan import optimizers as O
from keisan.optimizers import schedules


# ----------------------------------------------------------------------------- fixtures

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B0 = np.array([0.1, -0.2, 0.3])
GRADS = [  # three steps of gradients for W and b (signs and sizes vary)
    {'W': np.array([[0.3, -0.2, 0.9], [-1.1, 0.05, 0.4]]), 'b': np.array([0.5, -0.6, 0.01])},
    {'W': np.array([[-0.4, 0.1, 0.7], [0.8, -0.3, 0.2]]), 'b': np.array([-0.2, 0.9, 0.3])},
    {'W': np.array([[0.25, 0.6, -0.5], [0.1, 0.2, -0.9]]), 'b': np.array([0.05, -0.1, 0.7])},
]


class TwoParams(Link):
    def __init__(self, dtype=np.float64):
        super().__init__()
        self.W = Parameter(W0.astype(dtype))
        self.b = Parameter(B0.astype(dtype))


# ----------------------------------------------------------------------------- references
# Independent, functional (non in-place) float64 versions of each rule: ref(p, g, s, t) -> p,
# where ``s`` is a dict of state arrays the reference keeps for itself.

def ref_sgd(lr):
    def step(p, g, s, t):
        return p - lr * g
    return step


def ref_momentum(lr, momentum):
    def step(p, g, s, t):
        s['v'] = momentum * s.get('v', 0 * p) - lr * g
        return p + s['v']
    return step


def ref_nesterov(lr, momentum):
    def step(p, g, s, t):
        v = momentum * s.get('v', 0 * p) - lr * g
        s['v'] = v
        return p + momentum * momentum * v - (1 + momentum) * lr * g
    return step


def ref_adagrad(lr, eps):
    def step(p, g, s, t):
        s['h'] = s.get('h', 0 * p) + g * g
        return p - lr * g / (np.sqrt(s['h']) + eps)
    return step


def ref_rmsprop(lr, alpha, eps):
    def step(p, g, s, t):
        s['h'] = alpha * s.get('h', 0 * p) + (1 - alpha) * g * g
        return p - lr * g / (np.sqrt(s['h']) + eps)
    return step


def ref_graves(lr, alpha, momentum, eps):
    def step(p, g, s, t):
        n = alpha * s.get('n', 0 * p) + (1 - alpha) * g ** 2
        gbar = alpha * s.get('gbar', 0 * p) + (1 - alpha) * g
        d = momentum * s.get('d', 0 * p) - lr * g / np.sqrt(n - gbar ** 2 + eps)
        s.update(n=n, gbar=gbar, d=d)
        return p + d
    return step


def ref_adadelta(rho, eps, lr=1.0):
    def step(p, g, s, t):
        eg2 = rho * s.get('eg2', 0 * p) + (1 - rho) * g ** 2
        edx2 = s.get('edx2', 0 * p)
        dx = -np.sqrt(edx2 + eps) / np.sqrt(eg2 + eps) * g
        s.update(eg2=eg2, edx2=rho * edx2 + (1 - rho) * dx ** 2)
        return p + lr * dx
    return step


def ref_adam(alpha, beta1, beta2, eps, wd=0.0, amsgrad=False, eta=1.0):
    """Chainer's Adam: p - eta * (alpha_t * m / (sqrt(v) + eps) + wd * p)."""
    def step(p, g, s, t):
        m = beta1 * s.get('m', 0 * p) + (1 - beta1) * g
        v = beta2 * s.get('v', 0 * p) + (1 - beta2) * g ** 2
        vhat = np.maximum(s.get('vhat', 0 * p), v)
        s.update(m=m, v=v, vhat=vhat)
        alpha_t = alpha * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        return p - eta * (alpha_t * m / (np.sqrt(vhat if amsgrad else v) + eps) + wd * p)
    return step


def ref_smorms3(lr, eps):
    def step(p, grad, s, t):
        mem = s.get('mem', 0 * p + 1)
        r = 1 / (mem + 1)
        g = (1 - r) * s.get('g', 0 * p) + r * grad
        g2 = (1 - r) * s.get('g2', 0 * p) + r * grad * grad
        x = g * g / (g2 + eps)
        s.update(g=g, g2=g2, mem=1 + mem * (1 - x))
        return p - grad * np.minimum(lr, x) / (np.sqrt(g2) + eps)
    return step


# Hyperparameters chosen so that the placement of eps etc. is visible at 1e-10.
CASES = {
    'SGD': (O.SGD, dict(lr=0.1), ref_sgd(0.1)),
    'MomentumSGD': (O.MomentumSGD, dict(lr=0.1, momentum=0.8), ref_momentum(0.1, 0.8)),
    'NesterovAG': (O.NesterovAG, dict(lr=0.1, momentum=0.8), ref_nesterov(0.1, 0.8)),
    'AdaGrad': (O.AdaGrad, dict(lr=0.1, eps=0.05), ref_adagrad(0.1, 0.05)),
    'RMSprop': (O.RMSprop, dict(lr=0.1, alpha=0.9, eps=0.05), ref_rmsprop(0.1, 0.9, 0.05)),
    'RMSpropGraves': (O.RMSpropGraves, dict(lr=0.1, alpha=0.9, momentum=0.7, eps=0.05),
                      ref_graves(0.1, 0.9, 0.7, 0.05)),
    'AdaDelta': (O.AdaDelta, dict(rho=0.9, eps=1e-2), ref_adadelta(0.9, 1e-2)),
    'AdaDelta-lr': (O.AdaDelta, dict(rho=0.9, eps=1e-2, lr=0.5), ref_adadelta(0.9, 1e-2, 0.5)),
    'Adam': (O.Adam, dict(alpha=0.1, beta1=0.8, beta2=0.9, eps=0.05),
             ref_adam(0.1, 0.8, 0.9, 0.05)),
    'AdamW': (O.Adam, dict(alpha=0.1, beta1=0.8, beta2=0.9, eps=0.05, weight_decay_rate=0.2),
              ref_adam(0.1, 0.8, 0.9, 0.05, wd=0.2)),
    'AdamW-eta': (O.AdamW, dict(alpha=0.1, beta1=0.8, beta2=0.9, eps=0.05,
                                weight_decay_rate=0.2, eta=0.5),
                  ref_adam(0.1, 0.8, 0.9, 0.05, wd=0.2, eta=0.5)),
    'AMSGrad': (O.Adam, dict(alpha=0.1, beta1=0.8, beta2=0.9, eps=0.05, amsgrad=True),
                ref_adam(0.1, 0.8, 0.9, 0.05, amsgrad=True)),
    'SMORMS3': (O.SMORMS3, dict(lr=0.3, eps=1e-3), ref_smorms3(0.3, 1e-3)),
}


def reference_trajectory(ref):
    """Parameters after each of the three steps, by the hand-written formula."""
    p = {'W': W0.copy(), 'b': B0.copy()}
    states = {'W': {}, 'b': {}}
    out = []
    for t, grads in enumerate(GRADS, start=1):
        p = {k: ref(p[k], grads[k], states[k], t) for k in p}
        out.append(p)
    return out


@pytest.mark.parametrize('case', sorted(CASES))
def test_rule_book_mode(case):
    cls, kwargs, ref = CASES[case]
    opt = cls(**kwargs)
    params = {'W': W0.copy(), 'b': B0.copy()}
    for t, (grads, expected) in enumerate(zip(GRADS, reference_trajectory(ref)), start=1):
        opt.update(params, grads)
        assert opt.t == t
        for k in params:
            np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-12,
                                       err_msg='%s step %d %s' % (case, t, k))
    # the update changed something (the hand references are not trivially equal)
    assert not np.allclose(params['W'], W0)


@pytest.mark.parametrize('case', sorted(CASES))
def test_rule_setup_mode(case):
    cls, kwargs, ref = CASES[case]
    model = TwoParams()
    opt = cls(**kwargs)
    assert opt.setup(model) is opt
    for t, (grads, expected) in enumerate(zip(GRADS, reference_trajectory(ref)), start=1):
        model.cleargrads()
        model.W.grad, model.b.grad = grads['W'], grads['b']
        opt.update()
        np.testing.assert_allclose(model.W.data, expected['W'], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(model.b.data, expected['b'], rtol=1e-12, atol=1e-12)
    assert sorted(k for k in opt.state_dict() if '/' in k) == sorted(
        '%s/%s' % (n, s) for n in ('W', 'b') for s in opt._state_names())


def test_defaults():
    assert O.SGD().lr == 0.01
    assert (O.MomentumSGD().lr, O.MomentumSGD().momentum) == (0.01, 0.9)
    assert (O.NesterovAG().lr, O.NesterovAG().momentum) == (0.01, 0.9)
    assert (O.AdaGrad().lr, O.AdaGrad().eps) == (0.01, 1e-7)
    assert O.RMSprop().hyperparameters() == dict(lr=0.01, alpha=0.99, eps=1e-7)
    assert O.RMSprop(decay_rate=0.5).alpha == 0.5
    assert O.RMSpropGraves().hyperparameters() == dict(lr=1e-4, alpha=0.95, momentum=0.9,
                                                       eps=1e-4)
    assert O.AdaDelta().hyperparameters() == dict(lr=1.0, rho=0.95, eps=1e-6)
    adam = O.Adam()
    assert (adam.alpha, adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weight_decay_rate,
            adam.amsgrad) == (1e-3, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)
    assert O.Adam(lr=0.05).alpha == 0.05
    assert (O.SMORMS3().lr, O.SMORMS3().eps) == (1e-3, 1e-16)
    assert O.Momentum is O.MomentumSGD and O.Nesterov is O.NesterovAG
    with pytest.raises(TypeError):
        O.Adam(alpha=0.1, lr=0.1)


# ----------------------------------------------------------------------------- convergence

CONVERGE = {  # (optimizer, steps)
    'SGD': (lambda: O.SGD(lr=0.2), 200),
    'MomentumSGD': (lambda: O.MomentumSGD(lr=0.05), 300),
    'NesterovAG': (lambda: O.NesterovAG(lr=0.05), 300),
    'AdaGrad': (lambda: O.AdaGrad(lr=0.5), 500),
    'RMSprop': (lambda: O.RMSprop(lr=0.01), 1000),
    'RMSpropGraves': (lambda: O.RMSpropGraves(lr=0.01), 500),
    'AdaDelta': (lambda: O.AdaDelta(rho=0.9, eps=1e-2), 1000),
    'Adam': (lambda: O.Adam(alpha=0.05), 1000),
    'AMSGrad': (lambda: O.Adam(alpha=0.05, amsgrad=True), 1000),
    'SMORMS3': (lambda: O.SMORMS3(lr=0.05), 1000),
}
A = np.array([1.0, 4.0, 0.5, 2.0, 3.0])
C = np.array([1.0, -2.0, 3.0, 0.5, -1.5])


@pytest.mark.parametrize('case', sorted(CONVERGE))
def test_converges_on_quadratic(case):
    make, steps = CONVERGE[case]
    opt = make()
    params = {'p': np.zeros(5)}
    grads = {}
    for _ in range(steps):
        grads['p'] = A * (params['p'] - C)      # gradient of 0.5 * sum(a * (p - c)**2)
        opt.update(params, grads)
    assert np.linalg.norm(params['p'] - C) < 1e-2, (case, params['p'])


@pytest.mark.parametrize('name', ['momentum', 'adam'])
def test_converges_with_autograd(name):
    """Chainer style with a real backward pass, via update(lossfun)."""
    model = TwoParams(np.float32)
    opt = O.get(name, lr=0.05).setup(model)
    target = np.float32(1.5)

    def lossfun():
        return F.sum((model.W - target) ** 2) + F.sum((model.b + target) ** 2)

    for _ in range(300):
        opt.update(lossfun)
    np.testing.assert_allclose(model.W.data, 1.5, atol=1e-2)
    np.testing.assert_allclose(model.b.data, -1.5, atol=1e-2)
    assert model.W.dtype == np.float32 and opt.t == 300


# ----------------------------------------------------------------------------- hooks

class L2Hook:
    """A user's hook: g <- g + rate * p, as new arrays (the hook protocol)."""
    name = 'L2Hook'

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, optimizer, names, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            grads[i] = g + p * self.rate


def test_a_hook_changes_the_effective_gradient_in_both_modes():
    rate, lr = 0.1, 0.5
    g = GRADS[0]
    expected_W = W0 - lr * (g['W'] + rate * W0)
    # book mode
    params = {'W': W0.copy(), 'b': B0.copy()}
    grads = {k: v.copy() for k, v in g.items()}
    opt = O.SGD(lr=lr)
    opt.add_hook(L2Hook(rate))
    opt.update(params, grads)
    np.testing.assert_allclose(params['W'], expected_W, rtol=1e-13)
    for k in grads:
        np.testing.assert_array_equal(grads[k], g[k])      # not mutated
    # setup mode: p.grad keeps the raw gradient (the effective one is internal)
    model = TwoParams()
    opt = O.SGD(lr=lr).setup(model)
    opt.add_hook(L2Hook(rate))
    model.W.grad, model.b.grad = g['W'], g['b']
    opt.update()
    np.testing.assert_allclose(model.W.data, expected_W, rtol=1e-13)
    np.testing.assert_allclose(model.b.data, B0 - lr * (g['b'] + rate * B0), rtol=1e-13)
    assert model.W.grad is g['W']
    with pytest.raises(KeyError):
        opt.add_hook(L2Hook(rate))   # same name twice
    opt.remove_hook('L2Hook')
    assert not opt.hooks


@pytest.mark.parametrize('threshold', [0.5, 100.0])
def test_gradient_clipping_hook(threshold):
    g = GRADS[1]
    norm = math.sqrt(sum(float(np.sum(v ** 2)) for v in g.values()))
    scale = min(1.0, threshold / norm)
    params = {'W': W0.copy(), 'b': B0.copy()}
    opt = O.SGD(lr=1.0)
    clip = O.GradientClipping(threshold)
    opt.add_hook(clip)
    opt.update(params, g)
    assert clip.last_norm == pytest.approx(norm, rel=1e-12)
    for k in params:
        np.testing.assert_allclose(params[k], (W0 if k == 'W' else B0) - scale * g[k],
                                   rtol=1e-12)
    np.testing.assert_array_equal(g['W'], GRADS[1]['W'])


def test_hooks_apply_in_order():
    """Decay then clipping: clipping sees the decayed gradients."""
    rate, threshold = 0.5, 0.3
    g = GRADS[2]
    eff = {'W': g['W'] + rate * W0, 'b': g['b'] + rate * B0}
    norm = math.sqrt(sum(float(np.sum(v ** 2)) for v in eff.values()))
    params = {'W': W0.copy(), 'b': B0.copy()}
    opt = O.SGD(lr=1.0).add_hook(L2Hook(rate)).add_hook(O.GradientClipping(threshold))
    opt.update(params, g)
    np.testing.assert_allclose(params['W'], W0 - eff['W'] * threshold / norm, rtol=1e-12)


# ----------------------------------------------------------------------------- lr changes and schedules

def test_lr_change_between_steps():
    params = {'W': W0.copy()}
    opt = O.SGD(lr=0.1)
    opt.update(params, {'W': GRADS[0]['W']})
    opt.lr = 0.01
    opt.update(params, {'W': GRADS[1]['W']})
    np.testing.assert_allclose(params['W'], W0 - 0.1 * GRADS[0]['W'] - 0.01 * GRADS[1]['W'],
                               rtol=1e-13)
    # Adam: lr is alpha
    adam = O.Adam(alpha=0.1, beta1=0.8, beta2=0.9, eps=0.05)
    ref = ref_adam(0.1, 0.8, 0.9, 0.05)
    p, s = {'W': W0.copy()}, {}
    expected = ref(W0.copy(), GRADS[0]['W'], s, 1)
    adam.update(p, {'W': GRADS[0]['W']})
    adam.lr = 0.02
    assert adam.alpha == 0.02
    expected = ref_adam(0.02, 0.8, 0.9, 0.05)(expected, GRADS[1]['W'], s, 2)
    adam.update(p, {'W': GRADS[1]['W']})
    np.testing.assert_allclose(p['W'], expected, rtol=1e-12)


def test_step_decay():
    opt = O.MomentumSGD(lr=0.1)
    sched = schedules.StepDecay(opt, step_size=2, gamma=0.5)
    seen = [opt.lr]
    for _ in range(6):
        assert sched.step() == opt.lr
        seen.append(opt.lr)
    assert seen == [0.1 * 0.5 ** (e // 2) for e in range(7)]
    assert sched(3) == 0.1 * 0.5 and opt.lr == 0.05 and sched.epoch == 3


def test_exponential_decay_on_adam_alpha():
    opt = O.Adam(alpha=0.01)
    sched = O.ExponentialDecay(opt, gamma=0.9)
    seen = [sched.step() for _ in range(4)]
    assert seen == [0.01 * 0.9 ** e for e in range(1, 5)]
    assert opt.alpha == seen[-1]


def test_cosine_annealing():
    opt = O.SGD(lr=1.0)
    sched = O.CosineAnnealing(opt, t_max=4, eta_min=0.1)
    seen = [opt.lr] + [sched.step() for _ in range(6)]
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)] + [0.1, 0.1]
    assert seen == pytest.approx(expected, rel=1e-15, abs=1e-15)
    assert seen[0] == 1.0 and seen[4] == pytest.approx(0.1)
    with pytest.raises(ValueError):
        O.CosineAnnealing(opt, t_max=0)
    with pytest.raises(ValueError):
        O.StepDecay(opt, step_size=0)


def test_schedule_state_roundtrip(tmp_path):
    opt = O.SGD(lr=0.1)
    sched = O.StepDecay(opt, step_size=1, gamma=0.5)
    sched.step()
    sched.step()
    serializers.save_npz(tmp_path / 's.npz', sched)
    opt2 = O.SGD(lr=0.1)
    sched2 = O.StepDecay(opt2, step_size=1, gamma=0.5)
    serializers.load_npz(tmp_path / 's.npz', sched2)
    assert sched2.epoch == 2 and opt2.lr == opt.lr == 0.025


# ----------------------------------------------------------------------------- state save/load

def _train(model, opt, steps, offset):
    for k in range(steps):
        g = GRADS[(k + offset) % 3]
        model.cleargrads()
        model.W.grad = g['W'].astype(model.W.dtype) * (1 + 0.1 * k)
        model.b.grad = g['b'].astype(model.b.dtype)
        opt.update()


@pytest.mark.parametrize('case', sorted(CASES))
def test_state_survives_save_load_bit_identical(case, tmp_path):
    cls, kwargs, _ = CASES[case]
    model, opt = TwoParams(np.float32), cls(**kwargs)
    opt.setup(model)
    opt.add_hook(L2Hook(1e-3))
    _train(model, opt, 3, 0)
    opt.lr = opt.lr * 0.5               # a changed lr is part of the state
    serializers.save_npz(tmp_path / 'model.npz', model)
    serializers.save_npz(tmp_path / 'opt.npz', opt)
    _train(model, opt, 4, 3)            # uninterrupted

    model2, opt2 = TwoParams(np.float32), cls(**kwargs)
    opt2.setup(model2)
    opt2.add_hook(L2Hook(1e-3))
    serializers.load_npz(tmp_path / 'model.npz', model2)
    serializers.load_npz(tmp_path / 'opt.npz', opt2)
    assert opt2.t == 3 and opt2.lr == opt.lr
    _train(model2, opt2, 4, 3)          # resumed
    assert opt2.t == opt.t == 7
    np.testing.assert_array_equal(model2.W.data, model.W.data)
    np.testing.assert_array_equal(model2.b.data, model.b.data)
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(opt2.state_dict()[key], value)
        assert opt2.state_dict()[key].dtype == value.dtype


@pytest.mark.parametrize('cls', [O.Adam, O.MomentumSGD])
def test_state_roundtrip_book_mode(cls, tmp_path):
    params = {'W1': W0.astype(np.float32), 'b1': B0.astype(np.float32)}
    opt = cls(lr=0.01)
    for g in GRADS:
        opt.update(params, {'W1': g['W'], 'b1': g['b']})
    state = opt.state_dict()
    assert {'t', 'W1/v', 'b1/v'} | set(opt.hyperparameters()) <= set(state)
    assert state['t'].shape == () and int(state['t']) == 3
    serializers.save_npz(tmp_path / 'opt.npz', opt)
    saved = {k: v.copy() for k, v in params.items()}
    for g in GRADS:
        opt.update(params, {'W1': g['W'], 'b1': g['b']})
    opt2 = serializers.load_npz(tmp_path / 'opt.npz', cls(lr=0.01))
    for g in GRADS:
        opt2.update(saved, {'W1': g['W'], 'b1': g['b']})
    for k in params:
        np.testing.assert_array_equal(saved[k], params[k])
        assert saved[k].dtype == np.float32


def test_load_state_dict_errors():
    model = TwoParams()
    opt = O.Adam().setup(model)
    model.W.grad, model.b.grad = GRADS[0]['W'], GRADS[0]['b']
    opt.update()
    good = {k: np.array(v) for k, v in opt.state_dict().items()}

    bad = dict(good, **{'W/m': np.zeros((3, 2))})
    with pytest.raises(ValueError, match="'W/m' has shape"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="'W/q'"):
        opt.load_state_dict(dict(good, **{'W/q': np.zeros((2, 3))}))
    with pytest.raises(ValueError, match="'conv9.W/m'"):
        opt.load_state_dict(dict(good, **{'conv9.W/m': np.zeros(3)}))
    incomplete = dict(good)
    del incomplete['b/v']
    with pytest.raises(ValueError, match="'b/v'"):
        opt.load_state_dict(incomplete)
    no_t = dict(good)
    del no_t['t']
    with pytest.raises(ValueError, match="'t'"):
        opt.load_state_dict(no_t)
    with pytest.raises(ValueError, match="'alpha' must be >= 0"):
        opt.load_state_dict(dict(good, alpha=np.array(-1.0)))
    with pytest.raises(ValueError, match="'alpha' and 'lr' both set alpha"):
        opt.load_state_dict(dict(good, lr=np.array(0.5)))
    with pytest.raises(ValueError, match="'amsgrad' must be True or False"):
        opt.load_state_dict(dict(good, amsgrad=np.array(1.0)))
    with pytest.raises(ValueError, match=r"'beta1' must be < 1.*'W/m' has shape"):
        opt.load_state_dict(dict(good, beta1=np.array(1.0), **{'W/m': np.zeros(2)}))
    # nothing was changed by the failed loads
    for k, v in opt.state_dict().items():
        np.testing.assert_array_equal(v, good[k])

    # book mode: shapes are checked at the first step (the parameters were unknown)
    book = O.MomentumSGD()
    book.load_state_dict({'t': np.array(1), 'lr': np.array(0.01), 'W/v': np.zeros((4,))})
    params = {'W': np.ones(3)}
    with pytest.raises(ValueError, match="'W/v' has shape"):
        book.update(params, {'W': np.ones(3)})
    np.testing.assert_array_equal(params['W'], 1.0)      # nothing changed
    assert book.t == 1


# ----------------------------------------------------------------------------- semantics

@pytest.mark.parametrize('case', sorted(CASES))
def test_float32_stays_float32(case):
    cls, kwargs, _ = CASES[case]
    params = {'W': W0.astype(np.float32), 'b': B0.astype(np.float32)}
    opt = cls(**kwargs)
    opt.add_hook(L2Hook(0.01))
    opt.add_hook(O.GradientClipping(0.5))
    for g in GRADS:
        opt.update(params, {k: v.astype(np.float32) for k, v in g.items()})
    assert all(p.dtype == np.float32 for p in params.values())
    for key, value in opt.state_dict().items():
        if '/' in key:
            assert value.dtype == np.float32, key
    # setup mode with a real link
    model = Linear(3, 2)
    assert model.W.dtype == np.float32
    opt = cls(**kwargs).setup(model)
    x = np.ones((4, 3), np.float32)
    for _ in range(2):
        model.cleargrads()
        F.sum(model(x) ** 2).backward()
        opt.update()
    assert model.W.dtype == np.float32 and model.b.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.state_dict().items() if '/' in k)


@pytest.mark.parametrize('case', sorted(CASES))
def test_in_place_and_grads_untouched(case):
    cls, kwargs, _ = CASES[case]
    W = W0.copy()
    network_params = {'W': W, 'b': B0.copy()}
    layer_view = network_params['W']          # e.g. an Affine layer holding the same array
    row = W[0]                                # and a view of it
    grad = GRADS[0]['W'].copy()
    # one gradient array shared by two parameters, and a read-only broadcast view
    shared = {'W': grad, 'W2': grad, 'b': np.broadcast_to(np.float64(0.3), (3,))}
    network_params['W2'] = W0.copy()
    opt = cls(**kwargs)
    for _ in range(2):
        opt.update(network_params, shared)
    assert network_params['W'] is W and layer_view is W
    assert not np.array_equal(W, W0)
    np.testing.assert_array_equal(row, W[0])
    np.testing.assert_array_equal(grad, GRADS[0]['W'])       # the grad was not written
    np.testing.assert_array_equal(network_params['W'], network_params['W2'])

    model = TwoParams()
    data = model.W.data
    opt = cls(**kwargs).setup(model)
    model.W.grad, model.b.grad = grad, np.broadcast_to(np.float64(0.3), (3,))
    opt.update()
    assert model.W.data is data and not np.array_equal(data, W0)
    np.testing.assert_array_equal(grad, GRADS[0]['W'])


def test_setup_mode_skips_missing_grads_and_uninitialized():
    class Net(Link):
        def __init__(self):
            super().__init__()
            self.a = Parameter(np.ones(3))
            self.b = Parameter(np.ones(3))
            self.lazy = Linear(None, 2)        # W uninitialized, b initialized

    net = Net()
    opt = O.Adam(alpha=0.1).setup(net)
    net.a.grad = np.ones(3)
    opt.update()
    assert not np.array_equal(net.a.data, 1.0)
    np.testing.assert_array_equal(net.b.data, 1.0)
    assert set(k for k in opt.state_dict() if '/' in k) == {'a/m', 'a/v'}
    assert opt.t == 1


def test_setup_mode_dotted_names():
    class Outer(Link):
        def __init__(self):
            super().__init__()
            self.fc1 = Linear(2, 3)

    net = Outer()
    opt = O.MomentumSGD().setup(net)
    net.fc1.W.grad = np.ones((2, 3), np.float32)
    net.fc1.b.grad = np.ones(3, np.float32)
    opt.update()
    assert {'fc1.W/v', 'fc1.b/v', 't', 'lr', 'momentum'} == set(opt.state_dict())


def test_t_counts_steps():
    opt = O.Adam()
    params = {'w': np.zeros(2)}
    for k in range(5):
        opt.update(params, {'w': np.ones(2)})
    assert opt.t == 5
    assert opt.lr_t == pytest.approx(1e-3 * math.sqrt(1 - 0.999 ** 5) / (1 - 0.9 ** 5))


# ----------------------------------------------------------------------------- errors

def test_error_missing_grad_key():
    opt = O.SGD()
    with pytest.raises(KeyError, match="'b1'"):
        opt.update({'W1': np.zeros(2), 'b1': np.zeros(2)}, {'W1': np.zeros(2)})


def test_error_grad_shape():
    opt = O.SGD()
    with pytest.raises(ValueError, match=r"'W1'.*\(3, 2\).*\(2, 3\)"):
        opt.update({'W1': np.zeros((2, 3))}, {'W1': np.zeros((3, 2))})
    model = TwoParams()
    opt = O.SGD().setup(model)
    model.W.grad, model.b.grad = np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match=r"'W'.*\(3, 2\).*\(2, 3\)"):
        opt.update()


def test_error_update_without_setup():
    with pytest.raises(RuntimeError, match='setup'):
        O.Adam().update()


def test_error_bad_hyperparameters():
    with pytest.raises(ValueError, match='lr'):
        O.SGD(lr=-0.1)
    opt = O.MomentumSGD()
    with pytest.raises(ValueError, match='lr'):
        opt.lr = -1e-3
    assert opt.lr == 0.01
    with pytest.raises(ValueError, match='alpha'):
        O.Adam(alpha=-1.0)
    with pytest.raises(ValueError, match='lr'):
        O.Adam().lr = -1.0
    with pytest.raises(ValueError, match='beta1'):
        O.Adam(beta1=1.0)
    with pytest.raises(ValueError):
        O.SGD(lr=float('nan'))
    with pytest.raises(TypeError):
        O.SGD(lr='0.1')
    with pytest.raises(TypeError):
        O.SGD().setup({'W': np.zeros(2)})


def test_get():
    assert type(O.get('sgd', lr=0.5)) is O.SGD and O.get('SGD', lr=0.5).lr == 0.5
    for name, cls in [('momentum', O.MomentumSGD), ('MomentumSGD', O.MomentumSGD),
                      ('nesterov', O.NesterovAG), ('NesterovAG', O.NesterovAG),
                      ('AdaGrad', O.AdaGrad), ('rmsprop', O.RMSprop),
                      ('RMSpropGraves', O.RMSpropGraves), ('adadelta', O.AdaDelta),
                      ('Adam', O.Adam), ('smorms3', O.SMORMS3)]:
        assert isinstance(O.get(name), cls), name
    adam = O.get('Adam', lr=0.001)
    assert adam.alpha == 0.001 and adam.weight_decay_rate == 0
    adamw = O.get('adamw')
    assert isinstance(adamw, O.Adam) and adamw.weight_decay_rate == 1e-5 and adamw.eta == 1
    assert O.get('AdamW', weight_decay_rate=0.1, lr=0.01).weight_decay_rate == 0.1
    assert O.get('rmsprop', decay_rate=0.9).alpha == 0.9
    opt = O.SGD()
    assert O.get(opt) is opt
    with pytest.raises(ValueError, match='adam.*sgd'):
        O.get('lion')


def test_repr_and_hyperparameters():
    assert repr(O.SGD(lr=0.5)) == 'SGD(lr=0.5)'
    assert 'amsgrad=True' in repr(O.Adam(amsgrad=True))
    assert 'lr' not in O.Adam().hyperparameters()
    assert isinstance(keisan.optimizers.schedules.StepDecay, type)


def test_error_state_shape_changed():
    opt = O.MomentumSGD()
    opt.update({'W': np.zeros((2, 3))}, {'W': np.ones((2, 3))})
    with pytest.raises(ValueError, match=r"'W'.*\(3,\).*\(2, 3\)"):
        opt.update({'a': np.zeros(3), 'W': np.zeros(3)}, {'a': np.ones(3), 'W': np.ones(3)})
    assert opt.t == 1       # the failed step changed nothing
    opt.reset_state()
    opt.update({'W': np.zeros(3)}, {'W': np.ones(3)})
    assert opt.t == 1


def test_shared_parameter_updated_once():
    class Tied(Link):
        def __init__(self):
            super().__init__()
            self.a = Parameter(np.zeros(2))
            self.b = self.a                     # the same Parameter under two names

    net = Tied()
    assert [n for n, _ in net.namedparams()] == ['a', 'b']
    opt = O.SGD(lr=1.0).setup(net)
    net.a.grad = np.ones(2)
    opt.update()
    np.testing.assert_array_equal(net.a.data, -1.0)


def test_book_mode_accepts_parameters_in_dict():
    W = Parameter(W0.copy())
    data = W.data
    O.SGD(lr=0.1).update({'W': W}, {'W': GRADS[0]['W']})
    assert W.data is data
    np.testing.assert_allclose(data, W0 - 0.1 * GRADS[0]['W'])


def test_a_failing_hook_leaves_the_step_count_alone():
    def broken(optimizer, names, params, grads):
        raise RuntimeError('hook failed')
    params = {'W': np.ones(3)}
    opt = O.SGD(lr=0.1)
    opt.add_hook(broken, name='broken')
    with pytest.raises(RuntimeError, match='hook failed'):
        opt.update(params, {'W': np.ones(3)})
    assert opt.t == 0
    np.testing.assert_array_equal(params['W'], np.ones(3))


def test_adamw_decay_is_per_step_and_scaled_by_eta_only():
    # With zero gradient the Adam step is 0 and only the decay acts: p * (1 - eta*wd)^t.
    p = {'W': np.full(4, 2.0)}
    opt = O.AdamW(alpha=0.5, weight_decay_rate=0.1, eta=0.5)
    for _ in range(3):
        opt.update(p, {'W': np.zeros(4)})
    np.testing.assert_allclose(p['W'], 2.0 * (1 - 0.05) ** 3)


# ----------------------------------------------------------------------------- hyperparameters

# Every optimizer's hyperparameters with their defaults, in the declared (positional) order.
DEFAULTS = {
    O.SGD: dict(lr=0.01),
    O.MomentumSGD: dict(lr=0.01, momentum=0.9),
    O.NesterovAG: dict(lr=0.01, momentum=0.9),
    O.AdaGrad: dict(lr=0.01, eps=1e-7),
    O.RMSprop: dict(lr=0.01, alpha=0.99, eps=1e-7),
    O.RMSpropGraves: dict(lr=1e-4, alpha=0.95, momentum=0.9, eps=1e-4),
    O.AdaDelta: dict(rho=0.95, eps=1e-6, lr=1.0),
    O.Adam: dict(alpha=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay_rate=0.0,
                 amsgrad=False, eta=1.0),
    O.AdamW: dict(alpha=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay_rate=1e-5,
                  amsgrad=False, eta=1.0),
    O.SMORMS3: dict(lr=1e-3, eps=1e-16),
}
# Valid values different from every default, by name.
OTHER = dict(lr=0.125, momentum=0.375, eps=0.0625, alpha=0.625, rho=0.875, beta1=0.5,
             beta2=0.75, weight_decay_rate=0.01, amsgrad=True, eta=0.25)


@pytest.mark.parametrize('cls', list(DEFAULTS), ids=lambda c: c.__name__)
def test_defaults_and_declared_order(cls):
    assert list(cls().hyperparameters().items()) == list(DEFAULTS[cls].items())
    assert O.get(cls.__name__).hyperparameters() == DEFAULTS[cls]


@pytest.mark.parametrize('cls', list(DEFAULTS), ids=lambda c: c.__name__)
def test_generic_constructor_positional_and_keyword(cls):
    names = list(DEFAULTS[cls])
    if cls in (O.Adam, O.AdamW):        # today's order: ..., amsgrad, lr (alias), eta
        names.insert(names.index('eta'), 'lr')
    values = [None if (cls in (O.Adam, O.AdamW) and n == 'lr') else OTHER[n] for n in names]
    expected = {n: OTHER[n] for n in DEFAULTS[cls]}
    assert cls(*values).hyperparameters() == expected
    assert cls(**expected).hyperparameters() == expected
    assert cls(*values[:1]).hyperparameters() == dict(DEFAULTS[cls], **{names[0]: values[0]})
    # None, as an argument, means the default
    assert cls(**{n: None for n in DEFAULTS[cls]}).hyperparameters() == DEFAULTS[cls]


def test_positional_order_of_todays_signatures():
    assert O.RMSprop(0.1, 0.5, 0.2).hyperparameters() == dict(lr=0.1, alpha=0.5, eps=0.2)
    assert O.RMSprop(0.1, None, 0.2, 0.5).alpha == 0.5      # decay_rate is 4th
    assert O.AdaDelta(0.5, 0.1, 0.25).hyperparameters() == dict(rho=0.5, eps=0.1, lr=0.25)
    adam = O.Adam(None, 0.5, 0.75, 0.1, 0.2, True, 0.3, 0.4)
    assert (adam.alpha, adam.beta1, adam.beta2, adam.eps, adam.weight_decay_rate,
            adam.amsgrad, adam.eta) == (0.3, 0.5, 0.75, 0.1, 0.2, True, 0.4)


def test_constructor_errors_name_the_class_and_argument():
    with pytest.raises(TypeError, match=r"SGD: got an unexpected keyword argument 'momentum' "
                                        r"\(its arguments: lr\)"):
        O.SGD(momentum=0.9)
    with pytest.raises(TypeError, match=r"Adam: .* 'beta3' \(its arguments: alpha, beta1"):
        O.get('adam', beta3=0.9)
    with pytest.raises(TypeError, match=r'MomentumSGD: too many positional arguments'):
        O.MomentumSGD(0.1, 0.9, 0.5)
    with pytest.raises(TypeError, match=r"AdaGrad: multiple values for argument 'lr'"):
        O.AdaGrad(0.1, lr=0.1)
    with pytest.raises(ValueError, match=r'RMSprop\.alpha must be <= 1'):
        O.RMSprop(alpha=1.5)
    with pytest.raises(ValueError, match=r'RMSprop\.rho \(alias of alpha\) must be <= 1'):
        O.RMSprop(rho=1.5)
    with pytest.raises(ValueError, match=r'AdamW\.beta2 must be < 1'):
        O.AdamW(beta2=1.0)
    with pytest.raises(TypeError, match=r'Adam\.amsgrad must be True or False'):
        O.Adam(amsgrad=1)
    with pytest.raises(TypeError, match=r'NesterovAG\.momentum must be a real number'):
        O.NesterovAG(momentum=True)
    with pytest.raises(TypeError, match=r"GradientClipping: missing a required argument: "
                                        r"'threshold'"):
        O.GradientClipping()
    assert str(inspect.signature(O.AdaDelta)) == '(rho=0.95, eps=1e-06, lr=1.0)'
    assert repr(O.GradientClipping(5)) == 'GradientClipping(threshold=5)'


def test_aliases():
    for kwargs in (dict(decay_rate=0.9), dict(rho=0.9), dict(alpha=0.9)):
        assert O.RMSprop(**kwargs).alpha == 0.9
    book_variant = O.RMSprop(lr=0.01, rho=0.9)
    assert book_variant.hyperparameters() == dict(lr=0.01, alpha=0.9, eps=1e-7)
    assert O.RMSprop(lr=0.01).rho == 0.99          # the book's default alpha stays
    adam = O.Adam(lr=0.01, rho1=0.8, rho2=0.9)
    assert (adam.alpha, adam.beta1, adam.beta2) == (0.01, 0.8, 0.9)
    assert (adam.lr, adam.rho1, adam.rho2) == (0.01, 0.8, 0.9)
    adam.rho2 = 0.5
    assert adam.beta2 == 0.5
    book_variant.decay_rate = 0.5
    assert book_variant.alpha == book_variant.rho == 0.5
    with pytest.raises(ValueError, match=r'Adam\.rho1 \(alias of beta1\) must be < 1'):
        adam.rho1 = 1.0
    assert adam.beta1 == 0.8
    for cls, a, b in [(O.RMSprop, 'alpha', 'rho'), (O.RMSprop, 'decay_rate', 'rho'),
                      (O.RMSprop, 'alpha', 'decay_rate'), (O.Adam, 'alpha', 'lr'),
                      (O.AdamW, 'beta1', 'rho1'), (O.Adam, 'beta2', 'rho2')]:
        with pytest.raises(TypeError, match=r'%s: %s and %s both set' % (cls.__name__, a, b)):
            cls(**{a: 0.5, b: 0.5})
    assert O.RMSProp is O.RMSprop and O.get('RMSProp', rho=0.5).alpha == 0.5
    # an alias gives the same steps as its target
    p1, p2 = {'W': W0.copy()}, {'W': W0.copy()}
    opt1, opt2 = O.Adam(alpha=0.1, beta1=0.8), O.Adam(lr=0.1, rho1=0.8)
    for g in GRADS:
        opt1.update(p1, {'W': g['W']})
        opt2.update(p2, {'W': g['W']})
    np.testing.assert_array_equal(p1['W'], p2['W'])


def test_registry_names():
    assert O.NAMES == ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'rmspropgraves',
                       'adadelta', 'adam', 'adamw', 'smorms3')
    assert [type(O.get(name)) for name in O.NAMES] == list(DEFAULTS)
    assert set(O.OPTIMIZERS.values()) == set(DEFAULTS)
    assert O.get('nesterov_ag').__class__ is O.NesterovAG


# ------------------------------------------------------------- saving every hyperparameter

def _run(opt, params, grads_list):
    for g in grads_list:
        opt.update(params, {'W': g['W'], 'b': g['b']})


@pytest.mark.parametrize('cls', list(DEFAULTS), ids=lambda c: c.__name__)
def test_state_dict_holds_every_hyperparameter(cls, tmp_path):
    other = {n: OTHER[n] for n in DEFAULTS[cls]}
    opt = cls(**other)
    params = {'W': W0.astype(np.float32), 'b': B0.astype(np.float32)}
    _run(opt, params, GRADS[:2])
    state = opt.state_dict()
    for name, value in other.items():
        assert state[name].shape == () and state[name].item() == value, name
    if 'amsgrad' in state:
        assert state['amsgrad'].dtype == np.bool_
    serializers.save_npz(tmp_path / 'opt.npz', opt)
    saved = {k: v.copy() for k, v in params.items()}
    _run(opt, params, GRADS[2:] * 2)

    resumed = serializers.load_npz(tmp_path / 'opt.npz', cls())       # built with defaults
    assert resumed.hyperparameters() == other and resumed.t == 2
    _run(resumed, saved, GRADS[2:] * 2)
    for k in params:
        np.testing.assert_array_equal(saved[k], params[k])
    assert set(resumed.state_dict()) == set(opt.state_dict())


def test_load_old_checkpoint_with_only_t_and_lr():
    params = {'W': W0.copy()}
    adam = O.Adam(alpha=0.1, beta1=0.8, amsgrad=True)
    adam.update(params, {'W': GRADS[0]['W']})
    saved = adam.state_dict()
    old = {'t': np.array(1, dtype=np.int64), 'lr': np.array(0.05),
           **{key: saved[key].copy() for key in ('W/m', 'W/v', 'W/vhat')}}
    fresh = O.Adam(beta1=0.8, amsgrad=True)
    fresh.load_state_dict(old)
    assert fresh.alpha == 0.05 and fresh.beta1 == 0.8 and fresh.t == 1   # the rest kept
    momentum = O.MomentumSGD(momentum=0.5)
    momentum.load_state_dict({'t': np.array(4), 'lr': np.array(0.2), 'W/v': np.ones(3)})
    assert momentum.hyperparameters() == dict(lr=0.2, momentum=0.5) and momentum.t == 4
    # a hyperparameter-less dict keeps them all; without strict, t may be missing too
    momentum.load_state_dict({}, strict=False)
    assert momentum.t == 4 and momentum.lr == 0.2


def test_load_state_dict_strictness_and_amsgrad_states():
    opt = O.Adam()
    good = {'t': np.array(2), 'W/m': np.zeros(3), 'W/v': np.zeros(3)}
    with pytest.raises(ValueError, match=r"unexpected key 'momentum'.*unexpected key 'W/q'"):
        opt.load_state_dict(dict(good, momentum=np.array(0.9), **{'W/q': np.zeros(3)}))
    opt.load_state_dict(dict(good, momentum=np.array(0.9), **{'W/q': np.zeros(3)}),
                        strict=False)
    assert opt.t == 2 and set(opt.state_dict()) >= {'W/m', 'W/v'}
    assert 'W/q' not in opt.state_dict()
    # the saved amsgrad decides which states are expected
    with pytest.raises(ValueError, match=r"missing 'W/vhat'"):
        opt.load_state_dict(dict(good, amsgrad=np.array(True)))
    opt.load_state_dict(dict(good, amsgrad=np.array(True), **{'W/vhat': np.ones(3)}))
    assert opt.amsgrad is True
    params = {'W': np.zeros(3)}
    opt.update(params, {'W': np.ones(3)})
    np.testing.assert_array_equal(opt.state_dict()['W/vhat'], 1.0)


# ------------------------------------------------------------- the book's view of the state

@pytest.mark.parametrize('cls, names', [(O.Momentum, ['v']), (O.Nesterov, ['v']),
                                        (O.AdaGrad, ['h']), (O.RMSprop, ['h']),
                                        (O.Adam, ['m', 'v'])])
def test_book_state_attributes_are_the_live_arrays(cls, names):
    opt = cls()
    params = {'W1': W0.copy(), 'b1': B0.copy()}
    assert all(getattr(opt, name) is None for name in names)     # as the book's self.v = None
    opt.update(params, {'W1': GRADS[0]['W'], 'b1': GRADS[0]['b']})
    for name in names:
        state = getattr(opt, name)
        assert list(state) == ['W1', 'b1']
        assert state['W1'] is opt._states['W1'][name]
    before = {name: getattr(opt, name)['W1'].copy() for name in names}
    live = {name: getattr(opt, name)['W1'] for name in names}
    opt.update(params, {'W1': GRADS[1]['W'], 'b1': GRADS[1]['b']})
    for name in names:
        assert not np.array_equal(live[name], before[name])     # updated in place


def test_book_state_values_and_adam_iter():
    params = {'W1': W0.copy()}
    momentum = O.Momentum(lr=0.1, momentum=0.8)
    momentum.update(params, {'W1': GRADS[0]['W']})
    np.testing.assert_array_equal(momentum.v['W1'], -(0.1 * GRADS[0]['W']))   # v = -lr*g
    adagrad = O.AdaGrad()
    adagrad.update({'W1': W0.copy()}, {'W1': GRADS[0]['W']})
    np.testing.assert_array_equal(adagrad.h['W1'], GRADS[0]['W'] ** 2)
    adam = O.Adam()
    for g in GRADS:
        adam.update(params, {'W1': g['W']})
    assert adam.iter == adam.t == 3
    adam.iter = 5
    assert adam.t == 5
    with pytest.raises(AttributeError):
        O.SGD().v
    with pytest.raises(AttributeError):
        O.Adam().vhat                   # kept with amsgrad only


def test_schedule_load_state_dict_checks_everything():
    opt = O.SGD(lr=0.1)
    sched = O.StepDecay(opt, step_size=1, gamma=0.5)
    sched.step()
    with pytest.raises(ValueError, match=r"'epoch' must be an integer >= 0.*'base_lr' "
                                         r"must be >= 0.*unexpected key 'gamma'"):
        sched.load_state_dict({'epoch': np.array(-1), 'base_lr': np.array(-0.1),
                               'gamma': np.array(0.5)})
    with pytest.raises(ValueError, match="missing 'epoch'"):
        sched.load_state_dict({'base_lr': np.array(0.1)})
    assert sched.epoch == 1 and opt.lr == 0.05          # nothing changed
    sched.load_state_dict({'epoch': np.array(3), 'base_lr': np.array(0.2), 'gamma': 1},
                          strict=False)
    assert sched.epoch == 3 and opt.lr == 0.2 * 0.5 ** 3
    with pytest.raises(AttributeError, match="no hyperparameter 'v'"):
        O.StepDecay(O.Momentum(), step_size=1, attr='v')       # a state, not a hyperparameter
    with pytest.raises(ValueError, match=r'StepDecay\.gamma must be > 0'):
        O.StepDecay(opt, step_size=1, gamma=0.0)
    with pytest.raises(ValueError, match=r'StepDecay: step_size must be an integer >= 1'):
        O.StepDecay(opt, step_size=2.0)


# ------------------------------------------------------------- plain numbers as parameters
@pytest.mark.parametrize('case', sorted(CASES))
def test_numbers_in_the_params_dict_are_replaced_by_new_numbers(case):
    """Ch. 6 optimizes f(x, y) = x**2 / 20 + y**2 from params['x'] = -7.0: the rule runs on
    numbers as on arrays, and each step puts a new number in the dict (a history list
    of params['x'] keeps every step, as with the book's rebinding ``params[key] -= ...``)."""
    cls, kwargs, ref = CASES[case]
    opt = cls(**kwargs)
    params = {'x': -7.0, 'y': 2}
    state = {'x': {}, 'y': {}}
    expected = {'x': np.float64(-7.0), 'y': np.float64(2.0)}
    history = []
    for t in range(1, 4):
        history.append(params['x'])
        grads = {'x': params['x'] / 10.0, 'y': 2.0 * params['y']}
        opt.update(params, grads)
        expected = {k: ref(expected[k], grads[k], state[k], t) for k in expected}
        for key in params:
            assert np.ndim(params[key]) == 0 and not isinstance(params[key], np.ndarray)
            assert float(params[key]) == pytest.approx(float(expected[key]), abs=1e-12)
    assert history[0] == -7.0 and len(set(map(float, history))) == 3


def test_the_listings_optimizer_arguments_from_keisan_book():
    """RMSProp(lr, rho), AdaDelta(rho), Adam(lr, rho1, rho2) next to the book's names,
    imported as the book's scripts import them."""
    from keisan.book.optimizer import AdaDelta, Adam, RMSProp, RMSprop
    assert (RMSProp(lr=0.01, rho=0.9).lr, RMSProp(lr=0.01, rho=0.9).alpha) == (0.01, 0.9)
    assert RMSprop(lr=0.01, decay_rate=0.9).alpha == 0.9
    assert AdaDelta(rho=0.9).rho == 0.9
    adam = Adam(0.01, rho1=0.8, rho2=0.99)
    assert (adam.alpha, adam.beta1, adam.beta2) == (0.01, 0.8, 0.99)
