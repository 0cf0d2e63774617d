# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Intra-class spread and inter-class separation of RCCA features.

For each model (config + checkpoint of a segmentor with a CCHead) the tool
runs the validation set once through the runner's evaluator (mIoU and the
config's other metrics) and once through the decode head, collecting the
RCCA features of every labelled pixel (labels resized to the feature map by
nearest neighbour). Over the whole set, with ``mu_c`` the mean feature of
class ``c``, it reports

* ``intra``: the mean distance of a pixel to its class mean, averaged over
  the classes (each class counts once, whatever its size);
* ``inter``: the smallest distance between two class means;
* ``inter / intra``: the separation relative to the spread (scale-free).

For heads trained with the category consistent loss it also reports the
same on the loss's own ``ccl_channels``-dim embedding (``ccl_reduce``).

Example::

    python tools/analysis/category_feature_stats.py \
        --model CCNet configs/cc_context/ccnet_localconvnet_1xb16-2k_cc-context-64x64.py base.pth \
        --model CCNet+CCL configs/cc_context/ccnet-ccl_localconvnet_1xb16-2k_cc-context-64x64.py ccl.pth
"""  # noqa: E501
import argparse
import json
import os.path as osp
from typing import Dict, Iterable, List, Sequence, Tuple

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.structures import SegDataSample

from mmseg_ccnet.engine import build_runner
from mmseg_ccnet.models.losses.category_consistent_loss import (
    resize_seg_label,
    scatter_mean,
)
from mmseg_ccnet.utils.command_line import add_cfg_options, slug

EMBEDDING = 'embedding'


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--model',
        nargs=3,
        action='append',
        required=True,
        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
        help='a model to measure (repeat for a comparison table)')
    parser.add_argument(
        '--feature',
        choices=['attention', 'context'],
        default='attention',
        help="RCCA features to measure: 'attention' (output of the last "
        "criss-cross pass) or 'context' (after convs[1])")
    parser.add_argument(
        '--work-dir',
        default='work_dirs/category_feature_stats',
        help='where the validation runs and the table/JSON go')
    add_cfg_options(parser,
                    'override settings of every config, e.g. data roots')
    return parser.parse_args()


def labels_at(samples: Sequence[SegDataSample], input_size: Tuple[int, int],
              size: Tuple[int, int], ignore_index: int) -> torch.Tensor:
    """Ground truth of a batch on a feature map's grid.

    The labels are resized (nearest) to the image size the pipeline
    produced, padded with ``ignore_index`` like the batch inputs, then
    resized to the feature map.

    Args:
        samples (list[SegDataSample]): The batch's data samples.
        input_size (tuple[int, int]): (H, W) of the batch inputs.
        size (tuple[int, int]): (h, w) of the feature map.
        ignore_index (int): Label of the padding.

    Returns:
        Tensor: Labels of shape (B, h, w).
    """
    labels = []
    for sample in samples:
        label = resize_seg_label(sample.gt_sem_seg.data, sample.img_shape)
        pad = (0, input_size[1] - label.size(-1), 0,
               input_size[0] - label.size(-2))
        labels.append(F.pad(label, pad, value=ignore_index))
    return resize_seg_label(torch.cat(labels), size)


@torch.no_grad()
def collect_features(model: torch.nn.Module, dataloader: Iterable[dict],
                     feature: str) -> Dict[str, Tuple[torch.Tensor,
                                                      torch.Tensor]]:
    """The features and labels of every labelled pixel of a dataset.

    Args:
        model (nn.Module): A segmentor whose decode head is a CCHead.
        dataloader (Iterable[dict]): Batches as the model's data
            preprocessor takes them (with ground truth).
        feature (str): 'attention' or 'context' (see ``RCCAFeatures``).

    Returns:
        dict: For ``feature`` and, if the head has a CCL reduction,
        ``'embedding'``: the features (P, C) and labels (P,) of the P
        labelled pixels.
    """
    model.eval()
    head = model.decode_head
    collected: Dict[str, List[torch.Tensor]] = {}
    labels: List[torch.Tensor] = []
    for batch in dataloader:
        data = model.data_preprocessor(batch, False)
        features = head.rcca_features(model.extract_feat(data['inputs']))
        maps = {feature: getattr(features, feature)}
        if head.ccl_reduce is not None:
            maps[EMBEDDING] = head.ccl_reduce(
                getattr(features, head.ccl_feature))
        label = labels_at(data['data_samples'], data['inputs'].shape[-2:],
                          maps[feature].shape[-2:], head.ignore_index)
        valid = label != head.ignore_index
        labels.append(label[valid])
        for name, values in maps.items():
            collected.setdefault(name, []).append(
                values.permute(0, 2, 3, 1)[valid].float())
    label = torch.cat(labels)
    return {name: (torch.cat(chunks), label)
            for name, chunks in collected.items()}


def separation(features: torch.Tensor,
               labels: torch.Tensor) -> Dict[str, float]:
    """Spread of classes around their means and distance between means.

    Args:
        features (Tensor): Features of P pixels, (P, C).
        labels (Tensor): Their classes, (P,) integers >= 0.

    Returns:
        dict: ``intra`` (mean distance to the class mean, averaged over
        the classes present), ``inter`` (smallest distance between two
        class means; NaN with fewer than two classes), ``inter/intra`` and
        ``classes`` (how many are present).
    """
    means, counts = scatter_mean(features, labels, int(labels.max()) + 1)
    distance = torch.linalg.vector_norm(features - means[labels], dim=1)
    spread, _ = scatter_mean(distance[:, None], labels, means.size(0))
    present = counts > 0
    intra = spread[present, 0].mean()
    gaps = torch.cdist(means[present], means[present])
    gaps.fill_diagonal_(float('inf'))
    inter = gaps.min() if present.sum() > 1 else torch.tensor(float('nan'))
    return dict(
        intra=float(intra),
        inter=float(inter),
        ratio=float(inter / intra),
        classes=int(present.sum()))


def measure(name: str, config: str, checkpoint: str, feature: str,
            work_dir: str, cfg_options: dict = None) -> Dict[str, dict]:
    """Validation metrics and feature statistics of one model.

    Args:
        name (str): The model's name in the table.
        config (str): Its config file.
        checkpoint (str): Its checkpoint (loaded non-strictly, as mmengine
            does for ``load_from``).
        feature (str): 'attention' or 'context'.
        work_dir (str): Where its validation run writes.
        cfg_options (dict, optional): Overrides of the config.

    Returns:
        dict: Per measured feature (``feature``, maybe ``'embedding'``) the
        validation metrics (as floats) merged with :func:`separation`'s
        statistics.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = osp.join(work_dir, slug(name))
    cfg.experiment_name = slug(name)
    cfg.load_from = checkpoint
    runner = build_runner(cfg)
    metrics = {key: float(value) for key, value in runner.val().items()}
    collected = collect_features(runner.model, runner.val_dataloader,
                                 feature)
    return {
        kind: dict(metrics, **separation(*values))
        for kind, values in collected.items()
    }


def markdown_table(results: Dict[str, Dict[str, dict]]) -> str:
    """The results as a markdown table, one row per model and feature."""
    lines = [
        '| model | features | mIoU | acc. row-context px | '
        'acc. global-context px | intra | inter (min) | inter / intra |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for name, kinds in results.items():
        for kind, row in kinds.items():
            cells = [
                f"{row.get(key, float('nan')):.2f}"
                for key in ('mIoU', 'row.aAcc', 'global.aAcc')
            ] + [f'{row[key]:.3f}' for key in ('intra', 'inter', 'ratio')]
            lines.append(f'| {name} | {kind} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    """Measure every model, then print and write the table and JSON."""
    args = parse_args()
    results = {
        name: measure(name, config, checkpoint, args.feature,
                      args.work_dir, args.cfg_options)
        for name, config, checkpoint in args.model
    }
    table = markdown_table(results)
    with open(osp.join(args.work_dir, 'feature_stats.md'), 'w') as file:
        file.write(table + '\n')
    with open(osp.join(args.work_dir, 'feature_stats.json'), 'w') as file:
        json.dump(results, file, indent=2)
    print(table)
    print(f'written: {args.work_dir}/feature_stats.{{md,json}}')


if __name__ == '__main__':
    main()
