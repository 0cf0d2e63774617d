# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Where a pixel's context comes from after each pass of RCCA.

:func:`capture_attention` records the criss-cross attention of every pass
while a segmentor runs on an image. :func:`context_maps` follows a feature
position's weights backwards through the passes: the map after pass ``r``
is ``e_u A_r ... A_1``, where ``A_k`` is pass k's attention as an
(hw x hw) matrix (rows sum to 1). :func:`feature_position` and
:func:`to_image` map between image pixels and the feature grid;
:func:`draw` puts the maps over the image, next to the prediction.
"""
from typing import List, Tuple

import mmcv
import numpy as np
import torch
from mmseg.apis import inference_model
from mmseg.structures import SegDataSample

from ccnet_core import CrissCrossAttention

__all__ = [
    'capture_attention', 'propagate', 'context_maps', 'feature_position',
    'to_image', 'draw'
]


def capture_attention(model: torch.nn.Module,
                      image: np.ndarray) -> Tuple[List[torch.Tensor],
                                                  SegDataSample]:
    """Run the model on an image, recording every criss-cross attention.

    Args:
        model (nn.Module): A segmentor containing
            :class:`CrissCrossAttention` modules, in whole-image test mode.
        image (np.ndarray): BGR image (H, W, 3).

    Returns:
        tuple: The attention weights of each call in order, each
        (1, h, w, h + w), and the model's prediction.

    Raises:
        ValueError: If the model has no criss-cross attention of
            :mod:`ccnet_core` (the plugin's modules are its subclasses).
    """
    inputs: List[Tuple[CrissCrossAttention, torch.Tensor]] = []
    handles = [
        module.register_forward_pre_hook(
            lambda module, args: inputs.append((module, args[0])))
        for module in model.modules()
        if isinstance(module, CrissCrossAttention)
    ]
    if not handles:
        raise ValueError('the model has no ccnet_core CrissCrossAttention '
                         '(is its decode head a CCHead?)')
    try:
        result = inference_model(model, image)
    finally:
        for handle in handles:
            handle.remove()
    with torch.no_grad():
        attentions = [module.attention(x) for module, x in inputs]
    return attentions, result


def propagate(weights: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    """Pull a map of weights back through one criss-cross pass.

    Computes ``weights @ A`` for the (hw x hw) matrix ``A`` of one pass
    without building it: position (i, j) hands its weight to its column
    (first h entries of ``attention``) and its row (last w entries).

    Args:
        weights (Tensor): (h, w) weights over output positions.
        attention (Tensor): (h, w, h + w) criss-cross attention of the pass.

    Returns:
        Tensor: (h, w) weights over the pass's input positions.
    """
    height = weights.size(0)
    column = torch.einsum('ij,ijm->mj', weights, attention[..., :height])
    row = torch.einsum('ij,ijn->in', weights, attention[..., height:])
    return column + row


def context_maps(attentions: List[torch.Tensor], i: int,
                 j: int) -> List[torch.Tensor]:
    """Where the context of feature position (i, j) comes from, pass by pass.

    Args:
        attentions (list[Tensor]): Attention of passes 1..R, each
            (1, h, w, h + w).
        i (int): Row of the position on the feature map.
        j (int): Column of the position on the feature map.

    Returns:
        list[Tensor]: R maps of shape (h, w); map r is ``e_u A_r ... A_1``
        and sums to 1.
    """
    maps = []
    for passes in range(1, len(attentions) + 1):
        weights = torch.zeros(attentions[0].shape[1:3])
        weights[i, j] = 1.0
        for attention in reversed(attentions[:passes]):
            weights = propagate(weights, attention[0].float().cpu())
        maps.append(weights)
    return maps


def feature_position(sample: SegDataSample, feature_size: Tuple[int, int],
                     pixel: Tuple[int, int]) -> Tuple[int, int]:
    """Feature map position of an image pixel (whole-image inference).

    Args:
        sample (SegDataSample): The prediction, with the ``ori_shape``,
            ``img_shape`` and ``batch_input_shape`` of the inference.
        feature_size (tuple[int, int]): (h, w) of the feature map.
        pixel (tuple[int, int]): (row, column) in the original image.

    Returns:
        tuple[int, int]: (i, j) on the feature map.

    Raises:
        ValueError: If the pixel is outside the image.
    """
    ori_h, ori_w = sample.ori_shape
    img_h, img_w = sample.img_shape
    pad_h, pad_w = sample.metainfo.get('batch_input_shape', (img_h, img_w))
    y, x = pixel
    if not (0 <= y < ori_h and 0 <= x < ori_w):
        raise ValueError(f'pixel {pixel} is outside the image '
                         f'({ori_h}x{ori_w})')
    i = int(y * img_h / ori_h * feature_size[0] / pad_h)
    j = int(x * img_w / ori_w * feature_size[1] / pad_w)
    return i, j


def to_image(weights: torch.Tensor, sample: SegDataSample) -> np.ndarray:
    """A feature map resized onto the original image.

    Args:
        weights (Tensor): (h, w) map over the feature grid of the padded
            input.
        sample (SegDataSample): The prediction, with the shapes of the
            inference (see :func:`feature_position`).

    Returns:
        np.ndarray: The map without the padding, resized (nearest) to
        the original (H, W).
    """
    img_h, img_w = sample.img_shape
    pad_h, pad_w = sample.metainfo.get('batch_input_shape', (img_h, img_w))
    height, width = weights.shape
    crop = weights[:round(height * img_h / pad_h),
                   :round(width * img_w / pad_w)].numpy()
    ori_h, ori_w = sample.ori_shape
    return mmcv.imresize(crop, (ori_w, ori_h), interpolation='nearest')


def draw(image: np.ndarray, maps: List[np.ndarray], prediction: np.ndarray,
         palette: List[List[int]], pixel: Tuple[int, int], path: str) -> None:
    """Save the image, the per-pass maps over it and the prediction.

    Args:
        image (np.ndarray): BGR image (H, W, 3).
        maps (list[np.ndarray]): Per pass, the (H, W) map of
            :func:`context_maps` on the image (see :func:`to_image`).
        prediction (np.ndarray): (H, W) predicted classes.
        palette (list[list[int]]): RGB colour of each class.
        pixel (tuple[int, int]): (row, column) of the pixel, marked in
            every panel.
        path (str): The image file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rgb = mmcv.bgr2rgb(image)
    panels = 2 + len(maps)
    fig, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.6))
    axes[0].imshow(rgb)
    axes[0].set_title('input')
    for index, weights in enumerate(maps, start=1):
        axes[index].imshow(rgb)
        axes[index].imshow(weights, cmap='jet', alpha=0.6)
        axes[index].set_title(f'attention after pass {index}')
    colours = np.asarray(palette, dtype=np.uint8)
    axes[-1].imshow(colours[prediction % len(colours)])
    axes[-1].set_title('prediction')
    for axis in axes:
        axis.plot(pixel[1], pixel[0], 'w+', markersize=12, mew=2)
        axis.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
