# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Which OpenMMLab stack is installed, and whether the plugin supports it.

Two stacks provide the modules ``mmengine``, ``mmcv`` and ``mmseg`` under
different distribution names (:data:`STACKS`): OpenMMLab itself and OneDL,
its maintained successor. Both install the same folders, so two
distributions of one folder leave a mix of their files. :func:`check_stack`
finds the stack from the installed distributions' metadata (without
importing any of them) and raises :class:`StackError`, with the command that
fixes it, if a module is missing (MMDetection is optional), provided twice,
or of a version outside the ranges this package declares for the stack (its
``openmmlab``, ``openmmlab-full``, ``det``, ``onedl`` and ``onedl-det``
extras).
"""
import importlib.metadata
import importlib.util
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple

__all__ = [
    'STACKS', 'REQUIRED', 'INSTALL', 'StackError', 'Found', 'find',
    'check_stack'
]

#: The distributions that provide each module, per stack.
STACKS: Dict[str, Dict[str, Tuple[str, ...]]] = dict(
    openmmlab=dict(
        mmengine=('mmengine', ),
        mmcv=('mmcv', 'mmcv-lite'),
        mmseg=('mmsegmentation', ),
        mmdet=('mmdet', )),
    onedl=dict(
        mmengine=('onedl-mmengine', ),
        mmcv=('onedl-mmcv', ),
        mmseg=('onedl-mmsegmentation', ),
        mmdet=('onedl-mmdetection', )))
#: Modules the plugin needs; the others (MMDetection) are optional.
REQUIRED = ('mmengine', 'mmcv', 'mmseg')
#: The extras of this package that install each stack.
EXTRAS = dict(
    openmmlab=('openmmlab', 'openmmlab-full', 'det'),
    onedl=('onedl', 'onedl-det'))
#: The command that installs each stack.
INSTALL = dict(
    openmmlab='pip install "mmseg-ccnet[openmmlab]"',
    onedl='pip install "mmseg-ccnet[onedl]"')
DISTRIBUTION = 'mmseg-ccnet'


class StackError(ImportError):
    """The installed OpenMMLab stack cannot serve the plugin."""


class Found(NamedTuple):
    """An installed distribution that provides a module.

    Args:
        stack (str): ``'openmmlab'`` or ``'onedl'``.
        distribution (str): Its name, e.g. ``'mmcv-lite'``.
        version (str): Its version.
    """
    stack: str
    distribution: str
    version: str


def _version(distribution: str) -> Optional[str]:
    """The installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def find() -> Dict[str, List[Found]]:
    """The installed distributions of every module.

    Returns:
        dict[str, list[Found]]: For ``mmengine``, ``mmcv``, ``mmseg`` and
        ``mmdet``, every installed distribution of either stack that
        provides it.
    """
    found = {}
    for module in STACKS['openmmlab']:
        found[module] = [
            Found(stack, name, version)
            for stack, modules in STACKS.items() for name in modules[module]
            for version in [_version(name)] if version is not None
        ]
    return found


def declared_ranges(stack: str) -> Dict[str, object]:
    """The version ranges this package's extras declare for a stack.

    Args:
        stack (str): A key of :data:`STACKS`.

    Returns:
        dict[str, SpecifierSet]: By normalised distribution name; empty when
        this package is not installed as a distribution (a source tree).
    """
    try:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    ranges = {}
    for text in requires:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is not None and any(
                marker.evaluate(dict(extra=extra))
                for extra in EXTRAS[stack]):
            ranges[canonicalize_name(requirement.name)] = \
                requirement.specifier
    return ranges


def _check_versions(stack: str, found: List[Found]) -> None:
    """Raise if a distribution is outside the declared range."""
    ranges = declared_ranges(stack)
    if not ranges:
        return
    from packaging.utils import canonicalize_name
    for item in found:
        specifier = ranges.get(canonicalize_name(item.distribution))
        if specifier is not None and not specifier.contains(
                item.version, prereleases=True):
            raise StackError(
                f'{item.distribution} {item.version} is installed, but '
                f'mmseg-ccnet supports {item.distribution}{specifier} on the '
                f'{stack} stack: {INSTALL[stack]}')


def check_stack() -> str:
    """Find the installed stack and check that the plugin can use it.

    Returns:
        str: The stack, ``'openmmlab'`` or ``'onedl'``.

    Raises:
        StackError: If ``mmengine``, ``mmcv`` or ``mmseg`` is missing, is
            provided by two distributions, or has a version outside the
            declared range; OpenMMLab's mmengine also needs
            ``pkg_resources`` (setuptools < 81). The message names the
            command that fixes it.
    """
    found = find()
    for module, owners in found.items():
        if len(owners) > 1:
            names = [item.distribution for item in owners]
            raise StackError(
                f'{" and ".join(names)} are all installed and share the '
                f'folder {module}/, which now holds a mix of their files. '
                f'Keep one stack: pip uninstall -y {" ".join(names)} && '
                f'{INSTALL[owners[-1].stack]} (or the other stack\'s '
                'command)')
    stacks = [owners[0].stack for owners in found.values() if owners]
    stack = max(set(stacks), key=stacks.count, default='openmmlab')
    missing = [module for module in REQUIRED if not found[module]]
    if missing:
        command = INSTALL[stack] if stacks else \
            f'{INSTALL["openmmlab"]} (OpenMMLab) or {INSTALL["onedl"]} ' \
            '(OneDL)'
        raise StackError(f'mmseg-ccnet needs mmengine, mmcv and mmseg; '
                         f'{", ".join(missing)} not installed: {command}')
    if len(set(stacks)) > 1:
        mix = ', '.join(f'{owners[0].distribution} ({owners[0].stack})'
                        for owners in found.values() if owners)
        warnings.warn(
            f'mmseg-ccnet: a mixed stack ({mix}) is not one that was '
            f'verified; {INSTALL[stack]} installs a consistent one')
    _check_versions(stack,
                    [owners[0] for owners in found.values() if owners])
    if stack == 'openmmlab' and importlib.util.find_spec(
            'pkg_resources') is None:
        raise StackError(
            'OpenMMLab\'s mmengine 0.10 imports pkg_resources, which '
            'setuptools 81 removed: pip install "setuptools>=77,<81"')
    return stack
