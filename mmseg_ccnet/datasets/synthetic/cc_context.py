# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from . import context_layout
from .generation import generate_once, item_rng, write_labelled


def generation_meta(seed: int, num_train: int, num_val: int) -> dict:
    """What identifies a generated copy of the dataset."""
    return dict(
        dataset='CrissCrossContextDataset',
        layout=dict(
            cell=context_layout.CELL,
            grid=context_layout.GRID,
            patch=context_layout.PATCH),
        seed=seed,
        num_images=dict(train=num_train, val=num_val))


def write_split(root: str, split: str, seed: int, count: int) -> None:
    """Render ``count`` images of one split into ``root``.

    Image ``i`` of split ``s`` depends only on ``(seed, s, i)``.
    """
    for index in range(count):
        image, label, level = context_layout.render(
            item_rng(seed, split, index))
        write_labelled(root, split, f'{index:05d}.png', image, label, level)


def generate(data_root: str, seed: int, num_train: int, num_val: int) -> None:
    """Generate the dataset into ``data_root`` unless it is there already.

    See :func:`~mmseg_ccnet.datasets.synthetic.generation.generate_once`.

    Args:
        data_root (str): Target folder.
        seed (int): Seed of the generator.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.

    Raises:
        ValueError: If ``data_root`` holds something else (another seed or
            size, or files that this dataset did not write).
    """
    generate_once(data_root, generation_meta(seed, num_train, num_val),
                  write_split, seed, dict(train=num_train, val=num_val),
                  'images')


@DATASETS.register_module()
class CrissCrossContextDataset(BaseSegDataset):
    """Embedded context benchmark: labels that need criss-cross context.

    The images (``img_dir``), labels (``ann_dir``) and per-pixel context
    levels (``level_dir``, see :mod:`context_layout`) are generated
    deterministically from ``seed`` into ``data_root`` on first use, as
    ordinary PNG files in MMSegmentation's standard layout
    (``{img_dir,ann_dir}/{train,val}/*.png``).

    Args:
        data_root (str): Folder of the generated data.
        data_prefix (dict): Image and label folders of the split.
            Defaults to the training split.
        seed (int): Seed of the generator. Defaults to 0.
        num_train (int): Number of training images. Defaults to 2000.
        num_val (int): Number of validation images. Defaults to 200.
        **kwargs: Further arguments of :class:`BaseSegDataset`.
    """
    METAINFO = dict(
        classes=context_layout.CLASSES,
        palette=[list(colour) for colour in context_layout.PALETTE])

    def __init__(self,
                 data_root: str,
                 data_prefix: dict = dict(
                     img_path='img_dir/train', seg_map_path='ann_dir/train'),
                 seed: int = 0,
                 num_train: int = 2000,
                 num_val: int = 200,
                 **kwargs) -> None:
        generate(data_root, seed, num_train, num_val)
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            img_suffix='.png',
            seg_map_suffix='.png',
            **kwargs)
