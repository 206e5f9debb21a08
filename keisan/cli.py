"""The ``keisan`` command: train, evaluate, predict and gradcheck the book's networks.

    keisan train --model simple_conv --dataset fashion-mnist --epochs 2 --out runs/sc
    keisan train ... --out runs/sc --epochs 4 --resume     # continue the same run
    keisan evaluate runs/sc
    keisan predict runs/sc shirt.png boot.jpg
    keisan gradcheck --model deep_conv
    mpiexec -n 2 keisan train ...      # data-parallel training on 2 processes

User errors (missing data, files or checkpoints, unreadable images, checkpoints
that do not fit) print one message to stderr and return exit code 2; a failed
gradient check returns 1.
"""
import argparse
import os
import sys

import numpy as np

import keisan
from keisan import cuda, distributed
from keisan import optimizers as O
from keisan.datasets import FASHION_MNIST_CLASSES, MNIST_CLASSES, DatasetError, get_dataset
from keisan.kernels import softmax
from keisan.training import (MODELS, RunDirectory, Trainer, TrainerOptions, build_model,
                             default_model_args, evaluate_network, gradcheck_model,
                             model_input_shape, read_checkpoint, takes_images)

DATASETS = ('mnist', 'fashion-mnist')
CLASS_NAMES = {'mnist': MNIST_CLASSES, 'fashion-mnist': FASHION_MNIST_CLASSES}
GRADCHECK_TOLERANCE = 1e-6




class CLIError(Exception):
    """A user error: printed as one line to stderr, exit code 2."""


def default_lr(optimizer):
    """The optimizer's own default learning rate (its class default, e.g. 1e-3 for Adam,
    1e-4 for RMSpropGraves, 1.0 for AdaDelta, whose lr only scales its own step)."""
    return O.get(optimizer).lr


