# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checks and conversions of feature-map layouts.

Images are (B, C, H, W) feature maps; clips and volumes are
(B, C, T, H, W), T frames (or the depth of a volume) of (H, W) maps.
"""
import torch


def check_integer(value: int, name: str, minimum: int) -> None:
    """Raise a ValueError unless ``value`` is an integer >= ``minimum``.

    Args:
        value (int): The value to check.
        name (str): Its name, for the message.
        minimum (int): The smallest value allowed.
    """
    if not isinstance(value, int) or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, got '
                         f'{value!r}')


def check_feature_map(x: torch.Tensor,
                      channels: int,
                      layout: str = '(B, C, H, W)') -> None:
    """Raise a ValueError unless ``x`` is a feature map of ``channels``.

    The layout gives the number of dimensions (4 for ``'(B, C, H, W)'``,
    5 for ``'(B, C, T, H, W)'``). A batch of zero samples is a feature map;
    a map with an empty dimension after C is not (there is no position to
    attend from).

    Args:
        x (Tensor): The tensor to check.
        channels (int): Expected size of dimension 1.
        layout (str): Human-readable layout, for the number of dimensions
            and the message. Defaults to ``'(B, C, H, W)'``.
    """
    dims = layout.count(',') + 1
    expected = f'expected a {dims}D feature map {layout} with C={channels}'
    if not isinstance(x, torch.Tensor) or x.dim() != dims:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x)
        raise ValueError(f'{expected}, got {got}')
    if x.size(1) != channels:
        raise ValueError(f'{expected}, got {x.size(1)} channels (shape '
                         f'{tuple(x.shape)})')
    if 0 in x.shape[2:]:
        raise ValueError(f'{expected} and no empty dimension after C, got '
                         f'shape {tuple(x.shape)}')


def memory_format(x: torch.Tensor) -> torch.memory_format:
    """The memory format ``x`` follows: channels last or contiguous.

    Args:
        x (Tensor): A 4D or 5D tensor.

    Returns:
        torch.memory_format: ``torch.channels_last`` (4D) or
        ``torch.channels_last_3d`` (5D) if ``x`` is laid out so and not
        also plainly contiguous, else ``torch.contiguous_format``.
    """
    last = torch.channels_last if x.dim() == 4 else torch.channels_last_3d
    if not x.is_contiguous() and x.is_contiguous(memory_format=last):
        return last
    return torch.contiguous_format


def fold_frames(x: torch.Tensor) -> torch.Tensor:
    """The frames of clips as one batch of feature maps.

    Args:
        x (Tensor): Clips of shape (B, C, T, H, W).

    Returns:
        Tensor: Shape (B * T, C, H, W), clip-major (frame t of clip b at
        row ``b * T + t``).
    """
    return x.transpose(1, 2).flatten(0, 1)


def unfold_frames(x: torch.Tensor, num_frames: int) -> torch.Tensor:
    """The inverse of :func:`fold_frames`, as a view.

    Args:
        x (Tensor): Frames of shape (B * T, C, H, W), clip-major.
        num_frames (int): Frames T per clip.

    Returns:
        Tensor: A view of shape (B, C, T, H, W).
    """
    return x.unflatten(0, (-1, num_frames)).transpose(1, 2)
