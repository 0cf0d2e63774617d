# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mmseg::`` (and ``mmdet::``) base configs on the OneDL stack.

mmengine resolves ``_base_ = ['mmseg::...']`` through its table
``mmengine.config.utils.MODULE2PACKAGE``, which maps ``mmseg`` to the
distribution ``mmsegmentation``; OneDL's mmengine keeps that entry, so with
``onedl-mmsegmentation`` installed every such config fails with
"mmsegmentation is not installed". :func:`install` points the entries of
:data:`ONEDL_DISTRIBUTIONS` at the OneDL distribution where that one, and
not OpenMMLab's, is installed. Configs are parsed before their
``custom_imports`` run, so this helps tools that import the plugin first
(this package's ``tools/``, ``mim train mmseg_ccnet``).
"""
import importlib.metadata

from mmengine.config import utils as config_utils

__all__ = ['ONEDL_DISTRIBUTIONS', 'install']

#: Config scopes and the OneDL distribution that provides each.
ONEDL_DISTRIBUTIONS = dict(
    mmseg='onedl-mmsegmentation', mmdet='onedl-mmdetection')


def _installed(distribution: str) -> bool:
    """Whether a distribution is installed."""
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def install() -> None:
    """Map the scopes to OneDL's distributions where OneDL's is installed.

    Idempotent; changes nothing on the OpenMMLab stack.
    """
    table = config_utils.MODULE2PACKAGE
    for scope, distribution in ONEDL_DISTRIBUTIONS.items():
        if not _installed(table.get(scope, scope)) and _installed(
                distribution):
            table[scope] = distribution
