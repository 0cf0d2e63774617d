# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Inference backends that run an exported segmentor on the CPU.

Every backend reads the ``.onnx`` file written by
:func:`~mmseg_ccnet.deployment.export.export_onnx` and is called like the
module it was exported from: normalised images (B, 3, H, W) in, logits
(B, num_classes, H, W) out, both float32 tensors. A backend's package
(``onnxruntime``, ``openvino``; the ``deploy`` extra) is imported when the
backend is built; :func:`installed_backends` tells which ones import here.
"""
import importlib
from typing import Dict, List, Optional, Tuple, Type

import numpy as np
import torch


class Backend:
    """An exported segmentor run by an inference engine.

    Subclasses implement :meth:`run` on numpy arrays and set
    :attr:`input_shape`; :meth:`__call__` checks the input's shape and
    converts from and to tensors.

    Args:
        path (str): The ``.onnx`` file.
    """

    #: The input's dimensions, None where they are dynamic.
    input_shape: Tuple[Optional[int], ...] = (None, ) * 4

    #: The name :func:`build_backend` knows the backend by.
    name: str = ''
    #: The module the backend imports, that of its package.
    module: str = ''

    def __init__(self, path: str) -> None:
        self.path = path

    def run(self, images: np.ndarray) -> np.ndarray:
        """Logits of a batch of images.

        Args:
            images (np.ndarray): float32 array of shape (B, 3, H, W).

        Returns:
            np.ndarray: float32 array of shape (B, num_classes, H, W).
        """
        raise NotImplementedError

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Args:
            images (Tensor): Normalised images of shape (B, 3, H, W), cast to
                float32 for the backend.

        Returns:
            Tensor: float32 logits of shape (B, num_classes, H, W), on the
            device of ``images``.

        Raises:
            ValueError: If the file's input has a fixed size that
                ``images`` do not have.
        """
        if any(fixed not in (None, size)
               for fixed, size in zip(self.input_shape, images.shape)):
            raise ValueError(
                f'{self.path} takes inputs of shape {self.input_shape} '
                f'(None: any size), got {tuple(images.shape)}; a file '
                'exported with --dynamic takes any size')
        array = images.detach().to('cpu', torch.float32).contiguous().numpy()
        return torch.from_numpy(self.run(array)).to(images.device)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.path!r})'


class ONNXRuntimeBackend(Backend):
    """ONNX Runtime with its CPU execution provider.

    Args:
        path (str): The ``.onnx`` file.
    """

    name = 'onnxruntime'
    module = 'onnxruntime'

    def __init__(self, path: str) -> None:
        import onnxruntime
        super().__init__(path)
        self.session = onnxruntime.InferenceSession(
            path, providers=['CPUExecutionProvider'])
        graph_input = self.session.get_inputs()[0]
        self.input_name = graph_input.name
        self.input_shape = tuple(
            dim if isinstance(dim, int) else None
            for dim in graph_input.shape)

    def run(self, images: np.ndarray) -> np.ndarray:
        """See :meth:`Backend.run`."""
        return self.session.run(None, {self.input_name: images})[0]


class OpenVINOBackend(Backend):
    """OpenVINO on the CPU, reading the ONNX file with its ONNX frontend
    (or an OpenVINO IR, ``.xml``).

    OpenVINO's CPU plugin runs float32 models in bfloat16 on processors
    with bfloat16 units (AMX, AVX512-BF16) unless asked otherwise; this
    backend asks for ``precision`` explicitly, float32 by default, so that
    its logits match PyTorch's on every processor.

    Args:
        path (str): The ``.onnx`` file or OpenVINO ``.xml`` file.
        precision (str): OpenVINO's inference precision, e.g. ``'f32'`` or
            ``'bf16'``. Defaults to ``'f32'``.
    """

    name = 'openvino'
    module = 'openvino'

    def __init__(self, path: str, precision: str = 'f32') -> None:
        import openvino
        import openvino.properties.hint as hints
        super().__init__(path)
        core = openvino.Core()
        model = core.read_model(path)
        self.input_shape = tuple(
            dim.get_length() if dim.is_static else None
            for dim in model.inputs[0].get_partial_shape())
        self.model = core.compile_model(
            model, 'CPU', {hints.inference_precision: precision})

    def run(self, images: np.ndarray) -> np.ndarray:
        """See :meth:`Backend.run`."""
        return self.model(images)[0]


#: The backends by name.
BACKENDS: Dict[str, Type[Backend]] = {
    cls.name: cls
    for cls in (ONNXRuntimeBackend, OpenVINOBackend)
}


#: The command that installs the package of every backend.
INSTALL_COMMAND = 'pip install "mmseg-ccnet[deploy]"'


def backend_installed(name: str) -> bool:
    """Whether a backend's package imports here.

    Args:
        name (str): One of :data:`BACKENDS`.

    Returns:
        bool: True if the backend's module imports.
    """
    try:
        importlib.import_module(BACKENDS[name].module)
    except ImportError:
        return False
    return True


def installed_backends() -> List[str]:
    """The backends whose packages import here.

    Returns:
        list[str]: Names of :data:`BACKENDS`, sorted.
    """
    return [name for name in sorted(BACKENDS) if backend_installed(name)]


def missing_backend_message(name: str) -> str:
    """What to say about a backend that is not installed.

    Args:
        name (str): One of :data:`BACKENDS`.

    Returns:
        str: The missing package and the command that installs it.
    """
    return (f'{name}: the {BACKENDS[name].module} package is not installed '
            f'(the "deploy" extra installs it: {INSTALL_COMMAND})')


def build_backend(name: str, path: str, **kwargs) -> Backend:
    """Open an exported ``.onnx`` file with a backend.

    Args:
        name (str): One of :data:`BACKENDS`.
        path (str): The ``.onnx`` file.
        **kwargs: Further arguments of the backend's class.

    Returns:
        Backend: The backend, ready to be called on images.

    Raises:
        ValueError: If ``name`` is not a known backend.
    """
    if name not in BACKENDS:
        raise ValueError(f'backend must be one of {sorted(BACKENDS)}, got '
                         f'{name!r}')
    return BACKENDS[name](path, **kwargs)
