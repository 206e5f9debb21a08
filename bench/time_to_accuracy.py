#!/usr/bin/env python3
"""Time for SimpleConvNet + Adam to reach a test accuracy on Fashion-MNIST: keisan vs PyTorch.

    python3 bench/time_to_accuracy.py [--target 0.88] [--max-epochs 3] [--threads N]
                                      [--quick] [--seed 0] [--eval-every 100]
                                      [--write docs/BENCHMARKS.md]

Both frameworks start from the same weights (keisan's SimpleConvNet, copied into
its PyTorch twin), train with Adam (alpha / lr 1e-3) at batch 100 on the same
batches (one permutation per epoch from ``np.random.default_rng(seed)``, used
by both), and are evaluated on the test set every ``--eval-every`` steps. keisan
uses the book API (``grads = net.gradient(x, t); opt.update(net.params, grads)``).
The two runs are sequential, in one process. Reported for each: the steps,
epochs and training wall time (without and with evaluation time) to the first
evaluation at or above the target, and the ratios keisan / PyTorch.

With ``--threads N`` the script re-runs itself in a child process with
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS = N set before NumPy
and PyTorch load; without it, the current environment is used as it is.
``--quick``: 5,000 training images, target 0.75, evaluation every 25 steps.
``--write PATH`` puts the result into PATH's "## Time to accuracy" section
(replaced if present, else inserted before the optimization log).
"""
import argparse
import datetime
import os
import sys
import time

import common

EVAL_BATCH = 1000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--target', type=float, default=None,
                   help='test accuracy to reach (default 0.88, quick 0.75)')
    p.add_argument('--max-epochs', type=int, default=3)
    p.add_argument('--threads', type=int, default=None,
                   help='run in a child with the BLAS/OpenMP thread variables set to N')
    p.add_argument('--quick', action='store_true',
                   help='5k training subset, target 0.75, evaluation every 25 steps')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--batch', type=int, default=100)
    p.add_argument('--eval-every', type=int, default=None,
                   help='steps between test-set evaluations (default 100, quick 25)')
    p.add_argument('--train-size', type=int, default=None,
                   help='use the first N training images (default all, quick 5000)')
    p.add_argument('--test-size', type=int, default=None,
                   help='evaluate on the first N test images (default all 10000)')
    p.add_argument('--write', metavar='PATH',
                   help="replace the '%s' section of this Markdown report" % common.TTA_HEADING)
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--result-file', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.target is None:
        args.target = 0.75 if args.quick else 0.88
    if args.eval_every is None:
        args.eval_every = 25 if args.quick else 100
    if args.train_size is None and args.quick:
        args.train_size = 5000
    if args.threads is not None and args.threads < 1:
        p.error('--threads must be >= 1')
    return args


def load_data(args):
    from keisan.datasets import load_fashion_mnist
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist(flatten=False)
    if args.train_size:
        x_train, t_train = x_train[:args.train_size], t_train[:args.train_size]
    if args.test_size:
        x_test, t_test = x_test[:args.test_size], t_test[:args.test_size]
    return x_train, t_train, x_test, t_test


def train_until(step, evaluate, x, t, perms, batch, eval_every, target):
    """Run ``step(xb, tb)`` over the epochs' permutations until ``evaluate()`` >= target.

    Evaluates every ``eval_every`` steps (and after the last step). The batch
    gathering ``x[idx]`` counts as training time (it is the same for both).
    """
    steps_per_epoch = len(x) // batch
    train_s = eval_s = 0.0
    steps, history = 0, []
    start = time.perf_counter()
    for perm in perms:
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            t0 = time.perf_counter()
            step(x[idx], t[idx])
            train_s += time.perf_counter() - t0
            steps += 1
            last = steps == steps_per_epoch * len(perms)
            if steps % eval_every == 0 or last:
                t0 = time.perf_counter()
                acc = evaluate()
                eval_s += time.perf_counter() - t0
                history.append((steps, acc))
                if acc >= target:
                    return dict(reached=True, steps=steps, epochs=steps / steps_per_epoch,
                                accuracy=acc, train_s=train_s, eval_s=eval_s,
                                wall_s=time.perf_counter() - start, history=history)
    return dict(reached=False, steps=steps, epochs=steps / max(steps_per_epoch, 1),
                accuracy=max(a for _, a in history) if history else None, train_s=train_s,
                eval_s=eval_s, wall_s=time.perf_counter() - start, history=history)


