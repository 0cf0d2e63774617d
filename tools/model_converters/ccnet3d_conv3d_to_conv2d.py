# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Convert CCNet3D weights with Conv3d attention projections to Conv2d.

``CrissCrossAttention3D`` (in ``CCHead3D`` and ``RCCA3D``) projects query,
key and value with the 1x1 ``Conv2d`` of the 2D attention. Checkpoints that
hold these projections as 1x1x1 ``Conv3d`` weights, 5D tensors under
``...cca.query_conv.weight``, ``...cca.key_conv.weight`` and
``...cca.value_conv.weight``, load after this conversion, which squeezes
them to 4D and leaves every other entry as it is::

    python tools/model_converters/ccnet3d_conv3d_to_conv2d.py IN.pth OUT.pth

The optimizer state, whose moments have the shapes of the Conv3d weights,
is left out: use the result with ``load_from`` (or ``tools/test.py``), not
to resume training.
"""
import argparse
import sys
from typing import Dict

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch

#: Key endings of the attention projections' weights.
PROJECTIONS = tuple(f'.cca.{name}.weight'
                    for name in ('query_conv', 'key_conv', 'value_conv'))


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert the 1x1x1 Conv3d attention projections of a '
        'CCNet3D checkpoint to the 1x1 Conv2d that CrissCrossAttention3D '
        'has')
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the converted one')
    return parser.parse_args()


def convert(state_dict: Dict[str, torch.Tensor]) -> int:
    """Squeeze the 1x1x1 Conv3d projection weights of a state_dict.

    Args:
        state_dict (dict[str, Tensor]): Model weights, changed in place.

    Returns:
        int: Number of weights converted.
    """
    keys = [
        key for key, value in state_dict.items()
        if f'.{key}'.endswith(PROJECTIONS) and value.dim() == 5
        and value.shape[2:] == (1, 1, 1)
    ]
    for key in keys:
        state_dict[key] = state_dict[key].squeeze(2)
    return len(keys)


def main() -> None:
    """Load, convert and save the checkpoint."""
    args = parse_args()
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = checkpoint.get('state_dict', checkpoint)
    converted = convert(state_dict)
    if not converted:
        sys.exit(f'{args.src} holds no 1x1x1 Conv3d weights under '
                 f'{", ".join("..." + key for key in PROJECTIONS)}')
    if checkpoint.pop('optimizer', None) is not None:
        print('left out the optimizer state: load the result with '
              'load_from, not to resume')
    torch.save(checkpoint, args.dst)
    print(f'converted {converted} weights; wrote {args.dst}')


if __name__ == '__main__':
    main()
