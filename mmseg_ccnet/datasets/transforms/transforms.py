# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import numpy as np
from mmseg.datasets.transforms import PhotoMetricDistortion
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ClipPhotoMetricDistortion(PhotoMetricDistortion):
    """:class:`PhotoMetricDistortion` drawn once per clip.

    The clip's frames, stacked along the channels (``LoadClipFromFiles``),
    are distorted one by one by :class:`PhotoMetricDistortion`, with the
    random draws (NumPy's global generator) replayed for each frame, so
    that every frame gets the same brightness, contrast, saturation and hue
    change, exactly as if it were the only image.

    Required Keys:

    - img (np.ndarray): (H, W, T * 3), BGR frames stacked frame-major.

    Modified Keys:

    - img

    Args:
        **kwargs: Arguments of :class:`PhotoMetricDistortion`.
    """

    def transform(self, results: dict) -> dict:
        """Distort every frame of the clip in the same way.

        Args:
            results (dict): Result dict with the clip as ``img``.

        Returns:
            dict: The result dict with the distorted clip.
        """
        img = results['img']
        if img.ndim != 3 or img.shape[2] % 3:
            raise ValueError('expected BGR frames stacked along channels, '
                             f'(H, W, T * 3), got shape {img.shape}')
        state = np.random.get_state()
        frames = []
        for start in range(0, img.shape[2], 3):
            np.random.set_state(state)
            frame = np.ascontiguousarray(img[..., start:start + 3])
            frames.append(super().transform(dict(img=frame))['img'])
        results['img'] = np.dstack(frames)
        return results
