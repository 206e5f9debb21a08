"""The ``keisan`` command: train, evaluate, predict and gradcheck the book's networks.

    keisan train --model simple_conv --dataset fashion-mnist --epochs 2 --out runs/sc
    keisan train ... --out runs/sc --epochs 4 --resume     # continue the same run
    keisan evaluate runs/sc
    keisan predict runs/sc shirt.png boot.jpg
    keisan evaluate --model deep_conv deep_convnet_params.pkl   # the book's ch08 weights
    keisan gradcheck --model deep_conv
    keisan graph --model simple_conv --out graph.svg       # the graph of one batch's loss
    keisan experiment batch-norm --out pictures/bn         # the book's figures, see --help
    mpiexec -n 2 keisan train ...      # data-parallel training on 2 processes

User errors (missing data, files or checkpoints, unreadable images, checkpoints
that do not fit, a run directory that already holds a run, a run that diverged to
NaN) print one message to stderr and return exit code 2; values out of range are
usage errors (exit code 2 from argparse); a failed gradient check returns 1.
"""
import argparse
import os
import sys

import numpy as np

import keisan
from keisan import cuda, distributed
from keisan import optimizers as O
from keisan import experiments
from keisan.datasets import CLASS_NAMES, MNIST_CLASSES, DatasetError, get_dataset
from keisan.kernels import softmax
from keisan.training import (MODELS, NonFiniteError, RunDirectory, Trainer, TrainerOptions,
                             build_model, default_model_args, evaluate_network,
                             gradcheck_model, load_network, model_input_shape,
                             read_checkpoint, takes_images)
from keisan.training.settings import CHOICES, RANGES
from keisan.utils import plot_graph

GRADCHECK_TOLERANCE = 1e-6
#: the smallest image ``predict`` reads (the networks see 28x28)
MIN_IMAGE_SIDE = 8
WEIGHTS_DATASET = 'mnist'       # what a weights file given with --model was trained on




class CLIError(Exception):
    """A user error: printed as one line to stderr, exit code 2."""


def default_lr(optimizer):
    """The optimizer's own default learning rate (its class default, e.g. 1e-3 for Adam,
    1e-4 for RMSpropGraves, 1.0 for AdaDelta, whose lr only scales its own step)."""
    return O.get(optimizer).lr


# ----- shared helpers ---------------------------------------------------------------------
def _load_data(dataset, model, data_dir=None, download=True, train_size=None, test_size=None):
    """(x_train, t_train), (x_test, t_test) shaped for ``model``, cut to the requested sizes."""
    (x_train, t_train), (x_test, t_test) = get_dataset(
        dataset, flatten=not takes_images(model), data_dir=data_dir, download=download)
    if train_size is not None:
        x_train, t_train = x_train[:train_size], t_train[:train_size]
    if test_size is not None:
        x_test, t_test = x_test[:test_size], t_test[:test_size]
    return (x_train, t_train), (x_test, t_test)


def _load_network(args):
    """(network, config) of ``args.dir``: a run directory, or with ``--model`` a weights file
    (:func:`keisan.training.load_network`); CLIError naming what is missing or wrong."""
    try:
        network, config = load_network(args.dir, args.model)
    except (FileNotFoundError, ValueError, TypeError) as e:
        if args.model is None:
            raise CLIError(str(e)) from None
        if isinstance(e, FileNotFoundError):
            raise CLIError("%s; with --model give a weights file (.npz, or the book's .pkl), "
                           'without it a run directory' % e) from None
        raise CLIError('%s (is it a %s?)' % (e, args.model)) from None
    if args.model is not None:
        return network, dict(config, dataset=args.dataset or WEIGHTS_DATASET)
    if args.dataset is not None:
        config = dict(config, dataset=args.dataset, classes=None)
    return network, config


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
def _check_run_directory(run, args):
    """A new run needs a directory without a run (or --overwrite); --resume a checkpoint."""
    if args.resume and args.overwrite:
        raise CLIError('--resume continues the run in %s and --overwrite replaces it: give '
                       'one of them' % run.path)
    if args.resume:
        if not os.path.isfile(run.checkpoint_path):
            raise CLIError('--resume: no checkpoint in %s (expected %s); run without --resume '
                           'to start training' % (run.path, run.checkpoint_path))
        return
    try:
        run.check_new_run(args.overwrite, how='continue it with --resume, or replace it with '
                          '--overwrite (its files are replaced when the first epoch ends)')
    except FileExistsError as e:
        raise CLIError('--out %s' % e) from None


