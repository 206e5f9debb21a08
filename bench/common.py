"""Helpers shared by the CPU benchmarks (bench_cpu.py, time_to_accuracy.py).

* threads: the environment a child process needs so that OpenBLAS (NumPy),
  OpenMP and MKL (PyTorch) use ``n`` threads, and running such a child;
* the seed networks, a PyTorch twin of each built from the keisan network's
  own layer list (weights copied, so both frameworks do the same arithmetic),
  and a correctness check of losses and gradients;
* an interleaved timing loop (median of alternating samples);
* machine, version and thread information;
* plain-text table formatting.

NumPy is imported at the top; PyTorch only inside the functions that need it,
so this module (and the report writer in bench_cpu.py) works without torch.
Thread environment variables only take effect if they are set before NumPy
and torch are imported, which is why both scripts time in child processes
started with :func:`thread_env`.
"""
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
if REPO_ROOT not in sys.path:          # measure the working tree, not an installed copy
    sys.path.insert(0, REPO_ROOT)

import keisan  # noqa: E402
from keisan import models  # noqa: E402
from keisan.kernels.threads import openblas_corename, openblas_function  # noqa: E402

THREAD_VARS = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')

#: agreement required by the correctness guard (see check_network)
RTOL, ATOL = 1e-4, 1e-5

#: heading of the section that time_to_accuracy.py --write maintains in BENCHMARKS.md
TTA_HEADING = '## Time to accuracy'
#: heading of the section that bench_mpi.py --write maintains in BENCHMARKS.md
MPI_HEADING = '## Data parallel (MPI)'


# ----- threads and child processes ------------------------------------------------
def thread_env(n, unset=()):
    """A copy of os.environ with the BLAS/OpenMP thread variables set to ``n``.

    ``unset`` names variables to remove (``--coretype-compare`` drops
    OPENBLAS_CORETYPE). Everything else of the user's environment is kept.
    """
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(n)
    for var in unset:
        env.pop(var, None)
    return env


def run_child(script, args, env, launcher=()):
    """Run ``python3 script args`` with ``env`` and wait; returns its JSON result.

    The child writes its result to the file named by ``--result-file``; its
    stdout and stderr go to ours (progress messages). ``launcher``: words in front
    of the command (``mpiexec -n 2``: every process gets the same arguments).
    """
    import tempfile
    fd, path = tempfile.mkstemp(prefix='keisan-bench-', suffix='.json')
    os.close(fd)
    try:
        cmd = list(launcher) + [sys.executable, script] + list(args) + ['--result-file', path]
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0:
            raise RuntimeError('benchmark child failed (exit %d): %s'
                               % (proc.returncode, ' '.join(cmd)))
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def write_result(path, result):
    with open(path, 'w') as f:
        json.dump(result, f)


def set_torch_threads(n):
    """torch.set_num_threads(n) in a child whose environment already says n."""
    import torch
    torch.set_num_threads(n)


def names_option(parser, text, known, flag='--only'):
    """The comma-separated names in ``text`` (the value of ``flag``), each one of ``known``;
    a usage error through ``parser`` names the unknown ones."""
    names = tuple(name.strip() for name in text.split(',') if name.strip())
    unknown = [name for name in names if name not in known]
    if unknown:
        parser.error('%s: unknown %s (known: %s)' % (flag, ', '.join(unknown), ', '.join(known)))
    return names


def progress(message):
    print(message, file=sys.stderr, flush=True)


# ----- the seed networks and their data ---------------------------------------------
#: name -> input shape of one example
INPUT_SHAPES = {'two_layer': (784,), 'mlp': (784,), 'simple_conv': (1, 28, 28),
                'deep_conv': (1, 28, 28)}

DESCRIPTIONS = {
    'two_layer': 'TwoLayerNet 784-50-10',
    'mlp': 'MultiLayerNet 784-100x6-10',
    'simple_conv': 'SimpleConvNet conv30x5x5-pool-100-10',
    'deep_conv': 'DeepConvNet (6 conv, 3 pool, dropout 0.5)',
}


