# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Reductions of full configs to models and runs that take seconds on CPU."""
from typing import Any, Optional, Tuple

from mmengine.config import Config


def tiny_ccnet(cfg: Config, norm_cfg: Optional[dict] = None) -> Config:
    """A ResNetV1c-18 CCNet with 16 base channels, without pretrained weights.

    Args:
        cfg (Config): A CCNet config, changed in place.
        norm_cfg (dict, optional): Norm layers for backbone and heads
            instead of the config's.

    Returns:
        Config: ``cfg``.
    """
    model = cfg.model
    model.pretrained = None
    model.backbone.update(depth=18, stem_channels=16, base_channels=16)
    model.decode_head.update(in_channels=128, channels=16)
    model.auxiliary_head.update(in_channels=64, channels=16)
    if norm_cfg is not None:
        for part in (model.backbone, model.decode_head, model.auxiliary_head):
            part.norm_cfg = norm_cfg
    return cfg


def _resize(value: Any, size: Tuple[int, int]) -> Any:
    """``value`` with every ``scale`` and ``crop_size`` set to ``size``."""
    if isinstance(value, dict):
        return {
            key: size if key in ('scale', 'crop_size') else _resize(
                item, size)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_resize(item, size) for item in value)
    return value


def shrink_run(cfg: Config,
               data_root: str,
               work_dir: str,
               size: Tuple[int, int] = (24, 24),
               max_iters: int = 2) -> Config:
    """Keep a config's pipelines but run it briefly on tiny images.

    Args:
        cfg (Config): A training config, changed in place.
        data_root (str): The (tiny) dataset.
        work_dir (str): The runner's work dir.
        size (tuple[int, int]): Every resize scale and crop size.
        max_iters (int): Training iterations, also the validation and
            checkpoint interval.

    Returns:
        Config: ``cfg``.
    """
    cfg.work_dir = work_dir
    cfg.model.data_preprocessor.size = size
    for name in ('train_pipeline', 'test_pipeline', 'tta_pipeline'):
        cfg[name] = _resize(cfg[name], size)
    pipelines = dict(
        train_dataloader=cfg.train_pipeline,
        val_dataloader=cfg.test_pipeline,
        test_dataloader=cfg.test_pipeline)
    for name, pipeline in pipelines.items():
        loader = cfg[name]
        loader.batch_size = 2 if name == 'train_dataloader' else 1
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        loader.dataset.pipeline = pipeline
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    return cfg
