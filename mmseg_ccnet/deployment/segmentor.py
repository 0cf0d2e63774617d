# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A segmentor whose network is an exported graph run by a backend."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.config import Config, ConfigDict
from mmseg.models import BaseSegmentor, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from .backends import Backend, build_backend


def exported_model_cfg(model: ConfigType, backend: str,
                       path: str) -> ConfigDict:
    """The config of an exported model that runs like ``model``.

    Args:
        model (dict): The ``model`` of the config the file was exported
            from, an EncoderDecoder.
        backend (str): A name of
            :data:`~mmseg_ccnet.deployment.backends.BACKENDS`.
        path (str): The exported file (``.onnx``, or OpenVINO's ``.xml``).

    Returns:
        ConfigDict: A :class:`BackendSegmentor` with ``model``'s data
        preprocessor, ``test_cfg``, number of classes and
        ``align_corners``.
    """
    head = model.decode_head
    return ConfigDict(
        type='BackendSegmentor',
        backend=dict(name=backend, path=path),
        num_classes=head.get('out_channels', head.num_classes),
        align_corners=head.get('align_corners', False),
        test_cfg=model.get('test_cfg'),
        data_preprocessor=model.get('data_preprocessor'))


@MODELS.register_module()
class BackendSegmentor(EncoderDecoder):
    """An exported segmentor, run by a backend, with EncoderDecoder's
    inference around it.

    The backend computes what :meth:`EncoderDecoder.encode_decode` computes,
    the logits at the size of its input; the rest is EncoderDecoder's: the
    data preprocessor, whole-image or sliding-window inference after
    ``test_cfg`` and :meth:`postprocess_result` (padding removed, flips
    undone, logits resized to the original image, argmax). Its predictions
    are thus those of the PyTorch model up to the backend's numerical
    differences. It only infers: it has no backbone, heads or loss.

    Registered in MMSegmentation's ``MODELS`` (when this module is
    imported), so that a config built by :func:`exported_model_cfg` runs in
    an mmengine runner: ``tools/test.py`` evaluates exported files so.

    Args:
        backend (Backend or dict): The exported model, or the arguments of
            :func:`~mmseg_ccnet.deployment.backends.build_backend`
            (``name``, ``path``) that open it.
        num_classes (int): Channels of the logits, one per class; at least
            2 (heads with one sigmoid channel are not supported).
        align_corners (bool): The decode head's ``align_corners``, for the
            resizing to the original image. Defaults to False.
        test_cfg (dict, optional): EncoderDecoder's ``test_cfg``:
            ``mode='whole'``, or ``mode='slide'`` with ``crop_size`` and
            ``stride``. Defaults to None (whole).
        data_preprocessor (dict, optional): Config of the data
            preprocessor. Defaults to None.

    Raises:
        ValueError: If ``num_classes`` is below 2.
    """

    def __init__(self,
                 backend: Union[Backend, dict],
                 num_classes: int,
                 align_corners: bool = False,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None):
        # EncoderDecoder.__init__ would build the network; the backend is it
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor)
        if num_classes < 2:
            raise ValueError('BackendSegmentor needs logits of at least 2 '
                             f'classes, got {num_classes}')
        if isinstance(backend, dict):
            backend = build_backend(**backend)
        self.backend = backend
        self.num_classes = self.out_channels = num_classes
        self.align_corners = align_corners
        self.test_cfg = ConfigDict(test_cfg or dict(mode='whole'))

    @classmethod
    def from_config(cls, cfg: Config, backend: Backend) -> 'BackendSegmentor':
        """The segmentor of an EncoderDecoder config, run by ``backend``.

        Args:
            cfg (Config): The config the exported model was built from.
            backend (Backend): The exported model.

        Returns:
            BackendSegmentor: The segmentor.
        """
        model = exported_model_cfg(cfg.model, backend.name, backend.path)
        model.pop('type')
        return cls(**dict(model, backend=backend))

    def encode_decode(self, inputs: torch.Tensor,
                      batch_img_metas: List[dict]) -> torch.Tensor:
        """Logits of the backend.

        Args:
            inputs (Tensor): Normalised images of shape (B, 3, H, W).
            batch_img_metas (list[dict]): Image metas (unused: the logits
                have the size of ``inputs``, as the metas of whole-image and
                sliding-window inference ask).

        Returns:
            Tensor: Logits of shape (B, num_classes, H, W).
        """
        return self.backend(inputs)

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[SampleList] = None) -> torch.Tensor:
        """Logits of the backend (``mode='tensor'``).

        Args:
            inputs (Tensor): Normalised images of shape (B, 3, H, W).
            data_samples (list[:obj:`SegDataSample`], optional): Unused.

        Returns:
            Tensor: Logits of shape (B, num_classes, H, W).
        """
        return self.backend(inputs)

    def extract_feat(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """Not available: the backend gives logits only.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError('a BackendSegmentor has no features')

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Not available: a BackendSegmentor only infers.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError('a BackendSegmentor cannot be trained')
