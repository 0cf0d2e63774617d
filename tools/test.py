# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Test a segmentor; the command line of MMSegmentation's tools/test.py.

CHECKPOINT may also be a file exported from CONFIG: an ``.onnx`` file
written by ``tools/deployment/pytorch2onnx.py`` (``--dynamic`` for images
of any size) or an OpenVINO IR (``.xml``, e.g. the INT8 model of
``tools/deployment/quantize.py``), run on the CPU by ``--backend`` (needs the
``deploy`` extra). An exported file is evaluated like the checkpoint: the
config's test pipeline, data preprocessor, whole-image or sliding-window
inference (``model.test_cfg``) and evaluator, with
:class:`~mmseg_ccnet.deployment.segmentor.BackendSegmentor` as the model.
Test-time augmentation (``--tta``) is refused for it.
"""
import argparse
import os.path as osp

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmengine.config import Config

from mmseg_ccnet.engine import build_runner, report_distributed_failure
from mmseg_ccnet.utils.command_line import add_runner_args, load_config

#: The exported files each backend runs.
EXPORTED_SUFFIXES = dict(onnxruntime=('.onnx', ), openvino=('.onnx', '.xml'))


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file (path or URL), or an exported .onnx file or '
        'OpenVINO .xml file')
    parser.add_argument(
        '--backend',
        choices=sorted(EXPORTED_SUFFIXES),
        help='backend that runs an exported file on the CPU (default: '
        'onnxruntime for .onnx, openvino for .xml)')
    parser.add_argument(
        '--out',
        help='directory to save the predictions (as PNG label maps)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory (inside the work dir) to save painted images')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    add_runner_args(parser)
    args = parser.parse_args()
    suffix = osp.splitext(args.checkpoint)[1].lower()
    exported = suffix in EXPORTED_SUFFIXES['openvino']
    if not exported:
        if args.backend is not None:
            parser.error('--backend runs an exported .onnx or .xml file, '
                         f'not the checkpoint {args.checkpoint}')
        return args
    if args.tta:
        parser.error(f'--tta needs the PyTorch model: {args.checkpoint} '
                     'holds the inference of one image at one scale')
    args.backend = args.backend or (
        'onnxruntime' if suffix == '.onnx' else 'openvino')
    if suffix not in EXPORTED_SUFFIXES[args.backend]:
        parser.error(f'the {args.backend} backend runs '
                     f'{" and ".join(EXPORTED_SUFFIXES[args.backend])} '
                     f'files, not {args.checkpoint}')
    return args


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Switch on mmseg's SegVisualizationHook for ``--show``/``--show-dir``.

    Args:
        cfg (Config): The config to change in place.
        args (Namespace): The parsed command line.

    Raises:
        KeyError: If the config has no ``default_hooks.visualization``.
    """
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise KeyError('--show/--show-dir need a `visualization` entry '
                       "(type='SegVisualizationHook') in default_hooks")
    hooks.visualization.draw = True
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        visualizer = cfg.visualizer
        visualizer.save_dir = args.show_dir


def main() -> None:
    """Test with an mmengine runner built from the config."""
    args = parse_args()
    cfg = load_config(args)
    if args.backend is None:
        cfg.load_from = args.checkpoint
    else:
        from mmseg_ccnet.deployment.segmentor import exported_model_cfg
        cfg.model = exported_model_cfg(cfg.model, args.backend,
                                       args.checkpoint)
        cfg.load_from = None
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator.output_dir = args.out
        cfg.test_evaluator.keep_results = True
    runner = build_runner(cfg)
    with report_distributed_failure():
        runner.test()


if __name__ == '__main__':
    main()
