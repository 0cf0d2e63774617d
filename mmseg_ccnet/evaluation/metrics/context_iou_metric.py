# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Dict, Sequence

import mmcv
import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from ...utils import level_map_path


@METRICS.register_module()
class ContextIoUMetric(IoUMetric):
    """IoU metric that also scores the pixels of each context level.

    Context benchmarks store, beside each image, a *level map*: a PNG whose
    value at a pixel says where the evidence for that pixel's label lies
    (e.g. 0 local, 1 on its row, 2 elsewhere; see
    :func:`~mmseg_ccnet.utils.level_map_path`). On top of
    :class:`IoUMetric`'s results this reports, for each level ``name``,
    ``{name}.aAcc`` (pixel accuracy) and ``{name}.mIoU`` (mean IoU over the
    classes that the labels of those pixels contain; a pixel predicted as
    any other class counts against its true class), both in %.

    Args:
        level_names (Sequence[str]): Name of each level value, in order.
        img_dir (str): Folder name in image paths that is replaced by
            ``level_dir`` to find the level map. Defaults to ``'img_dir'``.
        level_dir (str): Folder name of the level maps.
            Defaults to ``'level_dir'``.
        **kwargs: Arguments of :class:`IoUMetric`.
    """

    def __init__(self,
                 level_names: Sequence[str],
                 img_dir: str = 'img_dir',
                 level_dir: str = 'level_dir',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if self.format_only:
            raise ValueError('ContextIoUMetric needs labels: no format_only')
        self.level_names = tuple(level_names)
        self.img_dir = img_dir
        self.level_dir = level_dir

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add each sample's areas, overall and per level, to the results.

        Args:
            data_batch (dict): A batch from the dataloader.
            data_samples (Sequence[dict]): Its outputs from the model.
        """
        start = len(self.results)
        super().process(data_batch, data_samples)
        num_classes = len(self.dataset_meta['classes'])
        for index, sample in zip(range(start, len(self.results)),
                                 data_samples):
            pred = sample['pred_sem_seg']['data'].squeeze()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            level = torch.from_numpy(
                mmcv.imread(
                    level_map_path(sample['img_path'], self.img_dir,
                                   self.level_dir),
                    flag='unchanged').astype(np.int64)).to(pred.device)
            if level.shape != label.shape:
                raise ValueError(f'level map of {sample["img_path"]} is '
                                 f'{tuple(level.shape)}, label '
                                 f'{tuple(label.shape)}')
            per_level = [
                self.intersect_and_union(
                    pred, label.masked_fill(level != value, self.ignore_index),
                    num_classes, self.ignore_index)
                for value in range(len(self.level_names))
            ]
            self.results[index] = (self.results[index], per_level)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute IoUMetric's metrics plus accuracy and mIoU per level.

        Args:
            results (list): ``(overall_areas, per_level_areas)`` per sample.

        Returns:
            dict[str, float]: The metrics.
        """
        metrics = super().compute_metrics([overall for overall, _ in results])
        for value, name in enumerate(self.level_names):
            areas = [sum(area) for area in zip(*(
                levels[value] for _, levels in results))]
            scores = self.total_area_to_metrics(*areas, ['mIoU'])
            present = areas[3].numpy() > 0
            metrics[f'{name}.aAcc'] = np.round(scores['aAcc'] * 100, 2)
            metrics[f'{name}.mIoU'] = np.round(
                np.mean(scores['IoU'][present]) * 100, 2) if present.any() \
                else float('nan')
        return metrics
