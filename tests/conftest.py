"""Shared test configuration: seeding, the GPU switch and the device fixture.

GPU cases run only with ``pytest --gpu`` or ``KEISAN_TEST_GPU=1`` on a machine
where CuPy sees a CUDA device; everywhere else they are skipped with a reason.
"""
import os

import numpy as np
import pytest

import keisan as ks
from keisan import cuda


def pytest_addoption(parser):
    parser.addoption('--gpu', action='store_true', default=False,
                     help='also run the GPU (CuPy) variants of device-parametrized tests')


def gpu_requested(config):
    return config.getoption('--gpu') or os.environ.get('KEISAN_TEST_GPU') == '1'


@pytest.fixture(autouse=True)
def _isolate_global_state(monkeypatch, tmp_path_factory):
    """Every test starts from a seeded global RNG, default config and no user data dir."""
    np.random.seed(0)
    monkeypatch.setenv('KEISAN_DATA', str(tmp_path_factory.mktemp('keisan-data')))
    saved = (ks.config.train, ks.config.enable_backprop, ks.config.dtype)
    yield
    ks.config.train, ks.config.enable_backprop, ks.config.dtype = saved


@pytest.fixture(params=['cpu', pytest.param('gpu', marks=pytest.mark.gpu)])
def xp(request):
    """The array module of the device under test: numpy, or cupy with --gpu."""
    if request.param == 'cpu':
        return np
    if not gpu_requested(request.config):
        pytest.skip('GPU tests need --gpu or KEISAN_TEST_GPU=1')
    try:
        return cuda.get_cupy('GPU tests')
    except RuntimeError as e:
        pytest.skip(str(e))
