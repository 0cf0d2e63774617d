# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""What a context block costs inside a backbone: RCCA against non-local.

The cases (:data:`CASES`) are one config's backbone three times: as it is
without a context block (``resnet``), with mmcv's ``NonLocal2d`` and with
:class:`~mmseg_ccnet.models.RecurrentCrissCrossAttention` (R = 2) at the
config's place (``ContextResNet``), with the same weights elsewhere. A step
is a forward and backward pass of the backbone on one input; the report
gives what each block adds to the plain backbone's time and peak memory.
"""
import copy
from typing import Callable, Dict, List

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

from .measure import peak_rss_increase

__all__ = [
    'CASES', 'REFERENCE', 'CONTEXTS', 'build_case', 'train_step',
    'peak_memory', 'markdown_table'
]

REFERENCE = 'resnet'
#: The context block of each case (None: the plain backbone).
CONTEXTS = dict(
    resnet=None,
    nonlocal2d=dict(type='NonLocal2d', reduction=2,
                    mode='embedded_gaussian'),
    rcca=dict(type='RecurrentCrissCrossAttention', recurrence=2))
CASES = tuple(CONTEXTS)


def _backbone_cfg(cfg: Config, name: str) -> dict:
    """The config's backbone with the case's context block (or none)."""
    backbone = copy.deepcopy(cfg.model.backbone)
    resnet = backbone.get('resnet', backbone)
    resnet.init_cfg = None  # no download; the weights are seeded
    if CONTEXTS[name] is None:
        return resnet
    if backbone.type != 'ContextResNet':
        backbone = dict(type='ContextResNet', resnet=resnet)
    backbone['context'] = copy.deepcopy(CONTEXTS[name])
    return backbone


def build_case(cfg: Config, name: str) -> nn.Module:
    """The config's backbone for one case, seeded, in training mode.

    Args:
        cfg (Config): A config whose ``model.backbone`` is a ResNet or a
            ``ContextResNet``, with its ``custom_imports`` imported.
        name (str): One of :data:`CASES`.

    Returns:
        nn.Module: The backbone.
    """
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        backbone = ROOT_MODELS.build(_backbone_cfg(cfg, name))
    backbone.train()
    return backbone


def train_step(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """One forward and backward pass of a backbone (sum of its outputs).

    Args:
        model (nn.Module): The backbone.
        x (Tensor): Its input, (B, 3, H, W).

    Returns:
        Callable: The step, a function of no arguments.
    """

    def step() -> None:
        model.zero_grad(set_to_none=True)
        sum(out.sum() for out in model(x)).backward()

    return step


def peak_memory(cfg: Config, name: str, x: torch.Tensor) -> int:
    """Peak RSS increase of one training step of a case, in this process.

    Args:
        cfg (Config): As for :func:`build_case`.
        name (str): The case.
        x (Tensor): The input.

    Returns:
        int: Bytes.
    """
    step = train_step(build_case(cfg, name), x)
    step()  # one-time allocations
    return peak_rss_increase(step)


def markdown_table(report: Dict) -> str:
    """The cases, and what each block adds to the plain backbone.

    Args:
        report (dict): ``setting`` and ``cases`` (``{case: {'time_s',
        'time_ratio', 'peak_bytes', 'parameters'}}``).

    Returns:
        str: Markdown.
    """
    setting = report['setting']
    cases = report['cases']
    ref = cases[REFERENCE]
    lines: List[str] = [
        f"Backbone of `{setting['config']}`, input "
        f"{' x '.join(map(str, setting['input']))}, one forward and backward "
        f"pass, {setting['threads']} CPU threads; time: median of "
        f"{setting['repeats']} rounds (cases interleaved), peak memory: "
        'each case in a fresh process.', '',
        '| case | parameters | fwd+bwd ms | time ratio | peak MiB | '
        'added time ms | added peak MiB |', '|---|---|---|---|---|---|---|'
    ]
    for name, case in cases.items():
        lines.append('| ' + ' | '.join([
            f'`{name}`', f"{case['parameters'] / 1e6:.2f} M",
            f"{1e3 * case['time_s']['train']:.0f}",
            f"{case['time_ratio']['train']:.2f}",
            f"{case['peak_bytes'] / 2**20:.1f}",
            f"{1e3 * (case['time_s']['train'] - ref['time_s']['train']):.0f}",
            f"{(case['peak_bytes'] - ref['peak_bytes']) / 2**20:.1f}"
        ]) + ' |')
    return '\n'.join(lines) + '\n'
