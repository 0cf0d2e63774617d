# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Markdown tables, the issue's targets and the plot of the benchmark."""
from typing import Dict, List, Tuple

from cca_cases import CASES, PAPER_SIZE, REFERENCE


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0."""
    return numerator / denominator if denominator else float('nan')


def ratio_row(results: Dict, name: str) -> List[str]:
    """Ratios of one case to the einsum reference, as table cells.

    Args:
        results (dict): All cases at one size.
        name (str): The case.

    Returns:
        list[str]: Time and peak memory ratios, forward + backward.
    """
    case = results[name]
    ref = results[REFERENCE]
    return [
        f"{case['time_ratio']['train']:.2f}",
        f"{ratio(case['peak_bytes']['train'], ref['peak_bytes']['train']):.2f}"
    ]


def markdown_tables(report: Dict) -> str:
    """The report as markdown: one table per size and the targets."""
    setting = report['setting']
    lines = [
        f"Input 1 x C x S x S with B = {setting['batch']}, C = "
        f"{setting['channels']}, R = {setting['recurrence']} criss-cross "
        f"passes (one non-local block), {setting['threads']} CPU threads, "
        f"median of {setting['repeats']} rounds after {setting['warmup']} "
        'warm-up rounds; peak memory per case in a fresh process (RSS high-'
        'water mark minus RSS before the step). Ratios are to '
        f'`{REFERENCE}`, forward + backward; the time ratio is the median '
        'over rounds of the two times measured in the same round.', ''
    ]
    header = ('| S | case | fwd ms | fwd+bwd ms | fwd peak MiB | '
              'fwd+bwd peak MiB | fwd GFLOPs | fwd+bwd GFLOPs | FLOPs = '
              'analytic | time ratio | memory ratio |')
    lines += [header, '|' + '---|' * (header.count('|') - 1)]
    for size, results in report['sizes'].items():
        for name, case in results.items():
            exact = case['flops'] == case['analytic_flops']
            lines.append('| ' + ' | '.join([
                size, f'`{name}`',
                f"{1e3 * case['time_s']['forward']:.0f}",
                f"{1e3 * case['time_s']['train']:.0f}",
                f"{case['peak_bytes']['forward'] / 2**20:.1f}",
                f"{case['peak_bytes']['train'] / 2**20:.1f}",
                f"{case['flops']['forward'] / 1e9:.2f}",
                f"{case['flops']['train'] / 1e9:.2f}",
                'yes' if exact else 'NO', *ratio_row(results, name)
            ]) + ' |')
    lines += ['', targets_table(report)]
    return '\n'.join(lines) + '\n'


def targets(report: Dict) -> List[Tuple[str, str, float, bool]]:
    """The issue's targets at the paper's setting.

    Returns:
        list[tuple]: ``(metric, target, measured, met)`` per target; empty
        if the paper's size was not measured.
    """
    results = report['sizes'].get(str(PAPER_SIZE))
    if results is None:
        return []
    ours = results['cca-efficient']
    ref = results[REFERENCE]
    nonlocal_ = results['nonlocal2d']
    time_ratio = ours['time_ratio']['train']
    memory_ratio = ratio(ours['peak_bytes']['train'],
                         ref['peak_bytes']['train'])
    less_memory = ratio(nonlocal_['peak_bytes']['train'],
                        ours['peak_bytes']['train'])
    fewer_flops = 1 - ratio(ours['flops']['forward'],
                            nonlocal_['flops']['forward'])
    return [
        ('fwd+bwd time, efficient / einsum reference', '<= 1.0',
         time_ratio, time_ratio <= 1.0),
        ('fwd+bwd peak memory, efficient / einsum reference', '<= 0.5',
         memory_ratio, memory_ratio <= 0.5),
        ('fwd+bwd peak memory, non-local / efficient', '>= 11',
         less_memory, less_memory >= 11),
        ('forward FLOPs, 1 - efficient / non-local', '>= 0.85', fewer_flops,
         fewer_flops >= 0.85),
    ]


def targets_table(report: Dict) -> str:
    """Markdown table of :func:`targets`."""
    rows = targets(report)
    if not rows:
        return f'(targets are defined at {PAPER_SIZE}x{PAPER_SIZE}: not run)'
    lines = [
        f'Targets at {PAPER_SIZE}x{PAPER_SIZE}:', '',
        '| metric | target | measured | met |', '|---|---|---|---|'
    ]
    for metric, target, value, met in rows:
        lines.append(f"| {metric} | {target} | {value:.3f} | "
                     f"{'yes' if met else 'no'} |")
    return '\n'.join(lines)


def plot(report: Dict, path: str) -> None:
    """Plot fwd+bwd time and peak memory against the feature size."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [int(s) for s in report['sizes']]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name in CASES:
        cases = [report['sizes'][str(s)][name] for s in sizes]
        axes[0].plot(sizes, [c['time_s']['train'] for c in cases], 'o-',
                     label=name)
        axes[1].plot(sizes, [c['peak_bytes']['train'] / 2**20 for c in cases],
                     'o-', label=name)
    for axis, label in zip(axes, ('fwd+bwd time (s)', 'fwd+bwd peak (MiB)')):
        axis.set_xlabel('feature size S (S x S)')
        axis.set_ylabel(label)
        axis.set_yscale('log')
        axis.grid(True, which='both', alpha=0.3)
    axes[0].legend()
    setting = report['setting']
    figure.suptitle(f"C = {setting['channels']}, R = "
                    f"{setting['recurrence']}, {setting['threads']} CPU "
                    'threads')
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