# ----- shared helpers ---------------------------------------------------------------------
def _int_at_least(minimum, what):
    """An argparse type: an int >= ``minimum``, else a message saying ``what`` was expected."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError('expected %s, got %r' % (what, text))
        return value
    return parse


_positive_int = _int_at_least(1, 'a positive integer')
_nonnegative_int = _int_at_least(0, 'an integer >= 0')


def _load_data(dataset, model, data_dir=None, download=True, train_size=None, test_size=None):
    """(x_train, t_train), (x_test, t_test) shaped for ``model``, cut to the requested sizes."""
    (x_train, t_train), (x_test, t_test) = get_dataset(
        dataset, flatten=not takes_images(model), data_dir=data_dir, download=download)
    if train_size is not None:
        x_train, t_train = x_train[:train_size], t_train[:train_size]
    if test_size is not None:
        x_test, t_test = x_test[:test_size], t_test[:test_size]
    return (x_train, t_train), (x_test, t_test)


def _load_run(directory):
    """(network, config) of a run directory, or CLIError naming what is missing or wrong."""
    if not os.path.isdir(directory):
        raise CLIError('%s: no such directory' % directory)
    try:
        return RunDirectory(directory).load_model()
    except (FileNotFoundError, ValueError, TypeError) as e:
        raise CLIError(str(e)) from None


def _communicator():
    """The MPI communicator when ``keisan`` runs under mpiexec (or srun) with more than one
    process, else None; CLIError naming keisan[mpi] if mpi4py is missing, or saying that
    mpi4py's MPI is not the launcher's."""
    try:
        return distributed.launched_communicator()
    except (ImportError, RuntimeError) as e:
        raise CLIError(str(e)) from None


def _require_gpu():
    try:
        cuda.get_cupy('--device gpu')
    except RuntimeError as e:
        raise CLIError('%s, or use --device cpu' % e) from None


# ----- train --------------------------------------------------------------------------------
def cmd_train(args):
    comm = getattr(args, 'comm', None)
    if comm is not None:        # before anything is read or written
        comm.check_same('the arguments of keisan train', {
            '--' + key.replace('_', '-'): value for key, value in vars(args).items()
            if key not in ('func', 'comm', 'command', 'data_dir')})
        if args.device == 'gpu':
            raise CLIError('--device gpu: training on several processes runs on the CPU '
                           '(use --device cpu, or a single process for the GPU)')
        note = comm.share_cores()
        if note:
            print(note)
    run = RunDirectory(args.out or os.path.join('runs', '%s-%s' % (args.model, args.dataset)))
    if args.resume and not os.path.isfile(run.checkpoint_path):
        raise CLIError('--resume: no checkpoint in %s (expected %s); run without --resume '
                       'to start training' % (run.path, run.checkpoint_path))
    if args.device == 'gpu':
        _require_gpu()
    lr = args.lr if args.lr is not None else default_lr(args.optimizer)

    (x_train, t_train), (x_test, t_test) = _load_data(
        args.dataset, args.model, args.data_dir, not args.no_download, args.train_size,
        args.test_size)

    np.random.seed(args.seed)       # initial weights (and later dropout) draw from np.random
    model_args = default_model_args(args.model, args.weight_decay)
    network = build_model(args.model, model_args)
    try:
        optimizer = O.get(args.optimizer, lr=lr)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    if args.device == 'gpu':
        network.to_gpu()
        cuda.get_cupy().random.seed(args.seed)     # dropout on the GPU draws from CuPy

    try:
        if comm is None or comm.is_root:       # only rank 0 writes
            run.create()
    except ValueError as e:
        raise CLIError('--out %s' % e) from None
    if not args.resume and os.path.isfile(run.checkpoint_path):
        print('note: starting a new run in %s (the checkpoint there is replaced; '
              'use --resume to continue it)' % run.path)
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=args.epochs,
                      mini_batch_size=args.batch_size, optimizer=optimizer, out=run.path,
                      lr_schedule=args.lr_schedule,
                      options=TrainerOptions(seed=args.seed, mode=args.mode, device=args.device,
                                             progress=not args.no_progress), comm=comm)
    print('training %s on %s: %d training / %d test images, %s, batch %d, %d epochs -> %s'
          % (args.model, args.dataset, len(x_train), len(x_test), optimizer, args.batch_size,
             args.epochs, run.path))
    if args.resume:
        try:
            checkpoint = read_checkpoint(run.checkpoint_path)
            trainer.restore(checkpoint, run.checkpoint_path)
        except ValueError as e:
            raise CLIError(str(e)) from None
        lr = run.resumed_lr(trainer, lr)
    if comm is None or comm.is_root:
        run.write_config({
            'model': args.model, 'model_args': model_args, 'dataset': args.dataset,
            'optimizer': args.optimizer, 'optimizer_params': {'lr': lr},
            'lr_schedule': args.lr_schedule, 'weight_decay': args.weight_decay,
            'batch_size': args.batch_size, 'epochs': args.epochs, 'seed': args.seed,
            'train_size': int(len(x_train)), 'test_size': int(len(x_test)), 'mode': args.mode,
            'device': args.device, 'dtype': str(network.dtype),
            'classes': list(CLASS_NAMES[args.dataset]), 'keisan_version': keisan.__version__})
    try:
        trainer.train()
    except KeyboardInterrupt:
        print('\ninterrupted after epoch %d; continue with the same command plus --resume'
              % trainer.current_epoch, file=sys.stderr)
        return 130
    except OSError as e:        # disk full, directory removed, ... while saving an epoch
        raise CLIError('cannot write the run files in %s: %s' % (run.path, e)) from None
    print('saved %s in %s' % (', '.join(run.saved_files()), run.path))
    return 0


# ----- evaluate -----------------------------------------------------------------------------
def cmd_evaluate(args):
    network, config = _load_run(args.dir)
    dataset = config.get('dataset', 'fashion-mnist')
    if dataset not in CLASS_NAMES:
        raise CLIError('%s: unknown dataset %r in %s' % (args.dir, dataset, RunDirectory.CONFIG))
    _, (x_test, t_test) = _load_data(dataset, config['model'], args.data_dir,
                                     not args.no_download, test_size=args.test_size)
    loss, acc = evaluate_network(network, x_test, t_test, batch_size=args.batch_size)
    predicted = np.concatenate([
        network.predict(x_test[i:i + args.batch_size], train_flg=False).argmax(axis=1)
        for i in range(0, len(x_test), args.batch_size)])
    names = CLASS_NAMES[dataset]
    print('%s (%s) on the %s test set, %d images' % (args.dir, config['model'], dataset,
                                                     len(x_test)))
    print('test loss %.4f  test acc %.4f' % (loss, acc))
    print('per-class accuracy:')
    width = max(len(n) for n in names)
    for c, name in enumerate(names):
        mask = t_test == c
        total = int(mask.sum())
        if total:
            right = int((predicted[mask] == c).sum())
            print('  %-*s  %.4f  (%d/%d)' % (width, name, right / total, right, total))
        else:
            print('  %-*s  -       (0 images)' % (width, name))
    return 0


# ----- predict ------------------------------------------------------------------------------
def _read_image(path, shape):
    """Grayscale image resized to ``shape`` (H, W) as float32 in [0, 1], white on black.

    Returns ``(array, inverted)``. MNIST and Fashion-MNIST are light objects on a
    black background, so an image that looks dark-on-light is inverted: one whose
    mean brightness is above 0.5, or whose border (the background, for a centred
    object; catches an object that fills most of a white frame) is.
    """
    from PIL import Image
    resample = getattr(Image, 'Resampling', Image).BILINEAR
    try:
        with Image.open(path) as image:
            gray = image.convert('L').resize((shape[1], shape[0]), resample)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise CLIError('cannot read image %s: %s' % (path, e)) from None
    array = np.asarray(gray, dtype=np.float32) / np.float32(255.0)
    border = np.concatenate([array[0], array[-1], array[1:-1, 0], array[1:-1, -1]])
    inverted = float(array.mean()) > 0.5 or float(np.median(border)) > 0.5
    if inverted:
        array = 1.0 - array
    return array, inverted


def cmd_predict(args):
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise CLIError("predict needs Pillow to read images: pip install 'keisan[train]'") \
            from None
    network, config = _load_run(args.dir)
    names = config.get('classes') or CLASS_NAMES.get(config.get('dataset'), MNIST_CLASSES)
    input_shape = model_input_shape(config['model'], config.get('model_args', {}))
    hw = tuple(input_shape[1:]) if len(input_shape) == 3 else (28, 28)
    images = [_read_image(path, hw) for path in args.images]   # all readable before output
    x = np.stack([a for a, _ in images]).reshape((len(images),) + input_shape)
    scores = network.predict(x.astype(network.dtype), train_flg=False)
    probs = softmax(np.asarray(scores, dtype=np.float64), axis=1)
    for path, (_, inverted), p in zip(args.images, images, probs):
        top = np.argsort(-p, kind='stable')[:args.top or len(p)]
        note = '  (inverted: the image is dark on light)' if inverted else ''
        print('%s: %s%s' % (path, names[top[0]], note))
        for k in top:
            print('    %-12s %.3f' % (names[k], p[k]))
    return 0


# ----- gradcheck ----------------------------------------------------------------------------
def cmd_gradcheck(args):
    np.random.seed(args.seed)
    network, shape, classes = gradcheck_model(args.model)
    x = np.random.rand(3, *shape)
    t = np.random.randint(0, classes, size=3)
    print('gradcheck %s: %s in float64 with input %s, batch of 3, h=%g; '
          'mean |backprop - numerical|:' % (args.model, type(network).__name__, shape, args.h))
    # The book's h=1e-4 makes DeepConvNet fail for ~40% of seeds, because shifting a
    # parameter by 1e-4 moves some ReLU input across 0 (a kink); the default h=1e-6 is
    # still far above float64 rounding (about 1e-16 * loss / h).
    grad_numerical = network.numerical_gradient(x, t, h=args.h)
    grad_backprop = network.gradient(x, t)
    failed = []
    for key in network.params:
        diff = float(np.mean(np.abs(grad_backprop[key] - grad_numerical[key])))
        print('%s:%.1e' % (key, diff))
        if not diff <= GRADCHECK_TOLERANCE:
            failed.append(key)
    if failed:
        print('gradcheck %s FAILED: %s above %g' % (args.model, ', '.join(failed),
                                                     GRADCHECK_TOLERANCE), file=sys.stderr)
        return 1
    print('ok: every difference is below %g' % GRADCHECK_TOLERANCE)
    return 0


# ----- parser -------------------------------------------------------------------------------
def build_parser():
    parser = argparse.ArgumentParser(
        prog='keisan', description='Train and inspect the networks of "Deep Learning from '
        'Scratch" with keisan.')
    parser.add_argument('--version', action='version', version='keisan ' + keisan.__version__)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    models = list(MODELS)

    p = sub.add_parser('train', help='train a network and save the run in a directory',
                       description='Train a network; every epoch writes model.npz, '
                       'checkpoint.npz, metrics.csv/json and curves.png into --out.')
    p.add_argument('--model', choices=models, default='simple_conv')
    p.add_argument('--dataset', choices=DATASETS, default='fashion-mnist')
    p.add_argument('--optimizer', choices=O.NAMES, default='adam',
                   help='update rule (default adam); adamw is Adam with its own decoupled '
                   'weight decay (weight_decay_rate 1e-5 per step), besides --weight-decay')
    p.add_argument('--lr', type=float, default=None,
                   help="learning rate (default: the optimizer's own, e.g. 0.01 for sgd, "
                   '0.001 for adam, 1e-4 for rmspropgraves, 1.0 for adadelta)')
    p.add_argument('--epochs', type=_positive_int, default=5)
    p.add_argument('--lr-schedule', choices=('constant', 'cosine'), default='constant',
                   help='constant lr, or cosine annealing from --lr to 0 over --epochs '
                   '(a resumed run anneals over its own --epochs)')
    p.add_argument('--batch-size', type=_positive_int, default=100)
    p.add_argument('--weight-decay', type=float, default=0.0,
                   help="L2 weight decay lambda (the book's weight_decay_lambda): every "
                   "model's loss adds 0.5*lambda*sum(W**2) over its weights, not its biases "
                   '(default 0)')
    p.add_argument('--seed', type=int, default=0,
                   help='seeds np.random (weights, dropout) and the shuffling')
    p.add_argument('--train-size', type=_positive_int, default=None,
                   help='use the first N training images')
    p.add_argument('--test-size', type=_positive_int, default=None,
                   help='evaluate on the first N test images')
    p.add_argument('--out', default=None, help='run directory (default runs/MODEL-DATASET)')
    p.add_argument('--resume', action='store_true',
                   help='continue from OUT/checkpoint.npz, exactly as if never stopped')
    p.add_argument('--mode', choices=('book', 'autograd'), default='book',
                   help='backprop with network.gradient (book) or the define-by-run graph')
    p.add_argument('--device', choices=('cpu', 'gpu'), default='cpu')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--data-dir', default=None, help='dataset directory (default $KEISAN_DATA)')
    p.add_argument('--no-download', action='store_true',
                   help='fail instead of downloading missing dataset files')
    p.set_defaults(func=cmd_train)

    p = sub.add_parser('evaluate', help='test loss and accuracy (per class) of a trained run')
    p.add_argument('dir', help='run directory with config.json and model.npz')
    p.add_argument('--batch-size', type=_positive_int, default=100)
    p.add_argument('--test-size', type=_positive_int, default=None,
                   help='evaluate on the first N test images')
    p.add_argument('--data-dir', default=None)
    p.add_argument('--no-download', action='store_true')
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser('predict', help='classify image files with a trained run')
    p.add_argument('dir', help='run directory with config.json and model.npz')
    p.add_argument('images', nargs='+', metavar='IMAGE')
    p.add_argument('--top', type=_nonnegative_int, default=3,
                   help='list the N most likely classes with their probabilities (default 3; '
                   '0: all classes)')
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser('gradcheck', help='compare backprop with numerical gradients')
    p.add_argument('--model', choices=models, required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--h', type=float, default=1e-6,
                   help='central-difference step (default 1e-6; the book uses 1e-4)')
    p.set_defaults(func=cmd_gradcheck)
    return parser


def _command_of_process(argv, comm):
    """The command on one process of an MPI job (errors go to ``comm.run``)."""
    args = build_parser().parse_args(argv)
    args.comm = comm
    return args.func(args)


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    Usage errors (unknown options or model names) raise SystemExit(2) from argparse.
    Under mpiexec with several processes, every process runs the command
    (:meth:`keisan.distributed.Communicator.run`: rank 0 prints, a failure anywhere
    ends every process); ``train`` trains one model on all of them.
    """
    try:
        comm = _communicator()
    except CLIError as e:
        print('keisan: error: %s' % e, file=sys.stderr)
        return 2
    if comm is not None:        # every process runs the command; rank 0 reports errors
        return comm.run(lambda: _command_of_process(argv, comm), prog='keisan',
                        user_errors=(CLIError, DatasetError), agreement_first=True)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, DatasetError) as e:
        print('keisan %s: error: %s' % (args.command, e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('\nkeisan %s: interrupted' % args.command, file=sys.stderr)
        return 130
