# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The criss-cross attention benchmark: cases, FLOPs, report.

Cases (:data:`CASES`), applied to one (B, C, S, S) input: both
implementations of :class:`~mmseg_ccnet.models.CrissCrossAttention`,
``recurrence`` passes with shared weights as in RCCA, and mmcv's
``NonLocal2d`` (embedded Gaussian, the paper's baseline, one block). Each
case is timed in inference (no grad) and in training (forward + backward),
its peak memory is measured in a fresh process, and its FLOPs are counted
by :class:`torch.utils.flop_counter.FlopCounterMode` (matrix products and
convolutions, 2 per multiply-add) and checked against :func:`analytic_flops`.
Ratios refer to :data:`REFERENCE`, the einsum formulation of mmcv.
"""
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import NonLocal2d
from torch.utils.flop_counter import FlopCounterMode

from mmseg_ccnet.models import RecurrentCrissCrossAttention

from .measure import peak_rss_increase, ratio

__all__ = [
    'CASES', 'REFERENCE', 'PAPER_SIZE', 'build_case', 'make_inputs',
    'case_steps', 'count_flops', 'analytic_flops', 'check_outputs_agree',
    'peak_memory', 'markdown_tables', 'targets', 'plot'
]

#: Feature size of the paper's setting (769x769 crops, output stride 8).
PAPER_SIZE = 97
CASES = ('cca-efficient', 'cca-einsum', 'nonlocal2d')
REFERENCE = 'cca-einsum'


def build_case(name: str, channels: int, recurrence: int) -> nn.Module:
    """One case with seeded weights.

    The criss-cross cases share their weights (and a non-zero gamma), so
    their outputs agree.

    Args:
        name (str): One of :data:`CASES`.
        channels (int): Channels C of the feature map.
        recurrence (int): Passes R of the criss-cross cases.

    Returns:
        nn.Module: The case, mapping (B, C, H, W) to (B, C, H, W).
    """
    torch.manual_seed(0)
    if name == 'nonlocal2d':
        return NonLocal2d(channels, reduction=2, mode='embedded_gaussian')
    model = RecurrentCrissCrossAttention(
        channels, recurrence, impl=name.split('-')[1])
    with torch.no_grad():
        model.cca.gamma.scale.fill_(0.5)
    return model


def make_inputs(batch: int, channels: int,
                size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded input (requiring grad) and output gradient.

    Args:
        batch (int): B.
        channels (int): C.
        size (int): S, the feature map is S x S.

    Returns:
        tuple[Tensor, Tensor]: ``x`` and ``grad_out``, (B, C, S, S).
    """
    generator = torch.Generator().manual_seed(1)
    shape = (batch, channels, size, size)
    x = torch.randn(shape, generator=generator).requires_grad_()
    return x, torch.randn(shape, generator=generator)


def case_steps(model: nn.Module, x: torch.Tensor,
               grad_out: torch.Tensor) -> Dict[str, Callable[[], None]]:
    """The measured steps of a case.

    Args:
        model (nn.Module): The case.
        x (Tensor): Input, requiring grad.
        grad_out (Tensor): Gradient of the output.

    Returns:
        dict: ``forward`` (no grad) and ``train`` (forward and backward,
        gradients set to None first), functions of no arguments.
    """

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def train() -> None:
        x.grad = None
        model.zero_grad(set_to_none=True)
        model(x).backward(grad_out)

    return dict(forward=forward, train=train)


def count_flops(model: nn.Module, x: torch.Tensor,
                grad_out: torch.Tensor) -> Dict[str, int]:
    """FLOPs counted by ``FlopCounterMode`` for each step.

    Args:
        model (nn.Module): The case.
        x (Tensor): Input.
        grad_out (Tensor): Output gradient.

    Returns:
        dict: ``forward`` and ``train`` FLOPs.
    """
    counts = {}
    for step_name, step in case_steps(model, x, grad_out).items():
        with FlopCounterMode(display=False) as counter:
            step()
        counts[step_name] = counter.get_total_flops()
    return counts


def analytic_flops(name: str, batch: int, channels: int, size: int,
                   recurrence: int) -> Dict[str, int]:
    """FLOPs of the matrix products and convolutions, 2 per multiply-add.

    Per criss-cross pass with ``N = H * W`` positions, ``C' = C / 8`` and
    ``L = H + W`` path entries (the masked self entry included): query/key
    projections ``2 N C 2C'``, energies ``2 N L C'``, aggregation
    ``2 N L C``, value projection ``2 N C C``. Backward of a plain autograd
    graph costs two products per forward product; the efficient function
    recomputes the query/key projections, the energies and the aggregation
    and then needs three products per query/key projection, energy and
    aggregation and two per value projection. Non-local (embedded Gaussian,
    ``C_i = C / 2``): four 1x1 convolutions ``2 N C C_i`` each and two
    ``N x N`` products ``2 N N C_i`` each.

    Args:
        name (str): The case.
        batch (int): B.
        channels (int): C.
        size (int): S.
        recurrence (int): Passes R of the criss-cross cases.

    Returns:
        dict: ``forward`` and ``train`` (forward + backward) FLOPs.
    """
    positions = batch * size * size
    if name == 'nonlocal2d':
        inter = channels // 2
        forward = (4 * 2 * positions * channels * inter +
                   2 * 2 * positions * size * size * inter)
        return dict(forward=forward, train=3 * forward)
    reduced = channels // 8
    path = 2 * size
    qk = 2 * positions * channels * 2 * reduced
    energy = 2 * positions * path * reduced
    aggregation = 2 * positions * path * channels
    value = 2 * positions * channels * channels
    forward = qk + energy + aggregation + value
    if name == 'cca-efficient':
        backward = 3 * (qk + energy + aggregation) + 2 * value
    else:
        backward = 2 * forward
    return dict(
        forward=recurrence * forward,
        train=recurrence * (forward + backward))


def check_outputs_agree(models: Dict[str, nn.Module],
                        x: torch.Tensor) -> float:
    """Largest difference between the criss-cross cases' outputs.

    Args:
        models (dict[str, nn.Module]): The cases.
        x (Tensor): Input.

    Returns:
        float: Max absolute difference to :data:`REFERENCE`.

    Raises:
        AssertionError: If it exceeds 1e-3 of the output scale.
    """
    with torch.no_grad():
        reference = models[REFERENCE](x)
        diff = max((models[name](x) - reference).abs().max().item()
                   for name in models if name.startswith('cca'))
    scale = reference.abs().max().item()
    assert diff <= 1e-3 * scale, f'implementations disagree by {diff}'
    return diff


def peak_memory(name: str, batch: int, channels: int, size: int,
                recurrence: int) -> Dict[str, int]:
    """Peak RSS increase of each step of one case, in this process.

    Meant for a fresh process (see
    :func:`~ccnet_tools.benchmarks.measure.fresh_process_env`). The input,
    the output gradient and the parameters exist before a step and are not
    counted; the gradients of the input and parameters are.

    Args:
        name (str): The case.
        batch (int): B.
        channels (int): C.
        size (int): S.
        recurrence (int): Passes R.

    Returns:
        dict: ``forward`` and ``train`` peak increase in bytes.
    """
    model = build_case(name, channels, recurrence)
    x, grad_out = make_inputs(batch, channels, size)
    peaks = {}
    for step_name, step in case_steps(model, x, grad_out).items():
        step()  # one-time allocations: kernels, thread pools
        x.grad = None
        model.zero_grad(set_to_none=True)
        peaks[step_name] = peak_rss_increase(step)
    return peaks


def _ratio_cells(results: Dict, name: str) -> List[str]:
    """Training time and peak memory of a case over the reference's."""
    case, ref = results[name], results[REFERENCE]
    memory = ratio(case['peak_bytes']['train'], ref['peak_bytes']['train'])
    return [f"{case['time_ratio']['train']:.2f}", f'{memory:.2f}']


def markdown_tables(report: Dict) -> str:
    """The report as markdown: one table over all sizes and the targets.

    Args:
        report (dict): ``setting`` and ``sizes`` (``{size: {case: ...}}``).

    Returns:
        str: Markdown.
    """
    setting = report['setting']
    lines = [
        f"Input B x C x S x S with B = {setting['batch']}, C = "
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
                size, f'`{name}`', f"{1e3 * case['time_s']['forward']:.0f}",
                f"{1e3 * case['time_s']['train']:.0f}",
                f"{case['peak_bytes']['forward'] / 2**20:.1f}",
                f"{case['peak_bytes']['train'] / 2**20:.1f}",
                f"{case['flops']['forward'] / 1e9:.2f}",
                f"{case['flops']['train'] / 1e9:.2f}",
                'yes' if exact else 'NO', *_ratio_cells(results, name)
            ]) + ' |')
    lines += ['', targets_table(report)]
    return '\n'.join(lines) + '\n'


def targets(report: Dict) -> List[Tuple[str, str, float, bool]]:
    """The benchmark's targets at the paper's setting.

    Args:
        report (dict): As for :func:`markdown_tables`.

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
        ('fwd+bwd time, efficient / einsum', '<= 1.0', time_ratio,
         time_ratio <= 1.0),
        ('fwd+bwd peak memory, efficient / einsum', '<= 0.5', memory_ratio,
         memory_ratio <= 0.5),
        ('fwd+bwd peak memory, non-local / efficient', '>= 11', less_memory,
         less_memory >= 11),
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
    """Plot training time and peak memory against the feature size.

    Args:
        report (dict): As for :func:`markdown_tables`.
        path (str): The PNG file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [int(s) for s in report['sizes']]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name in CASES:
        cases = [report['sizes'][str(s)][name] for s in sizes]
        axes[0].plot(
            sizes, [c['time_s']['train'] for c in cases], 'o-', label=name)
        axes[1].plot(
            sizes, [c['peak_bytes']['train'] / 2**20 for c in cases],
            'o-',
            label=name)
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
