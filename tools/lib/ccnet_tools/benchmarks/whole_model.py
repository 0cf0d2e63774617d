# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The whole-model benchmark: cases, their measurement, the report.

A CCNet segmentor built from a config (batch 1, SyncBN replaced by BN, no
pretrained weights, the same seed for every case, the output scale gamma
of every criss-cross attention set to 1 so that the attention reaches the
logits) is measured at crop sizes S x S (or H x W, :func:`image_shape`) in
two steps:

* ``train``: forward and backward of ``model.loss`` on one random image and
  a random label map, the parameters' gradients included;
* ``infer``: the logits at the crop size under ``torch.no_grad``
  (:meth:`EncoderDecoder.encode_decode` for an image of that size, which
  :class:`~mmseg_ccnet.deployment.export.SegmentorLogits` exports).

:data:`CASES` runs them with this package's ``CCHead`` (the default
``impl='efficient'`` and ``impl='einsum'``), with MMSegmentation's own
``CCHead`` on compiled mmcv (:data:`REFERENCE`, the denominator of the
ratios), under bfloat16 autocast, through ``torch.compile`` and on ONNX
Runtime and OpenVINO (one dynamic-shape ONNX file, :func:`export_model`),
and that file quantized to INT8 for OpenVINO (:func:`quantize_model`).

Every case runs in a process of its own (:func:`measure_case`), started
with :func:`~ccnet_tools.benchmarks.measure.fresh_process_env`. The cases of
MMSegmentation's head must not see this package: its ``CCHead`` replaces
MMSegmentation's in the registry. This module therefore imports neither the
plugin's models and patches nor MMSegmentation at module level; the plugin
cases import :mod:`mmseg_ccnet.deployment` when they build their model.
"""
import copy
import importlib
import statistics
import sys
import time
from typing import (
    Callable,
    Dict,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import torch
import torch.nn as nn
from mmengine.config import Config

from .measure import peak_rss_increase, ratio, summarize_times

__all__ = [
    'Case', 'CASES', 'BACKENDS', 'REFERENCE', 'LOGITS_REFERENCE', 'STEPS',
    'EXPORT_REQUIRES', 'INT8', 'load_config', 'missing_requirement',
    'build_model', 'set_attention_scale', 'image_shape', 'size_label',
    'parse_size', 'make_inputs', 'train_step', 'inference_step',
    'time_and_peak', 'measure_case', 'export_model', 'quantize_model',
    'run_order', 'logits_difference', 'summarize', 'markdown_tables', 'plot'
]


class Case(NamedTuple):
    """One measured configuration of the model.

    Attributes:
        step (str): ``'train'`` or ``'infer'``.
        variant (str): What runs the step, e.g. ``'efficient'``.
        description (str): For the report.
        plugin (bool): Whether the case's process imports this package.
        requires (tuple[str]): Modules the case needs.
    """
    step: str
    variant: str
    description: str
    plugin: bool = True
    requires: Tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``'<step>-<variant>'``, e.g. ``'train-efficient'``."""
        return f'{self.step}-{self.variant}'


#: The steps, with the titles of their tables.
STEPS = {
    'train': 'Training step (forward + backward of `model.loss`)',
    'infer': 'Inference (`torch.no_grad`, logits at the crop size)',
}
_CASES = (
    Case('train', 'efficient', "this package's CCHead, impl='efficient'"),
    Case('train', 'einsum', "this package's CCHead, impl='einsum'"),
    Case('train', 'mmseg', "MMSegmentation's CCHead, compiled mmcv", False,
         ('mmcv._ext', )),
    Case('infer', 'efficient', "this package's CCHead, impl='efficient'"),
    Case('infer', 'einsum', "this package's CCHead, impl='einsum'"),
    Case('infer', 'mmseg', "MMSegmentation's CCHead, compiled mmcv", False,
         ('mmcv._ext', )),
    Case('infer', 'bf16', 'efficient, under bfloat16 autocast'),
    Case('infer', 'compile', 'efficient, through torch.compile'),
    Case('infer', 'onnxruntime', 'the ONNX file on ONNX Runtime', True,
         ('onnxruntime', )),
    Case('infer', 'openvino', 'the ONNX file on OpenVINO (f32)', True,
         ('openvino', )),
    Case('infer', 'openvino-int8',
         'the ONNX file quantized to INT8 by NNCF, on OpenVINO', True,
         ('openvino', 'nncf')),
)
#: The cases, by name.
CASES: Dict[str, Case] = {case.name: case for case in _CASES}
#: The variant that runs the INT8 model of :func:`quantize_model`.
INT8 = 'openvino-int8'
#: The variants that run an exported file, with the backend that runs it.
_BACKEND_OF = {'onnxruntime': 'onnxruntime', 'openvino': 'openvino',
               INT8: 'openvino'}