def make_net(name, seed=0, dropout_off=False, dtype=np.float32):
    """The keisan network ``name`` with weights drawn after ``np.random.seed(seed)``.

    Book configurations throughout. ``dropout_off`` builds DeepConvNet with
    dropout ratio 0 (for the correctness check, where random masks would make
    the frameworks differ). ``dtype``: of the parameters (float32, as timed).
    """
    np.random.seed(seed)
    if name == 'two_layer':
        return models.TwoLayerNet(784, 50, 10, dtype=dtype)
    if name == 'mlp':
        return models.MultiLayerNet(784, [100] * 6, 10, dtype=dtype)
    if name == 'simple_conv':
        return models.SimpleConvNet(dtype=dtype)
    if name == 'deep_conv':
        return models.DeepConvNet(dropout_ratio=0.0 if dropout_off else 0.5, dtype=dtype)
    raise ValueError('unknown network %r (known: %s)' % (name, ', '.join(INPUT_SHAPES)))


def training_flops(net, input_shape, batch):
    """Multiply-adds x 2 of one training step of the book network ``net`` at ``batch``:
    each Convolution and Affine does its GEMM three times (forward, weight gradient, input
    gradient), the first one twice (the data needs no gradient). Counted from the
    layers' own shapes on one example."""
    x = np.zeros((1,) + tuple(input_shape), np.float32)
    per_pass = []
    for layer in net.layer_list():
        y = layer.forward(x, False)
        w = getattr(layer, 'W', None)
        if w is not None and np.ndim(w) == 4:       # out pixels x (C * kh * kw) each
            per_pass.append(2 * y.size * int(np.prod(np.shape(w)[1:])))
        elif w is not None:
            per_pass.append(2 * np.size(w))
        x = y
    return batch * (2 * per_pass[0] + 3 * sum(per_pass[1:]))


def gemm_rate(size=1024, repeat=5):
    """This process's float32 GEMM rate with NumPy (FLOP/s, the best of ``repeat``
    products of two size x size matrices), at the BLAS thread count it runs with."""
    import time
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(_elapsed(time.perf_counter, lambda: a @ b) for _ in range(repeat))
    return 2 * size ** 3 / best


def _elapsed(clock, fn):
    start = clock()
    fn()
    return clock() - start


