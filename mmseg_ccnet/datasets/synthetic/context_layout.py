# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Images whose labels need context from the criss-cross path or beyond.

The image is a ``GRID x GRID`` board of ``CELL``-pixel cells, each holding at
most one ``PATCH``-pixel square at its centre:

* cell ``(0, 0)``: the *global key*, a ring in one of the key colours;
* cells ``(r, 0)``, ``r >= 1``: *row keys*, solid squares in key colours;
* cells ``(r, c)``, ``r, c >= 1``: empty, or a grey *target*. Targets look
  alike whatever their class; their class is a key's colour:

  - a *row target* (horizontal stripes) takes the colour of the row key in
    its own row: the evidence lies on its row (``LEVEL_ROW``, one
    criss-cross pass reaches it);
  - a *global target* (checkerboard) takes the colour of the global key,
    which lies off its row and column (``LEVEL_GLOBAL``, two passes needed);
* cells ``(0, c)``, ``c >= 1``: always a checkerboard target too, but in the
  global key's row, so one pass reaches its evidence (``LEVEL_ROW``). These
  teach the first pass to fetch the global key; a global target's second
  pass can then fetch it from the one in its column. They make the two-hop
  route learnable within a short schedule and reveal nothing to one pass
  (they look the same whatever the colour).

Keys and background are labelled by what they look like (``LEVEL_LOCAL``).
All colours are drawn independently, so nothing on a global target's row or
column tells its class. Squares of different cells are at least
``CELL - PATCH`` pixels apart: a model whose local reach is shorter (its
backbone's receptive field half-width plus the output stride, through which
the upsampled logits mix neighbouring features) cannot see any key from a
target without context.
"""
from typing import Tuple

import numpy as np

CELL = 16
GRID = 4
PATCH = 6
IMAGE_SIZE = CELL * GRID

CLASSES = ('background', 'red', 'green', 'blue', 'yellow')
PALETTE = ((64, 64, 64), (220, 40, 40), (40, 180, 40), (40, 80, 220),
           (220, 200, 40))
NUM_KEY_COLOURS = len(CLASSES) - 1

LEVEL_LOCAL, LEVEL_ROW, LEVEL_GLOBAL = 0, 1, 2
LEVELS = ('local', 'row', 'global')

EMPTY, ROW_TARGET, GLOBAL_TARGET = 0, 1, 2
TARGET_PROBS = (0.2, 0.4, 0.4)  # empty, row target, global target

GREY_LIGHT, GREY_DARK, WHITE = 170, 110, 255
NOISE_STD = 8.0


def square(row: int, col: int) -> Tuple[slice, slice]:
    """Pixel window of the square at the centre of cell (row, col)."""
    top = row * CELL + (CELL - PATCH) // 2
    left = col * CELL + (CELL - PATCH) // 2
    return slice(top, top + PATCH), slice(left, left + PATCH)


def texture(kind: int) -> np.ndarray:
    """The grey texture of a target: horizontal stripes or a checkerboard.

    Args:
        kind (int): ``ROW_TARGET`` or ``GLOBAL_TARGET``.

    Returns:
        np.ndarray: (PATCH, PATCH) grey levels.
    """
    ys, xs = np.mgrid[:PATCH, :PATCH]
    dark = ys % 2 == 1 if kind == ROW_TARGET else (ys // 2 + xs // 2) % 2 == 1
    return np.where(dark, GREY_DARK, GREY_LIGHT)


def render(rng: np.random.Generator
           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one image of the layout described in the module docstring.

    Args:
        rng (np.random.Generator): Source of all randomness.

    Returns:
        tuple[np.ndarray]: ``image`` (IMAGE_SIZE, IMAGE_SIZE, 3) uint8 RGB,
        ``label`` (IMAGE_SIZE, IMAGE_SIZE) uint8 class indices into
        ``CLASSES``, and ``level`` (IMAGE_SIZE, IMAGE_SIZE) uint8 with the
        ``LEVEL_*`` each pixel's label depends on.
    """
    image = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.float32)
    image[:] = PALETTE[0]
    label = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    level = np.full((IMAGE_SIZE, IMAGE_SIZE), LEVEL_LOCAL, dtype=np.uint8)
    # key colours are classes 1..NUM_KEY_COLOURS
    global_colour = rng.integers(1, NUM_KEY_COLOURS + 1)
    row_colours = rng.integers(1, NUM_KEY_COLOURS + 1, size=GRID)

    window = square(0, 0)
    image[window] = PALETTE[global_colour]
    inner = slice(window[0].start + 2, window[0].stop - 2)
    image[inner, slice(window[1].start + 2, window[1].stop - 2)] = WHITE
    label[window] = global_colour
    for col in range(1, GRID):
        window = square(0, col)
        image[window] = texture(GLOBAL_TARGET)[..., None]
        label[window], level[window] = global_colour, LEVEL_ROW
    for row in range(1, GRID):
        window = square(row, 0)
        image[window] = PALETTE[row_colours[row]]
        label[window] = row_colours[row]
        kinds = rng.choice(3, size=GRID - 1, p=TARGET_PROBS)
        for col, kind in enumerate(kinds, start=1):
            if kind == EMPTY:
                continue
            window = square(row, col)
            image[window] = texture(kind)[..., None]
            if kind == ROW_TARGET:
                label[window], level[window] = row_colours[row], LEVEL_ROW
            else:
                label[window], level[window] = global_colour, LEVEL_GLOBAL
    image += rng.normal(0.0, NOISE_STD, image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8), label, level
