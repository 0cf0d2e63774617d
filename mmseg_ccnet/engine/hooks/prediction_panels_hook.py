# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample


@HOOKS.register_module()
class PredictionPanelsHook(Hook):
    """Save input | ground truth | prediction pictures during val and test.

    For the first ``num_images`` samples of every validation or test run, a
    PNG with the three panels side by side (labels in the dataset's palette,
    ignored pixels black) is written to ``{log_dir}/panels/``. Small images
    are enlarged (nearest neighbour) so that each panel is at least
    ``min_size`` pixels high. In distributed runs the main process draws
    the samples of its share of the data; the other processes draw none.

    Args:
        num_images (int): Samples drawn per run. Defaults to 8.
        min_size (int): Minimal panel height in pixels. Defaults to 256.
    """

    priority = 'LOW'

    def __init__(self, num_images: int = 8, min_size: int = 256) -> None:
        self.num_images = num_images
        self.min_size = min_size
        self._remaining = 0
        self._palette = None

    def _start(self, dataset) -> None:
        """Start counting anew, with the palette of ``dataset``."""
        self._remaining = self.num_images if is_main_process() else 0
        self._palette = np.asarray(dataset.metainfo['palette'], np.uint8)

    def before_val_epoch(self, runner) -> None:
        """Start counting anew for a validation run."""
        self._start(runner.val_loop.dataloader.dataset)

    def before_test_epoch(self, runner) -> None:
        """Start counting anew for a test run."""
        self._start(runner.test_loop.dataloader.dataset)

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence[SegDataSample]] = None
                       ) -> None:
        """Draw the batch's samples until ``num_images`` are drawn.

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index of the batch.
            data_batch (dict, optional): The batch.
            outputs (Sequence[SegDataSample], optional): Its predictions.
        """
        folder = osp.join(runner.log_dir, 'panels')
        for sample in outputs or ():
            if not self._remaining:
                return
            path = osp.join(folder, osp.basename(sample.img_path))
            mmcv.imwrite(self.panels(sample, self._palette), path)
            self._remaining -= 1
            if not self._remaining:
                print_log(
                    f'PredictionPanelsHook: pictures in {folder}',
                    logger='current')

    after_test_iter = after_val_iter

    def panels(self, sample: SegDataSample, palette: np.ndarray) -> np.ndarray:
        """The three panels of one sample as a BGR image.

        Args:
            sample (SegDataSample): With ``img_path``, ``gt_sem_seg`` and
                ``pred_sem_seg`` at the original image size.
            palette (np.ndarray): (num_classes, 3) RGB colours.

        Returns:
            np.ndarray: (H', 3 * W' + 2 * gap, 3) uint8 BGR picture.
        """
        image = mmcv.imread(sample.img_path, channel_order='rgb')

        def colour(labels: np.ndarray) -> np.ndarray:
            known = labels < len(palette)
            return np.where(known[..., None],
                            palette[np.where(known, labels, 0)], 0)

        pieces = [
            image,
            colour(sample.gt_sem_seg.data[0].cpu().numpy()),
            colour(sample.pred_sem_seg.data[0].cpu().numpy())
        ]
        scale = max(1, -(-self.min_size // image.shape[0]))
        pieces = [
            np.kron(piece, np.ones((scale, scale, 1))).astype(np.uint8)
            for piece in pieces
        ]
        gap = np.full((pieces[0].shape[0], 4 * scale, 3), 255, np.uint8)
        return mmcv.rgb2bgr(
            np.concatenate([pieces[0], gap, pieces[1], gap, pieces[2]], 1))
