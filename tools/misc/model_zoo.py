# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Write the model-zoo table of every config folder from its metafile.

The metafiles (``configs/*/metafile.yaml``, the ones ``mim search`` reads)
are the only source of the zoo: this script renders each into the
``model-zoo`` section of its folder's README.md, and ``--check`` fails if a
README is not what the metafile gives::

    python tools/misc/model_zoo.py          # rewrite the tables
    python tools/misc/model_zoo.py --check  # exit 1 if one is stale
"""
import argparse
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List

import yaml

from mmseg_ccnet.utils.markdown import read_section, write_section

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
SECTION = 'model-zoo'


def cell(value) -> str:
    """A table cell: lists joined, missing values as a dash."""
    if value is None or value == '':
        return '-'
    if isinstance(value, list):
        return ', '.join(str(v) for v in value)
    return str(value).replace('|', '\\|')


def results(model: Dict) -> List[Dict]:
    """A model's ``Results``: one mapping or a list of them (both are
    allowed in OpenMMLab's metafiles); none if absent."""
    found = model.get('Results') or []
    return [found] if isinstance(found, dict) else found


def zoo_table(metafile: Path) -> str:
    """The markdown table of one metafile's models.

    Columns: config (linked), dataset, architecture, crop, batch x
    iterations, every metric any model reports (measured results), the
    target (``Metadata: Target``, what the recipe aims at) and the
    checkpoint (``Weights``).

    Args:
        metafile (Path): A ``metafile.yaml``.

    Returns:
        str: The table.
    """
    models: List[Dict] = yaml.safe_load(metafile.read_text())['Models']
    metrics: List[str] = []
    for model in models:
        for result in results(model):
            for name in result['Metrics']:
                if name not in metrics:
                    metrics.append(name)
    header = ['config', 'dataset', 'architecture', 'crop', 'batch x iters',
              *metrics, 'target', 'checkpoint']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for model in models:
        meta = model.get('Metadata', {})
        measured = {
            name: value
            for result in results(model)
            for name, value in result['Metrics'].items()
        }
        iterations = meta.get('Iterations')
        batch = meta.get('Batch Size')
        schedule = f'{batch} x {iterations}' if iterations else cell(batch)
        weights = model.get('Weights')
        config = osp.basename(model['Config'])
        lines.append('| ' + ' | '.join([
            f'[{model["Name"]}]({config})',
            cell(meta.get('Training Data')),
            cell(meta.get('Architecture')),
            cell(meta.get('Crop Size')), schedule,
            *(cell(measured.get(name)) for name in metrics),
            cell(meta.get('Target')),
            f'[model]({weights})' if weights else '-'
        ]) + ' |')
    return '\n'.join(lines)


def main() -> None:
    """Render (or check) every folder's table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--configs',
        default=str(CONFIGS),
        help='the configs folder (default: this checkout\'s)')
    parser.add_argument(
        '--check',
        action='store_true',
        help='change nothing; exit 1 if a README differs from its metafile')
    args = parser.parse_args()
    stale = []
    for metafile in sorted(Path(args.configs).glob('*/metafile.yaml')):
        readme = metafile.with_name('README.md')
        table = zoo_table(metafile)
        if read_section(str(readme), SECTION) == table:
            continue
        stale.append(str(readme))
        if not args.check:
            write_section(str(readme), SECTION, table)
    verb = 'stale' if args.check else 'written'
    for path in stale:
        print(f'{verb}: {path}')
    if args.check and stale:
        sys.exit(1)


if __name__ == '__main__':
    main()
