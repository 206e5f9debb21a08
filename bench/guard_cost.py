"""What the Trainer's numerics guard costs: SimpleConvNet steps with and without the
per-step loss check, interleaved, plus the check itself, the per-epoch parameter check
and the data check at construction.

Steps are timed in CPU time of this process (``time.process_time``, one BLAS thread),
which a busy shared machine disturbs less than wall time.

    OPENBLAS_NUM_THREADS=1 python3 bench/guard_cost.py [--blocks 10 --steps 30]

Needs Fashion-MNIST (apt-get install -y dataset-fashion-mnist). Prints Markdown lines
for docs/BENCHMARKS.md.
"""
import argparse
import os
import statistics
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keisan.datasets import check_finite_data, load_fashion_mnist  # noqa: E402
from keisan.training import Trainer, TrainerOptions, build_model  # noqa: E402


def make_trainer(x, t, check_finite):
    np.random.seed(0)
    return Trainer(build_model('simple_conv'), x, t, x[:100], t[:100], epochs=1,
                   mini_batch_size=100, optimizer='adam', optimizer_param={'lr': 1e-3},
                   verbose=False, options=TrainerOptions(seed=0, check_finite=check_finite,
                                                         progress=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--blocks', type=int, default=10, help='blocks per setting')
    parser.add_argument('--steps', type=int, default=30, help='steps per block')
    args = parser.parse_args()
    (x, t), _ = load_fashion_mnist(flatten=False, download=False)
    trainers = {flag: make_trainer(x, t, flag) for flag in (True, False)}
    batches = [tuple(b) for _, b in zip(range(args.steps), trainers[True].loader)]
    for trainer in trainers.values():                # warm-up
        for xb, tb in batches[:3]:
            trainer.train_step(xb, tb)
    per_step = {True: [], False: []}
    for block in range(args.blocks):
        for flag in ((True, False) if block % 2 else (False, True)):    # interleaved
            trainer = trainers[flag]
            start = time.process_time()
            for xb, tb in batches:
                trainer.train_step(xb, tb)
            per_step[flag].append((time.process_time() - start) / len(batches))
    on, off = (statistics.median(per_step[f]) * 1e3 for f in (True, False))
    paired = sorted(100 * (a - b) / b for a, b in zip(per_step[True], per_step[False]))
    guard = trainers[True]
    check = min(timeit.repeat(lambda: guard._check_loss(2.3), number=100000, repeat=5)) / 1e5
    params = min(timeit.repeat(guard._check_parameters, number=20, repeat=5)) / 20
    data = min(timeit.repeat(lambda: check_finite_data(x, 'x'), number=1, repeat=3))
    print('| SimpleConvNet step, batch 100, check on (CPU time) | %.2f ms |' % on)
    print('| same, check off (`--no-nan-check`) | %.2f ms |' % off)
    print('| difference of the medians (%d interleaved blocks of %d steps each) | %+.2f%% '
          '(block pairs: %+.1f%% to %+.1f%%) |'
          % (args.blocks, args.steps, 100 * (on - off) / off, paired[0], paired[-1]))
    print('| the per-step check alone (`math.isfinite` on the loss) | %.2f us = %.4f%% of a '
          'step |' % (check * 1e6, 100 * check * 1e3 / off))
    print('| per-epoch parameter check (all %d arrays) | %.3f ms |'
          % (len(guard.network.state_dict()), params * 1e3))
    print('| data check at construction, 60000x1x28x28 float32 | %.0f ms |' % (data * 1e3))


if __name__ == '__main__':
    main()
