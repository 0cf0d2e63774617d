# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadClipFromFiles(LoadImageFromFile):
    """Load the frames of a clip, stacked along the channels.

    Every frame is read as :class:`LoadImageFromFile` reads an image (same
    arguments); the frames are stacked frame-major into one
    (H, W, T * C) array, so that MMSegmentation's geometric transforms
    (resize, crop, flip, ...) treat the whole clip at once and identically.
    ``img_path`` keeps the key frame, whose label the sample carries.
    OpenCV resizes at most 512 channels: T <= 170 colour frames.

    Required Keys:

    - clip_paths (list[str]): The frames of the clip, in order.

    Added Keys:

    - img (np.ndarray): (H, W, T * C), frame ``t`` in channels
      ``[t * C, (t + 1) * C)``.
    - img_shape
    - ori_shape

    Args:
        **kwargs: Arguments of :class:`LoadImageFromFile` (``to_float32``,
            ``color_type``, ``imdecode_backend``, ``ignore_empty``,
            ``backend_args``).
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load the clip.

        Args:
            results (dict): Result dict with ``clip_paths``.

        Returns:
            dict, optional: The result dict with the clip as ``img``; None
            if a frame cannot be read and ``ignore_empty`` is set.
        """
        frames = []
        for path in results['clip_paths']:
            loaded = super().transform(dict(img_path=path))
            if loaded is None:
                return None
            frames.append(loaded['img'])
        shapes = [frame.shape for frame in frames]
        if len(set(shapes)) != 1:
            raise ValueError(f'the frames of a clip differ in shape: '
                             f'{dict(zip(results["clip_paths"], shapes))}')
        results['img'] = np.dstack(frames)
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        return results