def _refuse_changed_settings(run, recorded, config, lr_given):
    """--resume keeps every setting that gives the run's history its meaning: CLIError
    naming each one that ``config`` changes from the run's ``recorded`` config.json."""
    changed = run.changed_settings(recorded, config)
    keys = {key for key, _, _ in changed}
    described = []
    for key, old, new in changed:
        if key == 'model_args' and keys & {'model', 'weight_decay'} or \
                key == 'optimizer_params' and 'optimizer' in keys and not lr_given:
            continue                        # follows from those
        if key == 'optimizer_params':
            key, old, new = 'lr', old.get('lr'), new.get('lr')
        flag = '--' + key.replace('_', '-') if key not in ('model_args', 'dtype') else key
        described.append('%s %s (the run has %s)' % (flag, _show(new), _show(old)))
    if described:
        raise CLIError('--resume: %s was trained with other settings: %s; give the run\'s '
                       'settings, or start a new run with --overwrite'
                       % (run.path, ', '.join(described)))


def _show(value):
    return '%g' % value if isinstance(value, float) else str(value)


#: ``keisan train``'s settings that a resumed run takes from its config.json when they are
#: not given, and their defaults for a new run.
TRAIN_DEFAULTS = {'model': 'simple_conv', 'dataset': 'fashion-mnist', 'optimizer': 'adam',
                  'lr_schedule': 'constant', 'epochs': 5, 'batch_size': 100,
                  'weight_decay': 0.0, 'seed': 0, 'train_size': None, 'test_size': None}


def _fill_settings(args, run):
    """Give every setting the command line left out its value: the run's own with --resume
    (so that ``--resume`` alone continues a run as it was), else the default. Returns the
    run's config.json ({} for a new run)."""
    recorded = {}
    if args.resume and os.path.isfile(run.file(run.CONFIG)):
        try:
            recorded = run.load_config()
        except (FileNotFoundError, ValueError) as e:
            raise CLIError('--resume: %s' % e) from None
    for key, default in TRAIN_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, recorded.get(key, default))
    if args.lr is None:
        same = recorded.get('optimizer') == args.optimizer
        args.lr = recorded.get('optimizer_params', {}).get('lr') if same else None
        args.lr = default_lr(args.optimizer) if args.lr is None else args.lr
    return recorded


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
    run = RunDirectory(args.out or os.path.join('runs', '%s-%s' % (
        args.model or TRAIN_DEFAULTS['model'], args.dataset or TRAIN_DEFAULTS['dataset'])))
    _check_run_directory(run, args)
    lr_given = args.lr is not None
    recorded = _fill_settings(args, run)
    if args.device == 'gpu':
        _require_gpu()
    lr = args.lr
    model_args = default_model_args(args.model, args.weight_decay)
    settings = {
        'model': args.model, 'model_args': model_args, 'dataset': args.dataset,
        'optimizer': args.optimizer, 'optimizer_params': {'lr': lr},
        'lr_schedule': args.lr_schedule, 'weight_decay': args.weight_decay,
        'batch_size': args.batch_size, 'epochs': args.epochs, 'seed': args.seed,
        'dtype': str(keisan.config.dtype)}
    if recorded:                    # --resume: before loading any data
        _refuse_changed_settings(run, recorded, dict(settings, **{
            key: getattr(args, key) for key in ('train_size', 'test_size')
            if getattr(args, key) is not None}), lr_given)

    (x_train, t_train), (x_test, t_test) = _load_data(
        args.dataset, args.model, args.data_dir, not args.no_download, args.train_size,
        args.test_size)

    np.random.seed(args.seed)       # initial weights (and later dropout) draw from np.random
    network = build_model(args.model, model_args)
    try:
        optimizer = O.get(args.optimizer, lr=lr)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    if args.device == 'gpu':
        network.to_gpu()
        cuda.get_cupy().random.seed(args.seed)     # dropout on the GPU draws from CuPy

    # Written with the first epoch's model, never before (RunDirectory.save_epoch).
    run.config = dict(settings, train_size=int(len(x_train)), test_size=int(len(x_test)),
                      mode=args.mode, device=args.device, dtype=str(network.dtype),
                      classes=list(CLASS_NAMES[args.dataset]),
                      keisan_version=keisan.__version__)
    try:
        if comm is None or comm.is_root:       # only rank 0 writes
            run.create()
    except ValueError as e:
        raise CLIError('--out %s' % e) from None
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=args.epochs,
                      mini_batch_size=args.batch_size, optimizer=optimizer, out=run,
                      lr_schedule=args.lr_schedule,
                      options=TrainerOptions(seed=args.seed, mode=args.mode, device=args.device,
                                             progress=not args.no_progress,
                                             check_finite=not args.no_nan_check,
                                             overwrite=args.overwrite), comm=comm)
    print('training %s on %s: %d training / %d test images, %s, batch %d, %d epochs -> %s'
          % (args.model, args.dataset, len(x_train), len(x_test), optimizer, args.batch_size,
             args.epochs, run.path))
    if args.resume:
        try:
            trainer.restore(read_checkpoint(run.checkpoint_path), run.checkpoint_path)
        except ValueError as e:
            raise CLIError(str(e)) from None
    try:
        with np.errstate(over='ignore', invalid='ignore', divide='ignore'):
            trainer.train()         # the numerics guard reports a divergence, in one line
    except NonFiniteError as e:
        raise CLIError(str(e)) from None
    except KeyboardInterrupt:
        if trainer.current_epoch == 0:
            print('\ninterrupted before the first epoch ended: nothing was written to %s'
                  % run.path, file=sys.stderr)
        else:
            print('\ninterrupted after epoch %d; continue with the same command plus --resume'
                  % trainer.current_epoch, file=sys.stderr)
        return 130
    except OSError as e:        # disk full, directory removed, ... while saving an epoch
        raise CLIError('cannot write the run files in %s: %s' % (run.path, e)) from None
    print('saved %s in %s' % (', '.join(run.saved_files()), run.path))
    return 0


