# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""MMSegmentation's inferencer on an exported segmentor."""
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmseg.apis import MMSegInferencer
from mmseg.registry import DATASETS

from .backends import build_backend
from .segmentor import BackendSegmentor


def dataset_meta(cfg: Config) -> dict:
    """Classes and palette of a config's test dataset.

    Args:
        cfg (Config): The config.

    Returns:
        dict: ``classes`` and ``palette``: those of the dataset type's
        ``METAINFO``, updated by the dataset's ``metainfo`` if it has one.
    """
    dataset = cfg.test_dataloader.dataset
    metainfo = dict(DATASETS.get(dataset.type).METAINFO)
    metainfo.update(dataset.get('metainfo') or {})
    return dict(classes=metainfo['classes'], palette=metainfo.get('palette'))


class BackendSegInferencer(MMSegInferencer):
    """:class:`MMSegInferencer` running an exported ``.onnx`` file.

    The test pipeline, the batching, the visualisation and the files
    written (``vis/`` and ``pred/`` under ``out_dir``) are those of
    MMSegInferencer; the model is a :class:`BackendSegmentor` built from the
    config (its data preprocessor, ``test_cfg`` and decode head) around the
    backend, on the CPU. The classes and palette are those of the config's
    test dataset (:func:`dataset_meta`).

    Args:
        model (str or Config): The config the file was exported from.
        weights (str): The ``.onnx`` file.
        backend (str): A name of
            :data:`~mmseg_ccnet.deployment.backends.BACKENDS`. Defaults to
            ``'onnxruntime'``.
        scope (str, optional): The registry scope. Defaults to ``'mmseg'``.
    """

    def __init__(self,
                 model: Union[str, Config],
                 weights: str,
                 backend: str = 'onnxruntime',
                 scope: Optional[str] = 'mmseg') -> None:
        self.backend = backend
        super().__init__(
            model=model, weights=weights, device='cpu', scope=scope)

    def _init_model(self, cfg: ConfigDict, weights: str,
                    device: str) -> nn.Module:
        """Build the :class:`BackendSegmentor` of the file ``weights``.

        Args:
            cfg (ConfigDict): The config.
            weights (str): The ``.onnx`` file.
            device (str): ``'cpu'``.

        Returns:
            nn.Module: The model, with ``cfg`` and ``dataset_meta`` set.
        """
        model = BackendSegmentor.from_config(
            cfg, build_backend(self.backend, weights))
        model.cfg = cfg
        model.dataset_meta = dataset_meta(cfg)
        return model.to(device).eval()
