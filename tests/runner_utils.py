# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Tiny generated data, config reductions and script runs for tests."""
import inspect
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, NamedTuple, Optional, Tuple

import mmcv
import mmseg
import numpy as np
import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
MMSEG_CONFIGS = Path(mmseg.__file__).parent / '.mim' / 'configs'
#: MMSegmentation's own tools/ (train.py, test.py), as mim installs them.
MMSEG_TOOLS = Path(mmseg.__file__).parent / '.mim' / 'tools'
IMAGE_SIZE = (48, 32)  # (W, H) of the generated images
needs_dynamo_export = pytest.mark.skipif(
    'dynamo' not in inspect.signature(torch.onnx.export).parameters,
    reason='ONNX export needs torch >= 2.5 (test_deploy checks the error)')


def script_env() -> Dict[str, str]:
    """The environment of scripts run by tests: the test helpers
    (``tests/``, e.g. hooks of tests) importable, this interpreter's
    scripts (``torchrun``) first on the path."""
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO / 'tests')] + sys.path),
        PATH=os.pathsep.join([str(Path(sys.executable).parent),
                              os.environ['PATH']]))


class Finished(NamedTuple):
    """How a command ended: exit code, stdout + stderr, seconds taken."""
    returncode: int
    output: str
    seconds: float


def run_python(*args, env: Optional[Dict[str, str]] = None) -> Finished:
    """Run a Python script in a new interpreter, whatever its exit code.

    Args:
        *args: The script and its arguments (str or Path).
        env (dict, optional): Variables added to :func:`script_env`.

    Returns:
        Finished: Exit code (negative: killed by that signal), output and
        seconds.
    """
    start = time.monotonic()
    result = subprocess.run([sys.executable, *map(str, args)],
                            capture_output=True,
                            text=True,
                            timeout=600,
                            env=dict(script_env(), **(env or {})))
    return Finished(result.returncode, result.stdout + result.stderr,
                    time.monotonic() - start)


def run_script(*args) -> str:
    """Run a Python script in a new interpreter; fail the test if it fails.

    Args:
        *args: The script and its arguments (str or Path).

    Returns:
        str: Its stdout and stderr.
    """
    finished = run_python(*args)
    assert finished.returncode == 0, finished.output[-4000:]
    return finished.output


def run_tool(tool: str, *args) -> str:
    """:func:`run_script` on ``tools/<tool>``."""
    return run_script(REPO / 'tools' / tool, *args)


