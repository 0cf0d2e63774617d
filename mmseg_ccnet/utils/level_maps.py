# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Where the level maps of the context benchmarks lie.

A context benchmark stores beside each image a *level map*, a single-channel
PNG whose value at a pixel says where the evidence for that pixel's label
lies (e.g. 0 local, 1 on its row, 2 elsewhere). The map of
``<root>/img_dir/<split>/<name>`` is ``<root>/level_dir/<split>/<name>``:
the generators of the embedded benchmarks write it there and
``ContextIoUMetric`` reads it from there.
"""
import os.path as osp


def level_map_path(img_path: str,
                   img_dir: str = 'img_dir',
                   level_dir: str = 'level_dir') -> str:
    """The level map of an image.

    Args:
        img_path (str): Path of the image.
        img_dir (str): The folder of the path that holds the images.
            Defaults to 'img_dir'.
        level_dir (str): The folder that holds the level maps in its place.
            Defaults to 'level_dir'.

    Returns:
        str: ``img_path`` with its last ``img_dir`` folder replaced by
        ``level_dir``.

    Raises:
        ValueError: If no folder of ``img_path`` is called ``img_dir``.
    """
    parts = img_path.split(osp.sep)
    if img_dir not in parts:
        raise ValueError(f'no {img_dir!r} folder in {img_path}')
    parts[len(parts) - 1 - parts[::-1].index(img_dir)] = level_dir
    return osp.sep.join(parts)