# ----- evaluate -----------------------------------------------------------------------------
def cmd_evaluate(args):
    network, config = _load_network(args)
    dataset = config.get('dataset', 'fashion-mnist')        # checked by load_config
    _, (x_test, t_test) = _load_data(dataset, config['model'], args.data_dir,
                                     not args.no_download, test_size=args.test_size)
    try:
        loss, acc, predicted = evaluate_network(network, x_test, t_test,
                                                batch_size=args.batch_size,
                                                return_predicted=True)
    except NonFiniteError as e:     # finite parameters whose scores overflow
        raise CLIError('%s: %s' % (args.dir, e)) from None
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
    """A grayscale image resized to ``shape`` (H, W) as float32 in [0, 1], light on dark.

    Returns ``(array, inverted)``. The rules, in order:

    * values: 8-bit images (and palettes, colour: their luminance) are divided by
      255, 16-bit ones by 65535; float images are taken as they are when they lie in
      [0, 1], else stretched from their minimum to their maximum;
    * transparency (RGBA, LA, a palette or colour key with a transparent entry): the
      shape is taken from the alpha channel; transparent pixels become the
      background, and the background is the one that makes the object stand out:
      white behind a dark object (the mean of the visible pixels, weighted by alpha,
      below 0.5), black behind a light one;
    * MNIST and Fashion-MNIST are light objects on a black background, so an image
      that looks dark-on-light is inverted: one whose mean brightness is above
      0.5, or whose border (the background, for a centred object; catches an object
      that fills most of a white frame) is.

    Images smaller than ``MIN_IMAGE_SIDE`` pixels a side, fully transparent ones and
    float images with NaN or inf are refused (CLIError).
    """
    from PIL import Image
    resample = getattr(Image, 'Resampling', Image).BILINEAR
    try:
        with Image.open(path) as image:
            gray, alpha = _gray_and_alpha(image)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise CLIError('cannot read image %s: %s' % (path, e)) from None
    if min(gray.shape) < MIN_IMAGE_SIDE:
        raise CLIError('image %s is %dx%d pixels; predict needs at least %dx%d'
                       % (path, gray.shape[1], gray.shape[0], MIN_IMAGE_SIDE, MIN_IMAGE_SIDE))
    if not np.isfinite(gray).all():
        raise CLIError('image %s holds NaN or infinite values' % path)
    if alpha is not None:
        if not alpha.any():
            raise CLIError('image %s is fully transparent: there is nothing to classify' % path)
        background = 1.0 if (gray * alpha).sum() / alpha.sum() < 0.5 else 0.0
        gray = alpha * gray + (1.0 - alpha) * background
    resized = Image.fromarray(gray.astype(np.float32), mode='F').resize((shape[1], shape[0]),
                                                                        resample)
    array = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    border = np.concatenate([array[0], array[-1], array[1:-1, 0], array[1:-1, -1]])
    inverted = float(array.mean()) > 0.5 or float(np.median(border)) > 0.5
    if inverted:
        array = 1.0 - array
    return array, inverted


