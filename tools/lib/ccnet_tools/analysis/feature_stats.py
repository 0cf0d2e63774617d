# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Intra-class spread and inter-class separation of RCCA features.

:func:`collect_features` gathers the RCCA features (and, for heads trained
with the category consistent loss, the loss's embedding) of every labelled
pixel of a dataset; :func:`separation` compares their spread around the
class means with the distances between the means; :func:`measure` does both
for a checkpoint, next to its validation metrics.
"""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.structures import SegDataSample

from ccnet_core.category_consistent_loss import resize_seg_label, scatter_mean
from mmseg_ccnet.engine import build_runner
from mmseg_ccnet.utils.command_line import slug

__all__ = [
    'EMBEDDING', 'labels_at', 'collect_features', 'separation', 'measure',
    'markdown_table'
]

#: Key of the category consistent loss's embedding among the features.
EMBEDDING = 'embedding'


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
        class means; NaN with fewer than two classes), ``ratio``
        (``inter / intra``) and ``classes`` (how many are present).
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


def measure(name: str,
            config: str,
            checkpoint: str,
            feature: str,
            work_dir: str,
            cfg_options: Optional[dict] = None) -> Dict[str, dict]:
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
    """The results as a markdown table, one row per model and feature.

    Args:
        results (dict): Per model, :func:`measure`'s result.

    Returns:
        str: The table (no trailing newline).
    """
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
