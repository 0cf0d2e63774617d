# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""What every benchmark tool writes: its setting, JSON, markdown, a plot.

:func:`setting` records the command line and the machine with a tool's own
parameters; :func:`write_report` writes ``results.json``, ``results.md``
(and ``results.png``) into the output folder and, on request, the markdown
with its command into a section of a documentation file.
"""
import json
import os
import sys
import time
from typing import Callable, Dict, Optional

from mmseg_ccnet.utils.markdown import write_section

from .measure import machine

__all__ = ['setting', 'write_report']


def setting(**parameters) -> Dict[str, object]:
    """A report's ``setting``: the tool's parameters, command and machine.

    Args:
        **parameters: The tool's parameters (sizes, threads, repeats...).

    Returns:
        dict: The parameters, ``command`` (this process's command line),
        ``started`` (local time) and :func:`~.measure.machine`'s fields.
    """
    return dict(
        parameters,
        command=' '.join(sys.argv),
        started=time.strftime('%Y-%m-%d %H:%M:%S'),
        **machine())


def write_report(report: Dict,
                 table: str,
                 out_dir: str,
                 plot: Optional[Callable[[Dict, str], None]] = None,
                 doc: Optional[str] = None,
                 section: Optional[str] = None) -> None:
    """Write a benchmark's report and print its table.

    Args:
        report (dict): The measurements, written as ``results.json``.
        table (str): Their markdown, written as ``results.md``.
        out_dir (str): The folder, created if missing.
        plot (Callable, optional): ``plot(report, path)`` draws
            ``results.png``. Defaults to None (no plot).
        doc (str, optional): A markdown file whose ``section`` receives the
            command and the table. Defaults to None.
        section (str, optional): The section's name, required with
            ``doc``.
    """
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'results.json'), 'w') as file:
        json.dump(report, file, indent=2)
    with open(os.path.join(out_dir, 'results.md'), 'w') as file:
        file.write(table)
    written = ['json', 'md']
    if plot is not None:
        plot(report, os.path.join(out_dir, 'results.png'))
        written.append('png')
    if doc:
        command = ' '.join(['python', *sys.argv])
        write_section(doc, section, f'```bash\n{command}\n```\n\n{table}')
    print(table)
    print(f'written to {out_dir}/results.{{{",".join(written)}}}')