def run_distributed(script: str, *args, timeout: float = 600) -> Finished:
    """Run ``tools/<script>`` (``dist_train.sh``, ``dist_test.sh``).

    torchrun gets :func:`script_env` and a free port. The command runs
    in a process group of its own that is killed afterwards, so that no
    worker (e.g. a stopped one) outlives the test.

    Args:
        script (str): The launcher script in ``tools/``.
        *args: Its arguments.
        timeout (float): Seconds before the whole group is killed.

    Returns:
        Finished: Exit code (-9 if it was killed), output and seconds.
    """
    from http_server import free_port
    env = dict(script_env(), PORT=str(free_port()))
    start = time.monotonic()
    process = subprocess.Popen(
        ['bash', str(REPO / 'tools' / script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return Finished(process.returncode, output, time.monotonic() - start)


def png_files(root: str) -> Dict[str, bytes]:
    """Every PNG file below ``root``, by relative path, with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(Path(root).rglob('*.png'))
    }


def make_tiny_cityscapes(root: str, num_train: int = 4, num_val: int = 2,
                         seed: int = 0) -> str:
    """Write a few random images and labels in Cityscapes' layout.

    Each label map is made of vertical bands of train ids (0-18) and a band
    of ignore (255); the image is the label's colour plus noise, so a model
    can learn it in a few iterations.

    Args:
        root (str): Folder to create the data in.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    width, height = IMAGE_SIZE
    for split, count in (('train', num_train), ('val', num_val)):
        for index in range(count):
            bands = rng.integers(0, 19, size=4)
            label = np.repeat(bands, width // 4)[None].repeat(height, 0)
            label[:4] = 255
            image = (label[..., None] * 13 % 256 +
                     rng.integers(0, 30, (height, width, 3))).astype(np.uint8)
            name = f'city_{index:06d}_000019'
            mmcv.imwrite(image, osp.join(root, 'leftImg8bit', split, 'city',
                                         f'{name}_leftImg8bit.png'))
            mmcv.imwrite(
                label.astype(np.uint8),
                osp.join(root, 'gtFine', split, 'city',
                         f'{name}_gtFine_labelTrainIds.png'))
    return root


def small_resnet(cfg: Config) -> Config:
    """A ResNetV1c-18 with 16 base channels and heads to match."""
    cfg.model.backbone.update(depth=18, stem_channels=16, base_channels=16)
    cfg.model.decode_head.update(in_channels=128, channels=16)
    cfg.model.auxiliary_head.update(in_channels=64, channels=16)
    return cfg


def shrink_config(cfg: Config,
                  data_root: str,
                  work_dir: str,
                  max_iters: int = 4,
                  crop: Tuple[int, int] = (32, 32)) -> Config:
    """Reduce a Cityscapes config to a few iterations on tiny images.

    The model keeps its architecture (and SyncBN) except that pretrained
    weights are switched off; data loading runs in the main process.

    Args:
        cfg (Config): A Cityscapes training config, changed in place.
        data_root (str): Folder written by :func:`make_tiny_cityscapes`.
        work_dir (str): The runner's work dir.
        max_iters (int): Training iterations. Defaults to 4.
        crop (tuple[int, int]): Training crop (H, W). Defaults to (32, 32).

    Returns:
        Config: ``cfg``.
    """
    cfg.work_dir = work_dir
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor.size = crop
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg.crop_size = crop
        cfg.model.test_cfg.stride = (crop[0] * 2 // 3, crop[1] * 2 // 3)
    scale = IMAGE_SIZE
    cfg.train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='RandomResize', scale=scale, ratio_range=(0.75, 1.5),
             keep_ratio=True),
        dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'),
        dict(type='PackSegInputs')
    ]
    cfg.test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    for name, pipeline in (('train_dataloader', cfg.train_pipeline),
                           ('val_dataloader', cfg.test_pipeline),
                           ('test_dataloader', cfg.test_pipeline)):
        loader = cfg[name]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        loader.dataset.pipeline = pipeline
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.checkpoint.save_best = 'mIoU'
    cfg.env_cfg.cudnn_benchmark = False
    return cfg


def shrink_cc_context_config(cfg: Config, data_root: str,
                             max_iters: int = 4) -> Config:
    """Reduce a context-benchmark config to a tiny run.

    16 training and 8 validation images generated into ``data_root``,
    batch 4, ``max_iters`` iterations at a constant learning rate, then
    one validation and one checkpoint; the log gets every iteration.

    Args:
        cfg (Config): A config of ``configs/cc_context``, changed in place.
        data_root (str): Folder for the generated images.
        max_iters (int): Training iterations. Defaults to 4.

    Returns:
        Config: ``cfg``.
    """
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].batch_size = 4
        cfg[loader].dataset.update(
            data_root=data_root, num_train=16, num_val=8)
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    return cfg


def dump_cc_context_configs(folder: Path, names: Tuple[str, ...]) -> Dict:
    """Shrunk copies of context-benchmark configs sharing one tiny data set.

    Args:
        folder (Path): Where the configs, data and work dir go.
        names (tuple[str]): Config file names in ``configs/cc_context``.

    Returns:
        dict[str, Path]: Each name's shrunk config file.
    """
    paths = {}
    for name in names:
        cfg = shrink_cc_context_config(
            Config.fromfile(CONFIGS / 'cc_context' / name),
            str(folder / 'data'))
        cfg.work_dir = str(folder / 'work')
        paths[name] = folder / name
        cfg.dump(str(paths[name]))
    return paths
