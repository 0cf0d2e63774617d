# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Clips whose labelled frame alone cannot tell the class of its targets.

A sequence is ``NUM_FRAMES`` frames of one still board in the geometry of
:mod:`context_layout` (``GRID x GRID`` cells of ``CELL`` pixels, at most one
``PATCH``-pixel square at the centre of each), with fresh noise in every
frame. The labelled frame is the middle one, ``KEY_FRAME`` (the key frame of
a clip of ``NUM_FRAMES`` frames, see :mod:`mmseg_ccnet.utils.clip`). Each
cell independently holds:

* nothing: background;
* a *key*: a solid square in a key colour, the same in every frame; labelled
  by what it looks like (``LEVEL_LOCAL``);
* a *target*: a grey checkerboard square in every frame but one other
  frame, its *reveal frame*, in which the checkerboard shows its colour. In
  the labelled frame it is labelled with that colour: the evidence lies at
  the same place in another frame (``LEVEL_TEMPORAL``).

Colours and reveal frames are drawn independently, so a target looks the
same in the labelled frame whatever its class: a model that sees the
labelled frame alone is right on a target pixel with probability 1/4 at
best, while one pass of 3D criss-cross attention (the temporal line)
reaches the evidence. A revealed target (coloured checkerboard) does not
look like a key (solid), so keys on a target's row or column are no
evidence for it.
"""
from typing import Tuple

import numpy as np

from ...utils import key_frame_index
from .context_layout import (
    GLOBAL_TARGET,
    GREY_LIGHT,
    GRID,
    IMAGE_SIZE,
    NOISE_STD,
    NUM_KEY_COLOURS,
    PALETTE,
    square,
    texture,
)

NUM_FRAMES = 5
KEY_FRAME = key_frame_index(NUM_FRAMES)

LEVEL_LOCAL, LEVEL_TEMPORAL = 0, 1
LEVELS = ('local', 'temporal')

EMPTY, KEY, TARGET = 0, 1, 2
CELL_PROBS = (0.2, 0.3, 0.5)  # empty, key, target


def render_sequence(rng: np.random.Generator
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one sequence of the layout described in the module docstring.

    Args:
        rng (np.random.Generator): Source of all randomness.

    Returns:
        tuple[np.ndarray]: ``frames`` (NUM_FRAMES, IMAGE_SIZE, IMAGE_SIZE,
        3) uint8 RGB, and for the labelled frame ``frames[KEY_FRAME]``:
        ``label`` (IMAGE_SIZE, IMAGE_SIZE) uint8 class indices into
        ``CLASSES`` and ``level`` (IMAGE_SIZE, IMAGE_SIZE) uint8 with the
        ``LEVEL_*`` each pixel's label depends on.
    """
    frames = np.empty((NUM_FRAMES, IMAGE_SIZE, IMAGE_SIZE, 3), np.float32)
    frames[:] = PALETTE[0]
    label = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    level = np.full((IMAGE_SIZE, IMAGE_SIZE), LEVEL_LOCAL, dtype=np.uint8)
    other_frames = [t for t in range(NUM_FRAMES) if t != KEY_FRAME]
    checkers = texture(GLOBAL_TARGET)[..., None]
    light = checkers == GREY_LIGHT
    kinds = rng.choice(3, size=(GRID, GRID), p=CELL_PROBS)
    # key colours are classes 1..NUM_KEY_COLOURS
    colours = rng.integers(1, NUM_KEY_COLOURS + 1, size=(GRID, GRID))
    reveals = rng.choice(other_frames, size=(GRID, GRID))
    for row in range(GRID):
        for col in range(GRID):
            window = square(row, col)
            colour = colours[row, col]
            if kinds[row, col] == KEY:
                frames[(slice(None), *window)] = PALETTE[colour]
            elif kinds[row, col] == TARGET:
                frames[(slice(None), *window)] = checkers
                revealed = np.where(light, PALETTE[colour], PALETTE[0])
                frames[(reveals[row, col], *window)] = revealed
                level[window] = LEVEL_TEMPORAL
            else:
                continue
            label[window] = colour
    frames += rng.normal(0.0, NOISE_STD, frames.shape)
    return np.clip(frames, 0, 255).round().astype(np.uint8), label, level
