# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Context ablation: the same model with other decode heads.

:data:`VARIANTS` names the heads (FCN without context, CCHead with R = 1,
2, 3, MMSegmentation's non-local NLHead, and CCHead R = 2 and NLHead on
features with a sinusoidal position encoding appended).
:func:`ablate` trains each variant of a CCHead config once per seed and
measures its head's peak memory; :func:`markdown_table` and :func:`plot`
report the means over the seeds with their range.
"""
import copy
import json
import os.path as osp
import tempfile
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.registry import MODELS
from torch.profiler import ProfilerActivity, profile

from mmseg_ccnet.utils.command_line import slug

__all__ = [
    'VARIANTS', 'variant_model', 'head_peak_memory', 'train_variant',
    'summarize', 'ablate', 'markdown_table', 'plot'
]

NON_LOCAL = dict(
    type='NLHead', reduction=2, use_scale=True, mode='embedded_gaussian')
POSITION_CHANNELS = 16
#: name: (decode head type and arguments, channels of position encoding)
VARIANTS = {
    'FCN (no context)':
    (dict(type='FCNHead', num_convs=2, concat_input=True), 0),
    'CCNet R=1': (dict(type='CCHead', recurrence=1), 0),
    'CCNet R=2': (dict(type='CCHead', recurrence=2), 0),
    'CCNet R=3': (dict(type='CCHead', recurrence=3), 0),
    'Non-local': (NON_LOCAL, 0),
    'CCNet R=2 + position': (dict(type='CCHead', recurrence=2),
                             POSITION_CHANNELS),
    'Non-local + position': (NON_LOCAL, POSITION_CHANNELS),
}

Metrics = Dict[str, float]


def variant_model(base_model: dict, name: str) -> dict:
    """The base config's model turned into a variant.

    Args:
        base_model (dict): ``model`` of the config (with a CCHead).
        name (str): Key of :data:`VARIANTS`.

    Returns:
        dict: Model config whose head has the base's shared arguments
        (channels, classes, norm, loss, kernel size, ...) and the variant's
        own, and whose backbone appends the variant's position encoding.
    """
    variant, pos_channels = VARIANTS[name]
    model = copy.deepcopy(base_model)
    head = model.decode_head
    for key in ('recurrence', 'num_convs', 'concat_input'):
        head.pop(key, None)
    head.update(variant)
    if pos_channels:
        model.backbone.pos_channels = pos_channels
        head.in_channels += pos_channels
    return model


def head_peak_memory(head_cfg: dict, features: torch.Tensor) -> int:
    """Peak CPU memory of one forward + backward pass of a decode head.

    Measured with PyTorch's memory profiler timeline: the largest total of
    live tensors during the pass, minus what was allocated before it
    (weights and input).

    Args:
        head_cfg (dict): Config of the head.
        features (Tensor): Its input at ``in_index``, (B, C, h, w).

    Returns:
        int: Peak bytes above the memory in use before the pass.
    """
    torch.manual_seed(0)
    head = MODELS.build(head_cfg).train()
    inputs = [features] * (head_cfg.get('in_index', 0) + 1)

    def step():
        head(inputs).sum().backward()

    step()  # warm-up
    head.zero_grad()
    with profile(
            activities=[ProfilerActivity.CPU],
            profile_memory=True,
            record_shapes=True,
            with_stack=True) as prof:
        step()
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'timeline.json')
        prof.export_memory_timeline(path, device='cpu')
        with open(path) as file:
            _, sizes = json.load(file)
    totals = np.asarray(sizes).sum(axis=1)
    return int(totals.max() - totals[0])


def train_variant(cfg: Config, name: str, work_dir: str) -> Metrics:
    """Train and validate one variant.

    Args:
        cfg (Config): The variant's full config.
        name (str): Its name (for logs).
        work_dir (str): Its work dir.

    Returns:
        dict: Validation metrics and the median seconds per training
        iteration (after the first 10%).
    """
    cfg.work_dir = work_dir
    cfg.experiment_name = slug(name)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    times = hub.get_scalar('train/time').data[0]
    result = {
        key[len('val/'):]: float(hub.get_scalar(key).current())
        for key in hub.log_scalars if key.startswith('val/')
        and 'time' not in key
    }
    result['s/iter'] = float(np.median(times[len(times) // 10:]))
    return result


def summarize(runs: List[Metrics]) -> Metrics:
    """Mean of each quantity over the seeds' runs, with its range.

    Args:
        runs (list[dict]): The same quantities for each seed.

    Returns:
        dict: Per quantity ``key`` its mean, and ``<key>.min`` and
        ``<key>.max`` over the runs.
    """
    summary = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        summary.update({
            key: float(np.mean(values)),
            f'{key}.min': min(values),
            f'{key}.max': max(values)
        })
    return summary


def ablate(
    base: Config, names: Sequence[str], seeds: Sequence[int], work_dir: str
) -> Tuple[Dict[str, Metrics], Dict[str, List[Metrics]]]:
    """Train every variant once per seed and measure its head's memory.

    Args:
        base (Config): Full config of a model with a CCHead.
        names (Sequence[str]): Keys of :data:`VARIANTS`.
        seeds (Sequence[int]): Training seeds (``randomness.seed``).
        work_dir (str): Run ``seed`` of variant ``name`` writes to
            ``<work_dir>/<slug(name)>/seed<seed>``.

    Returns:
        tuple[dict, dict]: Per variant, :func:`summarize` of its runs, and
        its runs (validation metrics, ``s/iter``, ``head_peak_MB`` and
        ``seed``).

    Raises:
        ValueError: If the base model's decode head is not a CCHead.
    """
    base_head = base.model.decode_head
    if base_head.type != 'CCHead':
        raise ValueError(f'expected a CCHead config, got {base_head.type}')
    images = torch.randn(base.train_dataloader.batch_size, 3,
                         *base.model.data_preprocessor.size)
    results, runs = {}, {}
    total = len(names) * len(seeds)
    for number, name in enumerate(names):
        model = variant_model(base.model, name)
        with torch.no_grad():
            features = MODELS.build(model.backbone)(images)
        peak_mb = head_peak_memory(
            model.decode_head,
            features[model.decode_head.get('in_index', 0)]) / 2**20
        variant_runs = []
        for index, seed in enumerate(seeds, 1 + number * len(seeds)):
            print_log(
                f'[{index}/{total}] training {name}, seed {seed}',
                logger='current')
            cfg = copy.deepcopy(base)
            cfg.model = copy.deepcopy(model)
            cfg.randomness = dict(seed=seed)
            run = train_variant(cfg, f'{name} seed {seed}',
                                osp.join(work_dir, slug(name), f'seed{seed}'))
            run['head_peak_MB'] = peak_mb
            print_log(f'{name}, seed {seed}: {run}', logger='current')
            variant_runs.append(run)
        results[name] = summarize(variant_runs)
        runs[name] = [
            dict(seed=seed, **run) for seed, run in zip(seeds, variant_runs)
        ]
    return results, runs


def _cell(result: Metrics, key: str) -> str:
    """A table cell: the mean, and the range when the seeds disagree."""
    digits = 3 if key == 's/iter' else 2
    text = f'{result[key]:.{digits}f}'
    low, high = result[f'{key}.min'], result[f'{key}.max']
    if round(high - low, digits) > 0:
        text += f' [{low:.{digits}f}, {high:.{digits}f}]'
    return text


def markdown_table(results: Dict[str, Metrics]) -> str:
    """The results as a markdown table (means over seeds, [min, max]).

    Args:
        results (dict): Per variant, :func:`summarize` of its runs.

    Returns:
        str: The table, one row per variant (no trailing newline).
    """
    columns = [('mIoU', 'mIoU'), ('row.aAcc', 'acc. row-context px'),
               ('global.aAcc', 'acc. global-context px'),
               ('row.mIoU', 'mIoU row-context px'),
               ('global.mIoU', 'mIoU global-context px'),
               ('s/iter', 'train s/iter'),
               ('head_peak_MB', 'head peak MB (fwd+bwd)')]
    lines = [
        '| head | ' + ' | '.join(title for _, title in columns) + ' |',
        '|---' * (len(columns) + 1) + '|'
    ]
    for name, result in results.items():
        cells = [_cell(result, key) for key, _ in columns]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot(results: Dict[str, Metrics], path: str) -> None:
    """Bar charts of accuracy per context level and of head memory.

    Args:
        results (dict): Per variant, :func:`summarize` of its runs.
        path (str): The image file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names: List[str] = list(results)
    fig, (acc_ax, mem_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    keys = [('local.aAcc', 'local pixels'), ('row.aAcc', 'row context'),
            ('global.aAcc', 'global context')]
    width = 0.8 / len(keys)
    positions = np.arange(len(names))
    for offset, (key, label) in enumerate(keys):
        means = np.array([results[n][key] for n in names])
        spread = [
            means - [results[n][f'{key}.min'] for n in names],
            [results[n][f'{key}.max'] for n in names] - means
        ]
        acc_ax.bar(
            positions + (offset - 1) * width,
            means,
            width,
            yerr=spread,
            capsize=3,
            label=label)
    acc_ax.axhline(25, color='grey', linestyle='--', label='chance (1/4)')
    acc_ax.set_ylabel('pixel accuracy (%), mean and range over seeds')
    acc_ax.set_xticks(positions, names, rotation=20)
    acc_ax.legend(fontsize=8)
    acc_ax.set_title('Accuracy by where the evidence lies')
    mem_ax.bar(names, [results[n]['head_peak_MB'] for n in names])
    mem_ax.set_ylabel('MB')
    mem_ax.set_title('Head peak memory, forward + backward')
    mem_ax.tick_params(axis='x', rotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