#: The variants that run an exported file.
BACKENDS = tuple(_BACKEND_OF)
#: Random images that calibrate :func:`quantize_model`.
CALIBRATION_IMAGES = 4
#: The variant that the time and memory ratios of a step refer to.
REFERENCE = 'mmseg'
#: The case whose logits the other inference cases are compared with.
LOGITS_REFERENCE = 'infer-efficient'
#: What a missing module of :attr:`Case.requires` is reported as.
_PACKAGES = {'mmcv._ext': 'compiled mmcv'}
#: Modules of an ONNX export.
EXPORT_REQUIRES = ('onnx', 'onnxscript')


def load_config(path: str) -> Config:
    """Load a config without importing this package through it.

    ``custom_imports`` other than ``mmseg_ccnet`` are imported; the plugin
    is imported (or not) by the case.

    Args:
        path (str): A config file, or ``<package>::<path>`` of an installed
            OpenMMLab package, e.g. ``'mmseg::_base_/models/ccnet_r50-d8.py'``.

    Returns:
        Config: The config.
    """
    if '::' in path:
        from mmengine.hub import get_config
        return get_config(path)
    cfg = Config.fromfile(path, import_custom_modules=False)
    imports = cfg.get('custom_imports', {}).get('imports', [])
    for name in [imports] if isinstance(imports, str) else imports:
        if name.split('.')[0] != 'mmseg_ccnet':
            importlib.import_module(name)
    return cfg


def missing_requirement(requires: Sequence[str]) -> Optional[str]:
    """Why a case cannot run here, if it cannot.

    Args:
        requires (Sequence[str]): Modules to import.

    Returns:
        str | None: ``'<package> not installed'`` for the first module that
        does not import, None if all do.
    """
    for module in requires:
        try:
            importlib.import_module(module)
        except ImportError:
            return f'{_PACKAGES.get(module, module)} not installed'
    return None


def _build_without_plugin(cfg: Config) -> nn.Module:
    """:func:`~mmseg_ccnet.deployment.export.build_segmentor` without the
    plugin: that module imports the plugin's models, and so its ``CCHead``.
    """
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pretrained = None
    return revert_sync_batchnorm(MODELS.build(cfg.model))


def set_attention_scale(model: nn.Module, gamma: float = 1.0) -> int:
    """Set the output scale of every criss-cross attention of a model.

    It is 0 at initialisation, which leaves the logits independent of the
    attention. Works for this package's ``CrissCrossAttention`` and for
    mmcv's (both have the scale ``gamma``).

    Args:
        model (nn.Module): The model, changed in place.
        gamma (float): The scale. Defaults to 1.

    Returns:
        int: Number of attention modules changed.
    """
    modules = [
        module for module in model.modules()
        if type(module).__name__ == 'CrissCrossAttention'
    ]
    with torch.no_grad():
        for module in modules:
            module.gamma.scale.fill_(gamma)
    return len(modules)


def build_model(cfg: Config, case: Case) -> nn.Module:
    """The segmentor of a case, seeded, in train or eval mode.

    Args:
        cfg (Config): The config (not changed).
        case (Case): The case; the plugin cases get
            ``decode_head.attention_cfg.impl`` (``'einsum'`` for the variant
            of that name, else ``'efficient'``).

    Returns:
        nn.Module: The model, in train mode for a ``train`` case.
    """
    cfg = copy.deepcopy(cfg)
    torch.manual_seed(0)
    if case.plugin:
        from mmseg_ccnet.deployment.export import build_segmentor
        head = cfg.model.decode_head
        impl = 'einsum' if case.variant == 'einsum' else 'efficient'
        head.attention_cfg = dict(head.get('attention_cfg') or {}, impl=impl)
        model = build_segmentor(cfg)
    else:
        model = _build_without_plugin(cfg)
    set_attention_scale(model)
    return model.train(case.step == 'train')