def run(args):
    import numpy as np
    import torch
    import torch.nn.functional as tF

    import keisan.optimizers as O

    if args.threads is not None:
        common.set_torch_threads(args.threads)
    info = common.machine_info()
    x_train, t_train, x_test, t_test = load_data(args)
    if len(x_train) < args.batch:
        raise SystemExit('time_to_accuracy: fewer training images (%d) than one batch (%d)'
                         % (len(x_train), args.batch))
    rng = np.random.default_rng(args.seed)
    perms = [rng.permutation(len(x_train)) for _ in range(args.max_epochs)]
    loop = dict(x=x_train, t=t_train, perms=perms, batch=args.batch,
                eval_every=args.eval_every, target=args.target)

    net = common.make_net('simple_conv', args.seed)
    model, _ = common.torch_twin(net)       # same initial weights, copied before training

    common.progress('[tta] keisan (book API) ...')
    opt = O.Adam(alpha=1e-3)

    def keisan_step(xb, tb):
        grads = net.gradient(xb, tb)
        opt.update(net.params, grads)

    def keisan_eval():
        return net.accuracy(x_test, t_test, batch_size=EVAL_BATCH)
    keisan_result = train_until(keisan_step, keisan_eval, **loop)

    common.progress('[tta] PyTorch ...')
    model.train()
    torch_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt_test, tt_test = common.torch_batch(x_test, t_test)

    def torch_step(xb, tb):
        torch_opt.zero_grad(set_to_none=True)
        loss = tF.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(tb))
        loss.backward()
        torch_opt.step()

    def torch_eval():
        model.eval()
        correct = 0
        with torch.inference_mode():
            for i in range(0, len(xt_test), EVAL_BATCH):
                scores = model(xt_test[i:i + EVAL_BATCH])
                correct += int((scores.argmax(dim=1) == tt_test[i:i + EVAL_BATCH]).sum())
        model.train()
        return correct / len(xt_test)
    torch_result = train_until(torch_step, torch_eval, **loop)

    return {'info': info, 'target': args.target, 'batch': args.batch,
            'eval_every': args.eval_every, 'max_epochs': args.max_epochs,
            'train_size': len(x_train), 'test_size': len(x_test), 'seed': args.seed,
            'keisan': keisan_result, 'torch': torch_result}


def result_table(res):
    """(header, rows, notes) of a result: one row per framework, then the ratios."""
    header = ['framework', 'reached', 'steps', 'epochs', 'test acc', 'train time (s)',
              'incl. eval (s)', 'ms/step']
    rows = []
    for label, key in (('keisan (book API)', 'keisan'), ('PyTorch', 'torch')):
        r = res[key]
        rows.append([label, 'yes' if r['reached'] else 'NO', r['steps'], '%.2f' % r['epochs'],
                     '-' if r['accuracy'] is None else '%.4f' % r['accuracy'],
                     '%.2f' % r['train_s'], '%.2f' % r['wall_s'],
                     '%.1f' % (1e3 * r['train_s'] / max(r['steps'], 1))])
    k, t = res['keisan'], res['torch']
    notes = []
    if k['reached'] and t['reached']:
        rows.append(['ratio keisan/torch', '', '', '', '', '%.2f' % (k['train_s'] / t['train_s']),
                     '%.2f' % (k['wall_s'] / t['wall_s']),
                     '%.2f' % ((k['train_s'] / k['steps']) / (t['train_s'] / t['steps']))])
        if k['steps'] != t['steps']:
            notes.append('the two reached the target at different evaluations (float32 '
                         'rounding and Adam eps placement differ slightly), so compare '
                         'ms/step too')
    else:
        notes.append('target not reached by %s within %d epochs: no time-to-accuracy ratio '
                     '(per-step time still compares)'
                     % (' and '.join(n for n, r in (('keisan', k), ('PyTorch', t))
                                     if not r['reached']), res['max_epochs']))
    for label, key in (('keisan', 'keisan'), ('PyTorch', 'torch')):
        notes.append('%s accuracy by step: %s' % (label, ', '.join(
            '%d:%.3f' % (s, a) for s, a in res[key]['history'])))
    return header, rows, notes


def title(res):
    return ('Time to accuracy: SimpleConvNet + Adam(1e-3), batch %d, Fashion-MNIST '
            '(%d train / %d test images), target test accuracy %.3f, evaluated every %d '
            'steps, at most %d epochs, seed %d'
            % (res['batch'], res['train_size'], res['test_size'], res['target'],
               res['eval_every'], res['max_epochs'], res['seed']))


def format_result(res):
    header, rows, notes = result_table(res)
    lines = [title(res)] + common.describe_machine(res['info']) + \
        common.describe_threads(res['info'])
    lines += ['', common.text_table(header, rows)]
    lines += [('note: ' + n) if n.startswith('the two') else n for n in notes]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None and not args.child:
        child = [a for a in (sys.argv[1:] if argv is None else argv)] + ['--child']
        result = common.run_child(os.path.abspath(__file__), child,
                                  common.thread_env(args.threads))
    else:
        result = run(args)
        if args.result_file:
            common.write_result(args.result_file, result)
            return 0
    print(format_result(result), flush=True)
    if args.write:
        argv_text = ' '.join(sys.argv[1:] if argv is None else argv)
        write_section(args.write, result, argv_text)
        print('wrote the %r section of %s' % (common.TTA_HEADING, args.write))
    return 0


def markdown_section(res, argv_text):
    """The result as the report's time-to-accuracy section (Markdown)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    header, rows, notes = result_table(res)
    out = [common.TTA_HEADING, '', 'Measured %s by `python3 bench/time_to_accuracy.py %s`.'
           % (now, argv_text), '', title(res) + '.', '']
    out += ['- ' + line for line in common.describe_machine(res['info'])
            + common.describe_threads(res['info'])] + ['']
    out += [common.markdown_table(header, rows), '']
    out += ['- ' + note for note in notes]
    return '\n'.join(out) + '\n'


def write_section(path, res, argv_text):
    common.write_section(path, common.TTA_HEADING, markdown_section(res, argv_text))


if __name__ == '__main__':
    sys.exit(main())