def make_batch(name, batch, seed=0, dtype=np.float32):
    """Random inputs in [0, 1) of the network's input shape and int64 labels."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch,) + INPUT_SHAPES[name]).astype(dtype)
    t = rng.integers(0, 10, batch, dtype=np.int64)
    return x, t


# ----- PyTorch twins ----------------------------------------------------------------
def torch_twin(net):
    """A torch.nn.Sequential doing what ``net`` does, with ``net``'s weights copied.

    Built from ``net.layer_list()``: Affine -> Linear (keisan's W is (in, out),
    torch's weight (out, in): transposed), Convolution -> Conv2d (same layout),
    Pooling -> MaxPool2d, Relu -> ReLU, Sigmoid -> Sigmoid, Dropout -> Dropout
    (PyTorch's inverted dropout: the book's scales at test time instead, so
    outputs agree only with dropout ratio 0). A Flatten precedes the first
    Linear after a spatial layer, as keisan's Affine reshapes (N, C, H, W) to
    (N, C*H*W) in the same order.

    The model gets the dtype of ``net``'s parameters. Returns (model, pairs):
    ``pairs`` lists (params key, torch parameter, transposed) so gradients can
    be compared and weights copied again.
    """
    import torch
    from torch import nn

    key_of = {id(array): key for key, array in net.params.items()}
    modules, pairs, spatial = [], [], False
    for layer in net.layer_list():
        kind = type(layer).__name__
        if kind == 'Affine':
            if spatial:
                modules.append(nn.Flatten())
                spatial = False
            mod = nn.Linear(layer.W.shape[0], layer.W.shape[1])
            pairs += [(key_of[id(layer.W)], mod.weight, True),
                      (key_of[id(layer.b)], mod.bias, False)]
        elif kind == 'Convolution':
            out_c, in_c, kh, kw = layer.W.shape
            mod = nn.Conv2d(in_c, out_c, (kh, kw), stride=layer.stride, padding=layer.pad)
            pairs += [(key_of[id(layer.W)], mod.weight, False),
                      (key_of[id(layer.b)], mod.bias, False)]
            spatial = True
        elif kind == 'Pooling':
            mod = nn.MaxPool2d((layer.pool_h, layer.pool_w), stride=layer.stride,
                               padding=layer.pad)
        elif kind == 'Relu':
            mod = nn.ReLU()
        elif kind == 'Sigmoid':
            mod = nn.Sigmoid()
        elif kind == 'Dropout':
            mod = nn.Dropout(layer.dropout_ratio)
        else:
            raise NotImplementedError('torch_twin: no PyTorch counterpart for layer %s' % kind)
        modules.append(mod)
    model = nn.Sequential(*modules).to(torch.from_numpy(np.zeros(0, net.dtype)).dtype)
    copy_weights(net, pairs)
    return model, pairs


def copy_weights(net, pairs):
    """Copy keisan's parameter arrays into the torch parameters of ``pairs``."""
    import torch
    with torch.no_grad():
        for key, param, transposed in pairs:
            array = net.params[key]
            param.copy_(torch.from_numpy(np.ascontiguousarray(array.T if transposed
                                                              else array)))


def torch_grads(pairs):
    """Gradients of the torch parameters in keisan's layout, keyed like ``net.params``."""
    return {key: (param.grad.T if transposed else param.grad).numpy().copy()
            for key, param, transposed in pairs}


def torch_batch(x, t):
    import torch
    return torch.from_numpy(x), torch.from_numpy(t)


def compare_arrays(got, ref, rtol=RTOL, atol=ATOL):
    """(max |got - ref|, worst |got - ref| / (atol + rtol |ref|)); <= 1 means allclose."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    diff = np.abs(got - ref)
    return float(diff.max()), float((diff / (atol + rtol * np.abs(ref))).max())


def framework_outputs(name, seed=0, batch=100, dtype=np.float32):
    """Loss, inference scores and gradients of keisan (both APIs) and its PyTorch twin.

    Same weights and batch in ``dtype``, dropout off (ratio 0) so all three do
    deterministic, identical work. Returns (checks, keisan_dtypes, losses):
    ``checks`` maps a description to (keisan value, PyTorch value).
    """
    import torch
    import torch.nn.functional as tF

    net = make_net(name, seed, dropout_off=True, dtype=dtype)
    model, pairs = torch_twin(net)
    x, t = make_batch(name, batch, seed + 1, dtype)
    xt, tt = torch_batch(x, t)

    book_grads = {k: g.copy() for k, g in net.gradient(x, t).items()}
    book_loss = net.last_layer.loss
    net.cleargrads()
    loss = net.forward_loss(x, t)
    loss.backward()
    dbr_grads = {key: p.grad.copy() for key, p in net.namedparams()}
    book_scores = net.predict(x, train_flg=False)
    with keisan.no_grad(), keisan.test_mode():
        dbr_scores = net(x).data

    model.train()
    model.zero_grad(set_to_none=True)
    tloss = tF.cross_entropy(model(xt), tt)
    tloss.backward()
    ref_grads = torch_grads(pairs)
    model.eval()
    with torch.inference_mode():
        ref_scores = model(xt).numpy()

    ref_loss = tloss.item()
    checks = {'loss (book)': (book_loss, ref_loss), 'loss (dbr)': (loss.data, ref_loss),
              'scores (book predict)': (book_scores, ref_scores),
              'scores (dbr no_grad)': (dbr_scores, ref_scores)}
    for key in net.params:
        checks['grad %s (book)' % key] = (book_grads[key], ref_grads[key])
        checks['grad %s (dbr)' % key] = (dbr_grads[key], ref_grads[key])
    dtypes = {np.asarray(got).dtype for what, (got, _) in checks.items()}
    return checks, dtypes, (float(book_loss), ref_loss)


def worst(checks, select=lambda what: True):
    """(worst err/tol, where, max abs error) over the selected checks."""
    ratio, where, abs_max = 0.0, '', 0.0
    for what, (got, ref) in checks.items():
        if select(what):
            abs_err, r = compare_arrays(got, ref)
            abs_max = max(abs_max, abs_err)
            if r >= ratio:
                ratio, where = r, what
    return ratio, where, abs_max


def check_network(name, seed=0, batch=100):
    """Correctness guard: keisan (both APIs) vs PyTorch on the same weights and batch.

    Judged with ``allclose(rtol=RTOL, atol=ATOL)`` (err/tol <= 1 passes):

    * float32, as timed: losses and inference scores must agree, and keisan's
      results must stay float32 (no silent float64 work);
    * float64, same code and weights: losses, scores and every gradient must agree.

    Float32 gradients are reported but not judged: ReLU and max pooling are
    discontinuous in their decisions (is this input > 0, which window entry is
    the max), and where two candidates lie within float32 rounding of each other
    the frameworks' different summation orders can decide differently and send a
    gradient elsewhere. That is legitimate and beyond any elementwise tolerance;
    in float64 such near-ties are ~1e9 times rarer.
    """
    def is_grad(what):
        return what.startswith('grad')

    checks32, dtypes32, (loss_k, loss_t) = framework_outputs(name, seed, batch, np.float32)
    fwd32, fwd32_at, abs32 = worst(checks32, lambda w: not is_grad(w))
    grad32, grad32_at, _ = worst(checks32, is_grad)
    checks64, _, _ = framework_outputs(name, seed, batch, np.float64)
    all64, all64_at, _ = worst(checks64)
    dtype_ok = dtypes32 == {np.dtype(np.float32)}
    ok = fwd32 <= 1.0 and all64 <= 1.0 and dtype_ok
    if not dtype_ok:
        where = 'float32 run returned %s' % ', '.join(sorted(str(d) for d in dtypes32))
    elif fwd32 > 1.0:
        where = fwd32_at + ', float32'
    elif all64 > 1.0:
        where = all64_at + ', float64'
    else:
        where = grad32_at + ', float32' if grad32 > fwd32 else fwd32_at + ', float32'
    return {'network': name, 'loss_keisan': loss_k, 'loss_torch': loss_t,
            'fwd32_tol_ratio': fwd32, 'fwd32_max_abs_err': abs32, 'grad32_tol_ratio': grad32,
            'all64_tol_ratio': all64, 'worst_at': where, 'checked': len(checks32),
            'dtype_ok': dtype_ok, 'ok': ok}


# ----- timing -----------------------------------------------------------------------
def interleaved_median(fns, repeat, warmup=2, target_s=0.02, pause_s=0.0):
    """Median seconds per call of each callable, measured in alternating samples.

    Args:
        fns: dict label -> zero-argument callable.
        repeat: samples per callable.
        warmup: untimed calls of each callable first (the fastest of them also
            picks how many calls one sample makes: about ``target_s`` worth).
        pause_s: sleep before each sample, so that the other library's BLAS or
            OpenMP threads, which spin for a while after their last job, are idle.

    Samples rotate the order (A B C, B C A, C A B, ...) so drift and
    "who runs after whom" affect every callable alike.

    Returns:
        dict label -> {'median', 'q1', 'q3', 'min', 'calls_per_sample', 'samples'}.
    """
    names = list(fns)
    calls = {}
    for name in names:
        best = float('inf')
        for _ in range(max(warmup, 1)):
            t0 = time.perf_counter()
            fns[name]()
            best = min(best, time.perf_counter() - t0)
        calls[name] = int(min(100000, max(1, target_s / max(best, 1e-7))))
    samples = {name: [] for name in names}
    for r in range(repeat):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn, n = fns[name], calls[name]
            if pause_s:
                time.sleep(pause_s)
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    out = {}
    for name in names:
        s = sorted(samples[name])
        q = statistics.quantiles(s, n=4) if len(s) > 1 else [s[0]] * 3
        out[name] = {'median': statistics.median(s), 'q1': q[0], 'q3': q[2], 'min': s[0],
                     'calls_per_sample': calls[name], 'samples': s}
    return out


# ----- machine, versions, threads ---------------------------------------------------
def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            lines = f.read().splitlines()
    except OSError:
        return platform.processor() or platform.machine(), None
    model, cores = None, set()
    phys = core = None
    for line in lines:
        key, _, value = line.partition(':')
        key, value = key.strip(), value.strip()
        if key == 'model name' and model is None:
            model = value
        elif key == 'physical id':
            phys = value
        elif key == 'core id':
            core = value
            cores.add((phys, core))
    return model or platform.machine(), len(cores) or None


def numpy_blas():
    """Name and version of the BLAS NumPy was built with, and the core whose kernels an
    OpenBLAS runs here (its build configuration names the build machine's)."""
    try:
        deps = np.show_config(mode='dicts')['Build Dependencies']
        blas = deps['blas']
        text = '%s %s' % (blas.get('name', '?'), blas.get('version', ''))
        config = blas.get('openblas configuration')
        text = text.strip() + (' (built: %s)' % config.strip() if config else '')
    except Exception:       # older NumPy: no mode='dicts'
        info = getattr(np.__config__, 'blas_opt_info', None) or {}
        text = ', '.join(info.get('libraries', [])) or 'unknown'
    corename = openblas_corename()
    return text + ('; running the %s kernels' % corename if corename else '')


def openblas_threads():
    """Threads of the OpenBLAS loaded in this process, asked through its C API (or None)."""
    get = openblas_function('get_num_threads')
    return None if get is None else int(get())


def torch_parallel_summary():
    import torch
    keep = ('at::get_num_threads', 'at::get_num_interop_threads', 'ATen parallel backend',
            'Math Kernel Library', 'MKL-DNN', 'OpenMP', 'omp_get_max_threads')
    lines = [line.strip() for line in torch.__config__.parallel_info().splitlines()]
    lines = [line.replace('Intel(R) oneAPI Math Kernel Library Version', 'MKL')
             .replace('Intel(R) MKL-DNN', 'oneDNN').split('-Product Build')[0]
             .split(' (Git Hash')[0] for line in lines if any(k in line for k in keep)]
    return '; '.join(lines)


def machine_info(with_torch=True):
    """Everything a result depends on besides the code: CPU, versions, BLAS, threads."""
    model, physical = cpu_model()
    info = {
        'cpu': model, 'logical_cpus': os.cpu_count(), 'physical_cores': physical,
        'affinity_cpus': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity')
        else None,
        'loadavg': _loadavg(),
        'python': platform.python_version(), 'numpy': np.__version__,
        'keisan': keisan.__version__, 'numpy_blas': numpy_blas(),
        'env': {var: os.environ.get(var) for var in THREAD_VARS + ('OPENBLAS_CORETYPE',)},
        'openblas_threads': openblas_threads(),
    }
    try:
        import threadpoolctl
        info['threadpoolctl'] = [
            '%s %s: %s threads' % (p.get('internal_api'), p.get('version'), p.get('num_threads'))
            for p in threadpoolctl.threadpool_info()]
    except ImportError:
        info['threadpoolctl'] = None
    if with_torch:
        import torch
        info['torch'] = torch.__version__
        info['torch_threads'] = torch.get_num_threads()
        info['torch_parallel'] = torch_parallel_summary()
    return info


def _loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return None


def describe_machine(info):
    """Lines describing the machine and versions (same for every thread count)."""
    return [
        'CPU: %s (%s logical CPUs, %s physical cores, %s usable)'
        % (info['cpu'], info['logical_cpus'], info['physical_cores'], info['affinity_cpus']),
        'Python %s, NumPy %s, PyTorch %s, keisan %s'
        % (info['python'], info['numpy'], info.get('torch', '-'), info['keisan']),
        "NumPy's BLAS: %s" % info['numpy_blas'],
        'OPENBLAS_CORETYPE: %s' % (info['env'].get('OPENBLAS_CORETYPE') or 'not set'),
    ]


def describe_threads(info):
    """Lines with the thread settings in effect in one child."""
    env = ', '.join('%s=%s' % (k, v if v is not None else 'unset')
                    for k, v in info['env'].items() if k in THREAD_VARS)
    lines = ['threads: %s; NumPy/OpenBLAS reports %s; torch.get_num_threads() = %s; '
             'OPENBLAS_CORETYPE %s'
             % (env, info['openblas_threads'] if info['openblas_threads'] is not None
                else 'unknown', info.get('torch_threads', '-'),
                info['env'].get('OPENBLAS_CORETYPE') or 'not set')]
    if info.get('threadpoolctl'):
        lines.append('threadpoolctl: ' + '; '.join(info['threadpoolctl']))
    if info.get('torch_parallel'):
        lines.append('torch parallel_info: ' + info['torch_parallel'])
    lines.append('load average at start: %s' % info['loadavg'])
    return lines


def rss_kib():
    """Current resident set size (KiB) from /proc/self/status."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def peak_rss_kib():
    """Peak resident set size of this process so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ----- text tables ------------------------------------------------------------------
def fmt_ms(seconds):
    """Milliseconds with about three significant digits ('-' for None)."""
    if seconds is None:
        return '-'
    ms = seconds * 1e3
    if ms >= 100:
        return '%.0f' % ms
    if ms >= 10:
        return '%.1f' % ms
    if ms >= 1:
        return '%.2f' % ms
    return '%.3g' % ms


def fmt_ratio(num, den):
    return '-' if num is None or den is None else '%.2f' % (num / den)


def text_table(header, rows):
    """Left-aligned first column, right-aligned others, separated by two spaces."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return '  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return '\n'.join([line(header), line(['-' * w for w in widths])] + [line(r) for r in rows])


def markdown_table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |',
           '|' + '|'.join(['---'] + ['---:'] * (len(header) - 1)) + '|']
    out += ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows]
    return '\n'.join(out)


# ----- Markdown report sections ---------------------------------------------------------
def extract_section(text, heading):
    """The section starting at a line ``heading...`` up to the next '#'/'##' heading, verbatim.

    Headings inside fenced code blocks do not count. Returns None if absent.
    """
    lines = text.splitlines(keepends=True)
    start, fenced = None, False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith('```') or stripped.startswith('~~~'):
            fenced = not fenced
            continue
        if fenced:
            continue
        if start is None:
            if line.startswith(heading):
                start = i
        elif line.startswith('# ') or line.startswith('## '):
            return ''.join(lines[start:i])
    return None if start is None else ''.join(lines[start:])


def write_section(path, heading, section, before='## Optimization log'):
    """Put ``section`` into the Markdown file ``path`` (created if missing) in place of its
    ``heading`` section, or in front of the ``before`` section."""
    text = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            text = f.read()
    text = replace_section(text, heading, section, before=before)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def replace_section(text, heading, section, before=None):
    """``text`` with its ``heading`` section replaced by ``section``; if there is none,
    ``section`` goes in front of the ``before`` section (or at the end)."""
    section = section.rstrip('\n') + '\n\n'
    old = extract_section(text, heading)
    if old is not None:
        return text.replace(old, section, 1)
    anchor = extract_section(text, before) if before else None
    if anchor is not None:
        return text.replace(anchor, section + anchor, 1)
    return text.rstrip('\n') + '\n\n' + section