#: A crop size: S for S x S, or ``'HxW'``.
Size = Union[int, str]


def image_shape(size: Size) -> Tuple[int, int]:
    """The image size (H, W) of a crop size.

    Args:
        size (int | str): S (S x S, also as a string), or ``'HxW'`` (e.g.
            ``'1024x2048'``).

    Returns:
        tuple[int, int]: (H, W).
    """
    height, _, width = str(size).partition('x')
    return int(height), int(width or height)


def size_label(size: Size) -> str:
    """``'HxW'`` of a crop size, e.g. ``'513x513'``."""
    return '{}x{}'.format(*image_shape(size))


def parse_size(text: str) -> Size:
    """A crop size of the command line: ``'513'`` or ``'1024x2048'``.

    Args:
        text (str): S or HxW.

    Returns:
        int | str: S as an int; ``'HxW'`` as given, unless H == W (S).

    Raises:
        ValueError: For anything else.
    """
    if text.isdigit():
        return int(text)
    height, _, width = text.partition('x')
    if not (height.isdigit() and width.isdigit()):
        raise ValueError(f"a size is S or HxW, e.g. 1024x2048, got '{text}'")
    return int(height) if height == width else f'{int(height)}x{int(width)}'


def make_inputs(size: Size,
                num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded image and label map.

    Args:
        size (int | str): S or ``'HxW'`` (:func:`image_shape`).
        num_classes (int): Labels are drawn from ``[0, num_classes)``.

    Returns:
        tuple[Tensor, Tensor]: Image (1, 3, H, W) and labels (1, H, W).
    """
    generator = torch.Generator().manual_seed(1)
    shape = image_shape(size)
    image = torch.randn(1, 3, *shape, generator=generator)
    labels = torch.randint(0, num_classes, (1, *shape), generator=generator)
    return image, labels


def train_step(model: nn.Module, image: torch.Tensor,
               labels: torch.Tensor) -> Callable[[], torch.Tensor]:
    """The training step of a segmentor.

    Args:
        model (nn.Module): An EncoderDecoder, in train mode.
        image (Tensor): Image (1, 3, S, S).
        labels (Tensor): Labels (1, S, S).

    Returns:
        Callable: A function of no arguments that sets the gradients to
        None, computes the summed loss, backpropagates it and returns it.
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    shape = tuple(image.shape[2:])
    samples = [
        SegDataSample(
            gt_sem_seg=PixelData(data=labels),
            metainfo=dict(img_shape=shape, pad_shape=shape, ori_shape=shape))
    ]

    def step() -> torch.Tensor:
        model.zero_grad(set_to_none=True)
        loss, _ = model.parse_losses(model.loss(image, samples))
        loss.backward()
        return loss.detach()

    return step


def inference_step(case: Case, model: Optional[nn.Module],
                   image: torch.Tensor,
                   onnx_file: Optional[str]) -> Callable[[], torch.Tensor]:
    """The inference step of a case.

    Args:
        case (Case): An ``infer`` case.
        model (nn.Module | None): The EncoderDecoder, in eval mode; None
            for a backend case.
        image (Tensor): Image (1, 3, S, S).
        onnx_file (str | None): The exported model of a backend case
            (the ``.xml`` file of :func:`quantize_model` for :data:`INT8`).

    Returns:
        Callable: A function of no arguments returning the float32 logits
        (1, num_classes, H, W).
    """
    if case.variant in BACKENDS:
        from mmseg_ccnet.deployment.backends import build_backend
        forward = build_backend(_BACKEND_OF[case.variant], onnx_file)
    else:
        metas = [dict(img_shape=tuple(image.shape[2:]))]

        def forward(images: torch.Tensor) -> torch.Tensor:
            return model.encode_decode(images, metas)

        if case.variant == 'compile':
            forward = torch.compile(forward)
    autocast = case.variant == 'bf16'

    def step() -> torch.Tensor:
        with torch.no_grad(), torch.autocast(
                'cpu', dtype=torch.bfloat16, enabled=autocast):
            return forward(image).float()

    return step


def time_and_peak(step: Callable[[], torch.Tensor],
                  warmup: int,
                  repeats: int,
                  reset: Callable[[], None] = lambda: None
                  ) -> Tuple[torch.Tensor, Dict]:
    """Time a step and measure the peak memory of one call.

    The first of ``warmup`` calls is timed on its own (it includes one-time
    costs: ``torch.compile`` compiles in it); then, after ``reset``, the
    peak RSS increase of one call
    (:func:`~ccnet_tools.benchmarks.measure.peak_rss_increase`); then
    ``repeats`` timed calls.

    Args:
        step (Callable): The step.
        warmup (int): Untimed calls before the peak memory, at least 1.
        repeats (int): Timed calls.
        reset (Callable): Called before the peak memory is measured (e.g.
            to free the gradients of the previous call). Defaults to doing
            nothing.

    Returns:
        tuple[Tensor, dict]: The first call's output, and ``first_s``,
        ``times_s`` (list), ``time_s`` (their median) and ``peak_bytes``.
    """
    start = time.perf_counter()
    first = step()
    first_s = time.perf_counter() - start
    for _ in range(warmup - 1):
        step()
    reset()
    peak = peak_rss_increase(step)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return first, dict(
        first_s=first_s,
        times_s=times,
        time_s=statistics.median(times),
        peak_bytes=peak)


def _class_path(module: Optional[nn.Module]) -> Optional[str]:
    """``'<module>.<class>'`` of a module's class; None for None."""
    if module is None:
        return None
    return f'{type(module).__module__}.{type(module).__qualname__}'


def _describe(model: Optional[nn.Module]) -> Dict:
    """Which classes a case's model runs, and whether the plugin is loaded.
    """
    head = getattr(model, 'decode_head', None)
    attention = getattr(head, 'cca', None)
    return dict(
        head=_class_path(head),
        attention=_class_path(attention),
        impl=getattr(attention, 'impl', None),
        plugin_loaded='mmseg_ccnet.models' in sys.modules,
        python=sys.executable)


def measure_case(name: str,
                 config: str,
                 size: Size,
                 warmup: int,
                 repeats: int,
                 logits_file: Optional[str] = None,
                 onnx_file: Optional[str] = None) -> Dict:
    """Measure one case at one size in this process.

    Meant for a fresh process (see
    :func:`~ccnet_tools.benchmarks.measure.fresh_process_env`); a process
    of a case with ``plugin=False`` must not have imported this package.
    Model, inputs and the compiled function or backend session exist
    before the peak memory is measured and are not counted; the gradients
    and activations of a step are.

    Args:
        name (str): One of :data:`CASES`.
        config (str): The config, as :func:`load_config` takes it (loaded
            after the requirements are checked).
        size (int | str): Crop size (:func:`image_shape`).
        warmup (int): See :func:`time_and_peak`.
        repeats (int): Timed steps.
        logits_file (str, optional): Where an ``infer`` case saves the
            logits of its first step (``torch.save``). Defaults to None.
        onnx_file (str, optional): The exported model of a backend case
            (see :func:`inference_step`).

    Returns:
        dict: ``status`` ``'skipped'`` with a ``reason``, or ``'ok'`` with
        the items of :func:`time_and_peak`, the classes run (``head``,
        ``attention``, ``impl``), ``plugin_loaded``, ``python``, and for
        ``train`` the first step's ``loss`` and the norm of the last step's
        gradients ``grad_norm`` (the same dropout masks in every case).
    """
    case = CASES[name]
    reason = missing_requirement(case.requires)
    if reason is not None:
        return dict(status='skipped', reason=reason)
    cfg = load_config(config)
    model = None
    if case.variant not in BACKENDS:
        model = build_model(cfg, case)
    num_classes = cfg.model.decode_head.num_classes
    image, labels = make_inputs(size, num_classes)
    result = dict(status='ok', **_describe(model))
    if case.step == 'train':
        step = train_step(model, image, labels)
        torch.manual_seed(2)  # the same dropout masks in every case
        loss, times = time_and_peak(
            step, warmup, repeats,
            lambda: model.zero_grad(set_to_none=True))
        gradients = [p.grad for p in model.parameters() if p.grad is not None]
        result.update(
            loss=loss.item(),
            grad_norm=torch.linalg.vector_norm(
                torch.stack([g.norm() for g in gradients])).item())
    else:
        step = inference_step(case, model, image, onnx_file)
        logits, times = time_and_peak(step, warmup, repeats)
        if logits_file is not None:
            torch.save(logits, logits_file)
        del logits
    return dict(result, **times)


def export_model(config: str, size: Size, path: str) -> Dict:
    """Export the ``infer-efficient`` model to one dynamic-shape ONNX file.

    Args:
        config (str): The config, as :func:`load_config` takes it.
        size (int | str): The traced crop size (the example is
            2 x 3 x H x W: a dynamic export traces a batch of at least 2).
        path (str): The ``.onnx`` file to write.

    Returns:
        dict: ``status`` ``'skipped'`` with a ``reason``, or ``'ok'`` with
        ``seconds`` and ``traced_shape``.
    """
    reason = missing_requirement(EXPORT_REQUIRES)
    if reason is not None:
        return dict(status='skipped', reason=reason)
    from mmseg_ccnet.deployment.export import SegmentorLogits, export_onnx
    model = SegmentorLogits(
        build_model(load_config(config), CASES[LOGITS_REFERENCE]))
    example = torch.randn(
        2, 3, *image_shape(size), generator=torch.Generator().manual_seed(1))
    start = time.perf_counter()
    export_onnx(model, example, path, dynamic=True)
    return dict(
        status='ok',
        seconds=time.perf_counter() - start,
        traced_shape=list(example.shape))


def quantize_model(onnx_file: str, size: Size, path: str) -> Dict:
    """Quantize the exported file to INT8 for the :data:`INT8` case.

    :func:`~mmseg_ccnet.deployment.quantize.quantize_openvino` (the
    attention kept in float32), calibrated on :data:`CALIBRATION_IMAGES`
    random images: the weights are random too, and the time of an INT8
    model does not depend on its quantization ranges.

    Args:
        onnx_file (str): The file of :func:`export_model`.
        size (int | str): The calibration images' crop size.
        path (str): The OpenVINO ``.xml`` file to write.

    Returns:
        dict: ``status`` ``'skipped'`` with a ``reason``, or ``'ok'`` with
        ``seconds`` and ``calibration_shape``.
    """
    reason = missing_requirement(CASES[f'infer-{INT8}'].requires)
    if reason is not None:
        return dict(status='skipped', reason=reason)
    from mmseg_ccnet.deployment.quantize import (
        quantize_openvino,
        save_openvino,
    )
    generator = torch.Generator().manual_seed(3)
    shape = (1, 3, *image_shape(size))
    inputs = [
        torch.randn(shape, generator=generator).numpy()
        for _ in range(CALIBRATION_IMAGES)
    ]
    start = time.perf_counter()
    save_openvino(quantize_openvino(onnx_file, inputs), path)
    return dict(
        status='ok',
        seconds=time.perf_counter() - start,
        calibration_shape=list(shape))


def run_order(names: Sequence[str], sizes: Sequence[Size],
              rounds: int) -> Iterator[Tuple[int, Size, str]]:
    """The order in which the cases run.

    Round by round, size by size, every case once, in an order rotated by
    one at every (round, size) so that no case is always first (or runs
    always right after the same other).

    Args:
        names (Sequence[str]): The cases.
        sizes (Sequence[int | str]): The crop sizes.
        rounds (int): How often every case runs at every size.

    Yields:
        tuple[int, int | str, str]: ``(round, size, case)``.
    """
    shift = 0
    for round_index in range(rounds):
        for size in sizes:
            offset = shift % len(names)
            for name in list(names[offset:]) + list(names[:offset]):
                yield round_index, size, name
            shift += 1


def logits_difference(path: str, reference: str) -> Dict[str, float]:
    """Compare saved logits with the reference's.

    Args:
        path (str): Logits saved by :func:`measure_case`.
        reference (str): Logits of :data:`LOGITS_REFERENCE`.

    Returns:
        dict: ``max_diff`` (largest absolute difference) and ``max_logit``
        (largest absolute logit of the reference).
    """
    logits = torch.load(path, weights_only=True)
    expected = torch.load(reference, weights_only=True)
    return dict(
        max_diff=(logits - expected).abs().max().item(),
        max_logit=expected.abs().max().item())


def _combine(runs: List[Dict]) -> Dict:
    """One case at one size over rounds: the first failure or skip, else the
    median time and peak over rounds and the first round's first step."""
    for status in ('failed', 'skipped'):
        for run in runs:
            if run['status'] == status:
                return dict(status=status, reason=run['reason'], rounds=runs)
    return dict(
        status='ok',
        time_s=statistics.median(run['time_s'] for run in runs),
        peak_bytes=statistics.median(run['peak_bytes'] for run in runs),
        first_s=runs[0]['first_s'],
        rounds=runs)


def summarize(runs: Dict[str, Dict[Size, List[Dict]]],
              reference: str = REFERENCE) -> Dict[str, Dict]:
    """The results of every case at every size, with their ratios.

    The time ratio is the median over rounds of the case's median time over
    the reference's (same step and size) in the same round; the memory
    ratio is that of the median peaks. Both are None when the reference did
    not run.

    Args:
        runs (dict): ``{case: {size: [result of measure_case, by round]}}``;
            inference results may carry ``max_diff`` and ``max_logit``.
        reference (str): The variant of the denominators. Defaults to
            :data:`REFERENCE`; ``'efficient'`` (PyTorch eager float32)
            compares the deployment variants.

    Returns:
        dict: ``{case: {'step', 'variant', 'description', 'sizes': {size:
        {'status', 'reason' or 'time_s', 'time_ratio', 'peak_bytes',
        'memory_ratio', 'first_s', ...}}}}``, sizes as strings.
    """
    combined = {
        name: {size: _combine(rounds)
               for size, rounds in sizes.items()}
        for name, sizes in runs.items()
    }
    for name, sizes in combined.items():
        reference_name = f'{CASES[name].step}-{reference}'
        for size, entry in sizes.items():
            ref = combined.get(reference_name, {}).get(size, {})
            if entry['status'] != 'ok':
                continue
            first = entry['rounds'][0]
            entry.update({
                key: first[key]
                for key in ('max_diff', 'max_logit') if key in first
            })
            if ref.get('status') != 'ok':
                entry.update(time_ratio=None, memory_ratio=None)
                continue
            samples = {
                key: dict(step=[run['time_s'] for run in item['rounds']])
                for key, item in ((name, entry), (reference_name, ref))
            }
            times = summarize_times(samples, reference_name)
            entry.update(
                time_ratio=times[name]['time_ratio']['step'],
                memory_ratio=ratio(entry['peak_bytes'], ref['peak_bytes']))
    return {
        name: dict(
            step=CASES[name].step,
            variant=CASES[name].variant,
            description=CASES[name].description,
            sizes={str(size): entry
                   for size, entry in sizes.items()})
        for name, sizes in combined.items()
    }


def _number(value: Optional[float], digits: int) -> str:
    """A table cell: the value with ``digits`` decimals, '-' for None."""
    return '-' if value is None else f'{value:.{digits}f}'


def _row(name: str, size: str, entry: Dict, step: str) -> str:
    """One row of a step's table."""
    cells = [f'`{name}`', size]
    if entry['status'] != 'ok':
        cells += [f"{entry['status']}: {entry['reason']}"]
        cells += ['-'] * (5 if step == 'train' else 6)
        return '| ' + ' | '.join(cells) + ' |'
    cells += [
        _number(entry['time_s'], 3),
        _number(entry['time_ratio'], 2),
        _number(entry['peak_bytes'] / 2**20, 0),
        _number(entry['memory_ratio'], 2),
        _number(entry['first_s'], 2)
    ]
    if step == 'infer':
        diff = entry.get('max_diff')
        cells.append('-' if diff is None else f'{diff:.1e}')
    return '| ' + ' | '.join(cells) + ' |'


def markdown_tables(report: Dict) -> str:
    """The report as markdown: the setting and a table per step.

    Args:
        report (dict): ``setting`` (with the ``reference`` variant of the
            ratios, :data:`REFERENCE` if it has none), ``export``,
            optionally ``quantize``, and ``cases`` (the output of
            :func:`summarize`).

    Returns:
        str: Markdown.
    """
    setting, export = report['setting'], report['export']
    sizes = ', '.join(map(size_label, setting['sizes']))
    reference = setting.get('reference', REFERENCE)
    lines = [
        f"`{setting['config']}`, batch 1, crops of {sizes}, "
        f"{setting['threads']} torch threads, median of "
        f"{setting['repeats']} steps after {setting['warmup']} warm-up "
        f"step(s) per process, {setting['rounds']} round(s); every case at "
        'every size in a fresh process; peak = RSS high-water mark added by '
        f'one step. Ratios are to {CASES[f"infer-{reference}"].description} '
        f'(`train-{reference}`, `infer-{reference}`) at the same size; '
        '"first s" is the first warm-up step (with `torch.compile`\'s '
        'compilation).', ''
    ]
    if export is not None:
        detail = (f"traced at {export['traced_shape']} in "
                  f"{export['seconds']:.1f} s" if export['status'] == 'ok'
                  else f"{export['status']}: {export['reason']}")
        lines += [f'ONNX export (dynamic shapes): {detail}.', '']
    quantize = report.get('quantize')
    if quantize is not None:
        detail = (f"calibrated on {CALIBRATION_IMAGES} random images of "
                  f"shape {quantize['calibration_shape']} in "
                  f"{quantize['seconds']:.1f} s"
                  if quantize['status'] == 'ok' else
                  f"{quantize['status']}: {quantize['reason']}")
        lines += [f'INT8 quantization (NNCF, attention in float32): '
                  f'{detail}.', '']
    for step, title in STEPS.items():
        names = [n for n, c in report['cases'].items() if c['step'] == step]
        if not names:
            continue
        header = ('| case | S | median s | time ratio | peak MiB | memory '
                  'ratio | first s |')
        if step == 'infer':
            header += f' max abs diff to `{LOGITS_REFERENCE}` |'
        lines += [
            f'{title}:', '', header, '|' + '---|' * (header.count('|') - 1)
        ]
        for size in map(str, setting['sizes']):
            lines += [
                _row(name, size, report['cases'][name]['sizes'][size], step)
                for name in names
            ]
        lines.append('')
    return '\n'.join(lines)


def plot(report: Dict, path: str) -> None:
    """Bar charts of the median time and the peak memory of every step.

    Args:
        report (dict): As for :func:`markdown_tables`.
        path (str): The PNG file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [str(size) for size in report['setting']['sizes']]
    figure, axes = plt.subplots(2, 2, figsize=(12, 8), squeeze=False)
    for row, step in enumerate(STEPS):
        names = [
            name for name, case in report['cases'].items()
            if case['step'] == step
        ]
        width = 0.8 / max(len(names), 1)
        for index, name in enumerate(names):
            entries = [report['cases'][name]['sizes'][s] for s in sizes]
            positions = [
                i + (index - (len(names) - 1) / 2) * width
                for i in range(len(sizes))
            ]
            for axis, value in zip(
                    axes[row],
                (lambda e: e['time_s'], lambda e: e['peak_bytes'] / 2**20)):
                axis.bar(
                    positions,
                    [value(e) if e['status'] == 'ok' else 0 for e in entries],
                    width,
                    label=name)
        for axis, label in zip(axes[row], ('median s', 'peak MiB')):
            axis.set_xticks(range(len(sizes)), [size_label(s) for s in sizes])
            axis.set_title(f'{step}: {label}')
            axis.grid(True, axis='y', alpha=0.3)
        if names:
            axes[row][0].legend(fontsize='small')
    setting = report['setting']
    figure.suptitle(f"{setting['config']}, {setting['threads']} torch "
                    'threads')
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
