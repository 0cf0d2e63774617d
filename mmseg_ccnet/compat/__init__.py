# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Every global effect of ``import mmseg_ccnet``, in one place.

Importing the package (directly or through
``custom_imports=dict(imports=['mmseg_ccnet'])``) calls :func:`install`,
which applies the patches below in this order. Each has a name; listing
names in the environment variable ``MMSEG_CCNET_DISABLE`` (comma-separated,
e.g. ``MMSEG_CCNET_DISABLE=data_checks,checkpoint_loaders``) leaves those
out. Apart from them, importing the package only registers its modules in
MMSegmentation's registries (replacing ``CCHead`` and ``LIPDataset`` there,
see :mod:`mmseg_ccnet.models` and :mod:`mmseg_ccnet.datasets`).

First, :func:`.stack.check_stack` checks the installed OpenMMLab stack
(OpenMMLab or OneDL) and raises an ``ImportError`` naming the install
command that fixes it; it changes nothing.

``config_scopes`` (:mod:`.config_scopes`)
    On the OneDL stack, maps mmengine's config scopes ``mmseg::`` and
    ``mmdet::`` to OneDL's distributions, so that base configs inherited
    from them resolve (OneDL's mmengine still looks for OpenMMLab's names).
    Nothing changes on the OpenMMLab stack.
``mmcv_ops`` (:mod:`.mmcv_ops`)
    Without mmcv's compiled extension (mmcv-lite), puts a stand-in
    ``mmcv.ops`` package and its submodules into ``sys.modules``, with the
    pure-PyTorch ops of :mod:`mmseg_ccnet.ops` (those that MMSegmentation
    and MMDetection's Mask R-CNN run, on torchvision's kernels where they
    load) and the installed mmcv's own pure-PyTorch submodules (loaded from
    its sources), and registers the deformable convolution layers as
    ``DCN`` and ``DCNv2`` in mmengine's ``MODELS`` (as mmcv's ops register
    theirs); every other op is a placeholder that raises a clear
    "compiled op" error when used. Nothing happens with the
    compiled mmcv. Without it (and disabled), ``import mmseg.models`` and
    ``import mmdet.models`` fail.
``safe_globals`` (:mod:`.safe_globals`)
    Adds ``HistoryBuffer`` and numeric numpy arrays to torch's safe globals
    for ``torch.load(weights_only=True)`` (torch >= 2.4).
``message_hub`` (:mod:`.message_hub`)
    Makes ``MessageHub.state_dict`` return plain numbers and constructor
    calls, so that every checkpoint written by an mmengine runner loads
    (and resumes) with ``weights_only=True``.
``checkpoint_loaders`` (:mod:`.checkpoint_loaders`)
    Registers mmengine checkpoint loaders: local files fail with errors
    that name the file and the cure; http(s) downloads (also those of
    ``open-mmlab://``, ``mmcls://``, ``torchvision://``) time out and are
    verified before they are cached; ``torchvision://`` names resolve from
    mmengine's URL table without importing torchvision.
``checkpoint_configs`` (:mod:`.checkpoint_configs`)
    Wraps ``CheckpointLoader.load_checkpoint``: the config texts a loaded
    checkpoint holds (``meta['config']``, ``meta['cfg']``, the message
    hub's ``cfg``) are reduced to their plain-data assignments, parsed and
    never executed, before ``Runner.resume`` or an inferencer hands them
    to ``Config.fromstring``.
``checkpoint_writes`` (:mod:`.checkpoint_writes`)
    Replaces ``save_checkpoint`` in ``mmengine.runner.checkpoint``,
    ``mmengine.runner`` and ``mmengine.runner.runner`` (local files are
    written to a temporary file, flushed and renamed; non-finite weights
    are refused), wraps ``CheckpointHook._save_checkpoint_with_step`` and
    ``CheckpointHook._save_best_checkpoint`` (retired checkpoints are
    removed after the new one is complete) and gives
    ``mmengine.hooks.checkpoint_hook`` an ``open`` that writes
    ``last_checkpoint`` atomically.
``resume`` (:mod:`.resume`)
    Replaces ``find_latest_checkpoint`` in ``mmengine.runner.runner`` and
    ``mmengine.runner._flexible_runner`` (``--resume`` takes the newest
    whole checkpoint when ``last_checkpoint`` is missing, empty or wrong,
    and never starts from 0 over checkpoints); wraps ``Runner.resume``,
    ``Runner.test``, ``Runner.val``, ``Runner.load_checkpoint`` and
    ``mmengine.runner.checkpoint.load_state_dict`` so that a resumed
    checkpoint must fit the model exactly and a tested one at least
    ``checkpoint_min_match`` (default 0.5) of its weights.
``finite_losses`` (:mod:`.finite_losses`)
    Wraps ``BaseModel.parse_losses`` and ``OptimWrapper.update_params``: a
    NaN or infinite loss stops the run naming the iteration and the loss
    terms (or skips the step, ``MMSEG_CCNET_NON_FINITE_LOSS=skip``).
``work_dir_lock`` (:mod:`.work_dir_lock`)
    Wraps ``Runner.train``: the main process holds a lock on
    ``<work_dir>/.train.lock`` while it trains, so a second run into the
    same work dir fails at once, naming the process that holds it.
``data_checks`` (:mod:`.data_checks`)
    Wraps ``BaseSegDataset.load_data_list``, mmcv's
    ``LoadImageFromFile.transform``, ``LoadAnnotations._load_seg_map`` and
    ``IoUMetric.process`` so that empty splits, unreadable images and label
    maps, colour or 16-bit label maps, label maps of another size than
    their image, and out-of-range labels are named.
"""
import importlib
import os
from typing import FrozenSet

__all__ = ['DISABLE_ENV', 'PATCHES', 'disabled_patches', 'install']

#: Environment variable listing patches not to apply (comma-separated).
DISABLE_ENV = 'MMSEG_CCNET_DISABLE'
#: The patches: modules of this package, in the order they are applied.
PATCHES = ('config_scopes', 'mmcv_ops', 'safe_globals', 'message_hub',
           'checkpoint_loaders', 'checkpoint_configs', 'checkpoint_writes',
           'resume', 'finite_losses', 'work_dir_lock', 'data_checks')


def disabled_patches() -> FrozenSet[str]:
    """The patch names listed in ``$MMSEG_CCNET_DISABLE``.

    Returns:
        frozenset[str]: Names from :data:`PATCHES`.

    Raises:
        ValueError: For a name that is not a patch.
    """
    names = {
        name.strip()
        for name in os.environ.get(DISABLE_ENV, '').split(',')
        if name.strip()
    }
    unknown = names.difference(PATCHES)
    if unknown:
        raise ValueError(f'{DISABLE_ENV} names unknown patches '
                         f'{sorted(unknown)}; known: {", ".join(PATCHES)}')
    return frozenset(names)


def install() -> None:
    """Apply every patch of :data:`PATCHES` that is not disabled.

    Each patch module is imported only here, in order (the later ones import
    mmseg, whose import needs ``mmcv.ops`` in place), and applied by its
    ``install()``. Idempotent.
    """
    from .stack import check_stack
    check_stack()
    disabled = disabled_patches()
    for name in PATCHES:
        if name not in disabled:
            importlib.import_module(f'{__name__}.{name}').install()