def _gray_and_alpha(image):
    """``(gray, alpha)`` of a PIL image as float64 arrays in [0, 1] (alpha None when the
    image has no transparency), scaled by the rules of :func:`_read_image`."""
    if image.mode == 'F' or image.mode.startswith('I'):
        values = np.asarray(image, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        if image.mode != 'F' and low >= 0 and high <= 65535:
            return values / 65535.0, None                       # 16-bit
        if image.mode == 'F' and low >= 0 and high <= 1:
            return values, None
        return (values - low) / (high - low if high > low else 1.0), None
    if image.mode in ('RGBA', 'LA', 'PA', 'RGBa', 'La') or 'transparency' in image.info:
        rgba = image.convert('RGBA')
        return (np.asarray(rgba.convert('L'), dtype=np.float64) / 255.0,
                np.asarray(rgba.getchannel('A'), dtype=np.float64) / 255.0)
    return np.asarray(image.convert('L'), dtype=np.float64) / 255.0, None


def cmd_predict(args):
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise CLIError("predict needs Pillow to read images: pip install 'keisan[train]'") \
            from None
    network, config = _load_network(args)
    names = config.get('classes') or CLASS_NAMES.get(config.get('dataset'), MNIST_CLASSES)
    input_shape = model_input_shape(config['model'], config.get('model_args', {}))
    hw = tuple(input_shape[1:]) if len(input_shape) == 3 else (28, 28)
    images = [_read_image(path, hw) for path in args.images]   # all readable before output
    x = np.stack([a for a, _ in images]).reshape((len(images),) + input_shape)
    scores = network.predict(x.astype(network.dtype), train_flg=False)
    finite = np.isfinite(scores).all(axis=1)
    if not finite.all():
        raise CLIError('%s: the scores of %s are NaN or inf (the model overflows)'
                       % (args.dir, args.images[int(np.argmin(finite))]))
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
    network, shape, classes = gradcheck_model(args.model)       # drawn in float64
    network = network.astype(args.dtype)
    x = np.random.rand(3, *shape).astype(network.dtype)
    t = np.random.randint(0, classes, size=3)
    print('gradcheck %s: %s in %s with input %s, batch of 3, h=%g; numerical gradients of '
          'the loss in float64, as the book\'s; mean |backprop - numerical|:'
          % (args.model, type(network).__name__, args.dtype, shape, args.h))
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


# ----- graph --------------------------------------------------------------------------------
def cmd_graph(args):
    """Draw the define-by-run graph of a network's loss on one small random batch."""
    np.random.seed(args.seed)
    network = build_model(args.model)
    shape = model_input_shape(args.model, default_model_args(args.model))
    x = keisan.Variable(np.random.rand(args.batch_size, *shape).astype(network.dtype),
                        name='x', requires_grad=False)
    t = keisan.Variable(np.random.randint(0, 10, size=args.batch_size), name='t',
                        requires_grad=False)
    loss = network.forward_loss(x, t)
    loss.name = 'loss'
    try:
        plot_graph(loss, args.out, verbose=args.verbose, names=network.namedparams())
    except (ValueError, OSError, RuntimeError) as e:   # bad name, no dot (GraphvizNotFound)
        raise CLIError(str(e)) from None
    root, ext = os.path.splitext(args.out)
    written = [args.out] if ext.lower() == '.dot' else [root + '.dot', args.out]
    print('wrote %s: the training graph of %s (loss of a batch of %d)'
          % (' and '.join(written), args.model, args.batch_size))
    return 0


# ----- experiment ---------------------------------------------------------------------------
def cmd_experiment(args):
    """Run one of the book's experiments: figures, CSV and JSON into --out, a summary."""
    try:
        experiments.get(args.name)
        if args.name == 'misclassified':
            if args.run is None:
                raise experiments.ExperimentError(
                    'misclassified needs --run DIR (a keisan train run directory) or --run '
                    'FILE --model NAME (a weights file)')
            kwargs = {'source': args.run, 'model': args.model}
        elif args.run is not None or args.model is not None:
            raise experiments.ExperimentError('--run and --model are options of '
                                              'misclassified only')
        else:
            kwargs = {}
        options = experiments.Options(
            out=args.out or os.path.join('experiments', args.name), dataset=args.dataset,
            quick=args.quick, seed=args.seed, progress=not args.no_progress,
            data_dir=args.data_dir, download=not args.no_download)
        report = experiments.run(args.name, options, **kwargs)
    except experiments.ExperimentError as e:
        raise CLIError(str(e)) from None
    print(report)
    return 0


# ----- parser -------------------------------------------------------------------------------
def _add_weights_options(parser, verb):
    parser.add_argument('--model', choices=list(MODELS), default=None,
                        help='the network the weights file holds (then DIR_OR_FILE is a file)')
    parser.add_argument('--dataset', choices=CHOICES['dataset'], default=None,
                        help='the dataset to %s (default: the run\'s; %s for a weights file)'
                        % (verb, WEIGHTS_DATASET))


def _add_progress_and_data_options(parser):
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--data-dir', default=None,
                        help='dataset directory (default $KEISAN_DATA)')
    parser.add_argument('--no-download', action='store_true',
                        help='fail instead of downloading missing dataset files')


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
    p.add_argument('--model', choices=models, help='default simple_conv')
    p.add_argument('--dataset', choices=CHOICES['dataset'], help='default fashion-mnist')
    p.add_argument('--optimizer', choices=CHOICES['optimizer'],
                   help='update rule (default adam); adamw is Adam with its own decoupled '
                   'weight decay (weight_decay_rate 1e-5 per step), besides --weight-decay')
    p.add_argument('--lr', type=RANGES['lr'].parse,
                   help="learning rate (default: the optimizer's own, e.g. 0.01 for sgd, "
                   '0.001 for adam, 1e-4 for rmspropgraves, 1.0 for adadelta)')
    p.add_argument('--epochs', type=RANGES['epochs'].parse, help='default 5')
    p.add_argument('--lr-schedule', choices=CHOICES['lr_schedule'],
                   help='constant lr (the default), or cosine annealing from --lr to 0 over '
                   '--epochs (a resumed run anneals over its own --epochs)')
    p.add_argument('--batch-size', type=RANGES['batch_size'].parse, help='default 100')
    p.add_argument('--weight-decay', type=RANGES['weight_decay'].parse,
                   help="L2 weight decay lambda (the book's weight_decay_lambda): every "
                   "model's loss adds 0.5*lambda*sum(W**2) over its weights, not its biases "
                   '(default 0)')
    p.add_argument('--seed', type=RANGES['seed'].parse,
                   help='seeds np.random (weights, dropout) and the shuffling (0 to 2**32-1; '
                   'default 0)')
    p.add_argument('--train-size', type=RANGES['train_size'].parse, default=None,
                   help='use the first N training images')
    p.add_argument('--test-size', type=RANGES['test_size'].parse, default=None,
                   help='evaluate on the first N test images')
    p.add_argument('--out', default=None, help='run directory (default runs/MODEL-DATASET)')
    p.add_argument('--resume', action='store_true',
                   help='continue from OUT/checkpoint.npz, exactly as if never stopped: the '
                   "settings left out are the run's own, and those given must be the run's "
                   '(but --epochs, to train longer)')
    p.add_argument('--overwrite', action='store_true',
                   help='start a new run in an OUT that holds one (its files are replaced when '
                   'the first epoch ends)')
    p.add_argument('--no-nan-check', action='store_true',
                   help='skip the per-step check for a NaN or infinite loss (the parameters are '
                   'still checked before each epoch is saved)')
    p.add_argument('--mode', choices=CHOICES['mode'], default='book',
                   help='backprop with network.gradient (book) or the define-by-run graph')
    p.add_argument('--device', choices=CHOICES['device'], default='cpu')
    _add_progress_and_data_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser('evaluate', help='test loss and accuracy (per class) of a trained run')
    p.add_argument('dir', metavar='DIR_OR_FILE',
                   help='run directory with config.json and model.npz, or with --model a '
                   "weights file (.npz, or the book's .pkl such as deep_convnet_params.pkl)")
    _add_weights_options(p, 'evaluate on')
    p.add_argument('--batch-size', type=RANGES['batch_size'].parse, default=100)
    p.add_argument('--test-size', type=RANGES['test_size'].parse, default=None,
                   help='evaluate on the first N test images')
    p.add_argument('--data-dir', default=None)
    p.add_argument('--no-download', action='store_true')
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser('predict', help='classify image files with a trained run')
    p.add_argument('dir', metavar='DIR_OR_FILE',
                   help='run directory with config.json and model.npz, or with --model a '
                   "weights file (.npz, or the book's .pkl)")
    _add_weights_options(p, 'take the class names of')
    p.add_argument('images', nargs='+', metavar='IMAGE')
    p.add_argument('--top', type=RANGES['top'].parse, default=3,
                   help='list the N most likely classes with their probabilities (default 3; '
                   '0: all classes)')
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser('gradcheck', help='compare backprop with numerical gradients')
    p.add_argument('--model', choices=models, required=True)
    p.add_argument('--seed', type=RANGES['seed'].parse, default=0)
    p.add_argument('--h', type=RANGES['h'].parse, default=1e-6,
                   help='central-difference step (default 1e-6; the book uses 1e-4)')
    p.add_argument('--dtype', choices=CHOICES['dtype'], default='float32',
                   help='dtype of the network and its backprop (default float32, as keisan '
                   'trains); the numerical gradients are taken in float64 either way')
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser('graph', help="draw a network's computational graph (needs Graphviz)",
                       description="Draw the define-by-run graph of a network's training loss "
                       'on one random batch: functions as boxes, variables as ovals (shape, '
                       'dtype), parameters filled. Writes OUT and, next to it, its .dot text; '
                       "rendering needs Graphviz's dot program (apt-get install graphviz).")
    p.add_argument('--model', choices=models, required=True)
    p.add_argument('--out', default='graph.svg',
                   help='picture to write: .svg, .png, .pdf or .dot (default graph.svg)')
    p.add_argument('--batch-size', type=RANGES['batch_size'].parse, default=2)
    p.add_argument('--verbose', action='store_true',
                   help="also show values (min/mean/max) and the functions' settings")
    p.add_argument('--seed', type=RANGES['seed'].parse, default=0)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser(
        'experiment', help="run one of the book's experiments and draw its figures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run one of the book's experiments (chapters 6-8) on real data: PNG "
        'figures plus CSV/JSON of the numbers go into --out, a summary with what to look '
        'for is printed.\n\nexperiments:\n' + experiments.describe())
    p.add_argument('name', metavar='NAME', help='the experiment (listed above)')
    p.add_argument('--out', default=None, help='output directory (default experiments/NAME)')
    p.add_argument('--dataset', choices=CHOICES['dataset'], default=None,
                   help='default fashion-mnist (misclassified: the run\'s own)')
    p.add_argument('--quick', action='store_true',
                   help='a small version that takes seconds (fewer images, steps, settings)')
    p.add_argument('--seed', type=RANGES['seed'].parse, default=0,
                   help='seeds the weights, the batches and the random search')
    p.add_argument('--run', metavar='PATH', default=None,
                   help='misclassified: a keisan train run directory, or a weights file '
                   'with --model')
    p.add_argument('--model', choices=models, default=None,
                   help='misclassified: the network whose weights --run FILE holds')
    _add_progress_and_data_options(p)
    p.set_defaults(func=cmd_experiment)
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
