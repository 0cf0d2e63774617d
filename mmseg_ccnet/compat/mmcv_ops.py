# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A stand-in ``mmcv.ops`` for an mmcv without compiled extension.

``mmcv-lite`` (and ``onedl-mmcv`` built without ops) ships no ``mmcv._ext``,
so its ``mmcv.ops`` package cannot be imported, yet MMSegmentation and
MMDetection import ops from it, and from its submodules, at module level.
:func:`install` puts a stand-in package ``mmcv.ops`` into ``sys.modules``,
together with a stand-in of each submodule of the installed mmcv's
``mmcv/ops`` (``mmcv.ops.nms``, ``mmcv.ops.carafe``, ...):

* the ops of :data:`PROVIDED` are implemented in pure PyTorch: ``nms``,
  ``batched_nms``, ``soft_nms``, ``roi_align``, ``RoIAlign``, ``PSAMask``,
  ``sigmoid_focal_loss`` and the deformable convolutions
  (``DeformConv2d``, ``ModulatedDeformConv2d``, their ``*Pack`` layers and
  functions) are those of :mod:`mmseg_ccnet.ops`, which follow mmcv's
  semantics, and the ``*Pack`` layers are registered in mmengine's
  ``MODELS`` as ``DCN`` and ``DCNv2`` (:data:`REGISTERED`), as mmcv's;
  ``CrissCrossAttention`` is this package's
  :class:`~mmseg_ccnet.models.CrissCrossAttention` (so MMSegmentation's own
  ``CCHead`` class, and classes derived from it, run);
  ``get_compiler_version`` and ``get_compiling_cuda_version`` say ``'n/a'``;
* the submodules that are pure Python or PyTorch in mmcv (their source
  does not load mmcv's extension: ``point_sample`` with
  ``bilinear_grid_sample``, ``SimpleRoIAlign`` and
  ``rel_roi_point_to_rel_img_point``, ``merge_cells``, ``corner_pool``,
  ``conv2d_gradfix``, ``saconv``, ...) are the installed mmcv's own
  modules, loaded from its sources when first used; their imports of
  compiled ops get the placeholders below;
* so are the submodules of :data:`CPU_PATHS`, whose ops compute in pure
  PyTorch on the CPU and call mmcv's extension only for tensors on an
  accelerator (``MultiScaleDeformableAttention``, ``upfirdn2d``,
  ``bias_act``, ``filtered_lrelu``, ``fused_bias_leakyrelu``): they load
  with a stand-in extension whose functions raise
  :class:`MissingCompiledOpError` when called, so that they run on the CPU
  as with the compiled mmcv;
* those of the submodules above that register layers in mmengine's
  ``MODELS`` (``SAC``, the sparse convolutions,
  ``MultiScaleDeformableAttention``) are loaded by :func:`install`, as
  importing the compiled ``mmcv.ops`` registers them;
* every other name that the installed mmcv's ops define is a placeholder
  that raises :class:`MissingCompiledOpError` (a ``ModuleNotFoundError``
  naming the op and the install command) when it is used: a class (for a
  CamelCase name) when instantiated, a function when called. Imports,
  ``isinstance`` checks and subclass definitions work, so a model that
  needs such an op fails when it is built, not when a module that mentions
  the op is imported;
* a name that the installed mmcv does not define raises ``AttributeError``,
  as on any module.

The names are read, without running anything of it, from the installed
mmcv's ``mmcv/ops`` sources: what its ``__init__.py`` imports from each
submodule, and the classes and functions each submodule defines. As in
mmcv, whose ``__init__.py`` rebinds them after importing the submodules,
the package's ``nms``, ``roi_align``, ``point_sample``, ... are the
functions, not the submodules of the same name. With the compiled mmcv
installed, :func:`install` does nothing.
"""
import ast
import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from typing import Any, Dict, FrozenSet, Iterator, List, Tuple

__all__ = [
    'CPU_PATHS', 'CompiledOpPlaceholder', 'MissingCompiledOpError',
    'OpsCatalogue', 'PROVIDED', 'REGISTERED', 'compiled_ops_available',
    'get_compiler_version', 'get_compiling_cuda_version', 'install',
    'placeholder'
]

_MODULE = 'mmseg_ccnet.compat.mmcv_ops'
#: The stand-in's pure-PyTorch ops, by name: the module that defines each
#: (imported when first asked for).
PROVIDED = dict(
    CrissCrossAttention='mmseg_ccnet.models.modules.criss_cross_attention',
    DeformConv2d='mmseg_ccnet.ops.deform_conv',
    DeformConv2dPack='mmseg_ccnet.ops.deform_conv',
    ModulatedDeformConv2d='mmseg_ccnet.ops.deform_conv',
    ModulatedDeformConv2dPack='mmseg_ccnet.ops.deform_conv',
    RoIAlign='mmseg_ccnet.ops.roi_align',
    RoIAlignFunction='mmseg_ccnet.ops.roi_align',
    batched_nms='mmseg_ccnet.ops.nms',
    deform_conv2d='mmseg_ccnet.ops.deform_conv',
    get_compiler_version=_MODULE,
    get_compiling_cuda_version=_MODULE,
    PSAMask='mmseg_ccnet.ops.psa_mask',
    modulated_deform_conv2d='mmseg_ccnet.ops.deform_conv',
    nms='mmseg_ccnet.ops.nms',
    psa_mask='mmseg_ccnet.ops.psa_mask',
    roi_align='mmseg_ccnet.ops.roi_align',
    sigmoid_focal_loss='mmseg_ccnet.ops.focal_loss',
    soft_nms='mmseg_ccnet.ops.soft_nms')

#: The layer types that mmcv's ops register in mmengine's ``MODELS`` and
#: the stand-in registers, for ``build_conv_layer``: the op of each.
REGISTERED = dict(DCN='DeformConv2dPack', DCNv2='ModulatedDeformConv2dPack')

#: The submodules of mmcv's ops that load its extension but compute in pure
#: PyTorch for CPU tensors (they call the extension only for CUDA, MLU or
#: NPU tensors): the stand-in loads mmcv's own code of these.
CPU_PATHS = frozenset({
    'bias_act', 'filtered_lrelu', 'fused_bias_leakyrelu',
    'multi_scale_deform_attn', 'upfirdn2d'
})


class MissingCompiledOpError(ModuleNotFoundError):
    """Raised when code uses an op of mmcv's compiled ``mmcv.ops``.

    Args:
        op_name (str): The op, relative to ``mmcv.ops`` (e.g. ``'PSAMask'``
            or ``'merge_cells.SumCell'``).
    """

    def __init__(self, op_name: str) -> None:
        super().__init__(
            f'mmcv.ops.{op_name} is a compiled mmcv op, but the installed '
            'mmcv has no compiled extension (mmcv._ext; mmcv-lite never has '
            f'one). To use {op_name}, install an mmcv with ops, built from '
            'source against your torch: `pip install --no-build-isolation '
            '"mmcv>=2.0.0rc4,<2.2.0"` (OpenMMLab) or `pip install '
            '--no-build-isolation --force-reinstall --no-deps onedl-mmcv` '
            f'(OneDL); or change the config so that it does not need '
            f'{op_name}.',
            name='mmcv._ext')
        self.op_name = op_name


class CompiledOpPlaceholder:
    """Base of the placeholder classes: instantiating one raises.

    Attributes:
        op_name (str): The op that the class stands for.
    """

    op_name = ''

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise MissingCompiledOpError(self.op_name)


def placeholder(op_name: str, module: str) -> Any:
    """A stand-in for a compiled op that raises when it is used.

    Args:
        op_name (str): The op, relative to ``mmcv.ops``.
        module (str): The stand-in module that defines it.

    Returns:
        type | Callable: For a CamelCase name a subclass of
        :class:`CompiledOpPlaceholder`, else a function; both raise
        :class:`MissingCompiledOpError` (when instantiated, or called).
    """
    name = op_name.rpartition('.')[2]
    doc = f'Placeholder of the compiled op mmcv.ops.{op_name}.'
    if name[:1].isupper():
        return type(name, (CompiledOpPlaceholder, ),
                    dict(__module__=module, __doc__=doc, op_name=op_name))

    def missing_op(*args: Any, **kwargs: Any) -> Any:
        raise MissingCompiledOpError(op_name)

    missing_op.__name__ = missing_op.__qualname__ = name
    missing_op.__module__, missing_op.__doc__ = module, doc
    return missing_op


def get_compiler_version() -> str:
    """The compiler of mmcv's extension (``mmcv.ops`` API).

    Returns:
        str: ``'n/a'``: there is none.
    """
    return 'n/a'


def get_compiling_cuda_version() -> str:
    """The CUDA version of mmcv's extension (``mmcv.ops`` API).

    Returns:
        str: ``'n/a'``: there is none.
    """
    return 'n/a'


def parse(path: str) -> ast.Module:
    """The syntax tree of a Python file.

    Args:
        path (str): The file.

    Returns:
        ast.Module: Its tree.
    """
    with open(path, encoding='utf-8') as file:
        return ast.parse(file.read(), path)


class OpsCatalogue:
    """The names that the installed mmcv's ``mmcv/ops`` package defines.

    Args:
        ops_dir (str): The directory of the package's sources.
    """

    def __init__(self, ops_dir: str) -> None:
        self.ops_dir = ops_dir
        #: The submodules, by name.
        self.submodules = frozenset(
            name[:-3] for name in os.listdir(ops_dir)
            if name.endswith('.py') and name != '__init__.py')
        #: The package's names: (submodule, name there) of each.
        self.exports = self._exports()
        self._defined: Dict[str, FrozenSet[str]] = {}
        #: The submodules whose sources do not load mmcv's extension.
        self.pure = frozenset(
            name for name in self.submodules
            if 'ext_loader' not in self.source(name))
        #: The submodules loaded from mmcv's sources: the pure ones and
        #: those of :data:`CPU_PATHS`.
        self.own = self.pure | (CPU_PATHS & self.submodules)
        #: The submodules of ``own`` that register layers in mmengine's
        #: ``MODELS`` when imported (e.g. ``saconv``: ``SAC``), but none of
        #: :data:`PROVIDED`'s ops.
        self.registering = frozenset(
            name for name in self.own
            if 'register_module(' in self.source(name)
            and not self.defined(name) & set(PROVIDED))

    def _exports(self) -> Dict[str, Tuple[str, str]]:
        """What ``__init__.py`` imports from the submodules.

        Returns:
            dict[str, tuple[str, str]]: Package name to (submodule, name).
        """
        exports = {}
        for node in ast.walk(parse(os.path.join(self.ops_dir,
                                                '__init__.py'))):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and \
                    node.module in self.submodules:
                for alias in node.names:
                    exports[alias.asname or alias.name] = (node.module,
                                                           alias.name)
        return exports

    def source(self, submodule: str) -> str:
        """The source text of a submodule.

        Args:
            submodule (str): The submodule.

        Returns:
            str: Its source.
        """
        with open(self.path(submodule), encoding='utf-8') as file:
            return file.read()

    def path(self, submodule: str) -> str:
        """The file of a submodule.

        Args:
            submodule (str): The submodule.

        Returns:
            str: Its path.
        """
        return os.path.join(self.ops_dir, f'{submodule}.py')

    def defined(self, submodule: str) -> FrozenSet[str]:
        """The names a submodule defines or the package imports from it.

        Args:
            submodule (str): The submodule.

        Returns:
            frozenset[str]: Its public top-level classes and functions, and
            the names that ``__init__.py`` imports from it.
        """
        if submodule not in self._defined:
            tree = parse(self.path(submodule))
            names = {
                node.name
                for node in tree.body
                if isinstance(node, (ast.ClassDef, ast.FunctionDef))
                and not node.name.startswith('_')
            }
            names.update(name for module, name in self.exports.values()
                         if module == submodule)
            self._defined[submodule] = frozenset(names)
        return self._defined[submodule]


class StandInOps(types.ModuleType):
    """The stand-in ``mmcv.ops`` package.

    Args:
        catalogue (OpsCatalogue): The names of the installed mmcv's ops.
    """

    def __init__(self, catalogue: OpsCatalogue) -> None:
        super().__init__('mmcv.ops', __doc__)
        self.__spec__ = importlib.machinery.ModuleSpec(
            'mmcv.ops', None, is_package=True)
        self.__path__ = []
        self.__all__ = sorted(catalogue.exports)
        self.catalogue = catalogue
        self._ops: Dict[Tuple[str, str], Any] = {}

    def op(self, submodule: str, name: str) -> Any:
        """The stand-in's op for a name of a submodule.

        Args:
            submodule (str): The submodule that defines it in mmcv.
            name (str): Its name there.

        Returns:
            Any: The pure-PyTorch op of :data:`PROVIDED`, or a placeholder;
            the same object for every name that refers to it.
        """
        key = (submodule, name)
        if key not in self._ops:
            if name in PROVIDED:
                op = getattr(importlib.import_module(PROVIDED[name]), name)
            elif submodule in self.catalogue.own:
                op = getattr(self.own_module(submodule), name)
            else:
                exported = [
                    alias for alias, target in self.catalogue.exports.items()
                    if target == key
                ]
                op_name = exported[0] if exported else f'{submodule}.{name}'
                op = placeholder(op_name, f'mmcv.ops.{submodule}')
            self._ops[key] = op
        return self._ops[key]

    def own_module(self, submodule: str) -> types.ModuleType:
        """The installed mmcv's own module of a submodule of
        ``catalogue.own``.

        It is loaded from its source once (a submodule of :data:`CPU_PATHS`
        with :func:`stand_in_extension` as mmcv's extension), and replaces
        the stand-in submodule in ``sys.modules``.

        Args:
            submodule (str): A submodule of ``catalogue.own``.

        Returns:
            module: The module.
        """
        name = f'mmcv.ops.{submodule}'
        current = sys.modules.get(name)
        if current is not None and \
                not isinstance(current, StandInOpsSubmodule):
            return current
        spec = importlib.util.spec_from_file_location(
            name, self.catalogue.path(submodule))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            with stand_in_extension(submodule):
                spec.loader.exec_module(module)
        except BaseException:
            sys.modules[name] = current
            raise
        if submodule not in self.catalogue.exports:
            setattr(self, submodule, module)
        return module

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        if name in self.catalogue.exports:
            value = self.op(*self.catalogue.exports[name])
        elif name in self.catalogue.submodules:
            value = sys.modules[f'mmcv.ops.{name}']
        else:
            raise AttributeError(
                f"module 'mmcv.ops' (stand-in) has no attribute {name!r}")
        setattr(self, name, value)
        return value


class StandInOpsSubmodule(types.ModuleType):
    """A stand-in submodule of ``mmcv.ops``, e.g. ``mmcv.ops.nms``.

    Args:
        submodule (str): Its name in ``mmcv.ops``.
        package (StandInOps): The stand-in package.
    """

    def __init__(self, submodule: str, package: StandInOps) -> None:
        name = f'mmcv.ops.{submodule}'
        super().__init__(name, f'Stand-in of {name}; see {_MODULE}.')
        self.__spec__ = importlib.machinery.ModuleSpec(name, None)
        self.submodule = submodule
        self.package = package

    def __getattr__(self, name: str) -> Any:
        if self.submodule in self.package.catalogue.own and \
                not name.startswith('__'):
            return getattr(self.package.own_module(self.submodule), name)
        if name.startswith('__') or \
                name not in self.package.catalogue.defined(self.submodule):
            raise AttributeError(
                f'module {self.__name__!r} (stand-in) has no attribute '
                f'{name!r}')
        value = self.package.op(self.submodule, name)
        setattr(self, name, value)
        return value


@contextlib.contextmanager
def stand_in_extension(submodule: str) -> Iterator[None]:
    """Let a submodule of mmcv's ops load without mmcv's extension.

    Within the context, mmcv's ``ext_loader.load_ext(name, funcs)`` (which
    the submodules call when they are imported) gives placeholders of the
    functions ``funcs`` that raise :class:`MissingCompiledOpError` when
    called, instead of importing ``mmcv._ext``.

    Args:
        submodule (str): The submodule being loaded, named in the errors.

    Yields:
        None
    """
    from mmcv.utils import ext_loader

    def load_ext(name: str, funcs: List[str]) -> types.SimpleNamespace:
        return types.SimpleNamespace(
            **{
                func: placeholder(f'{submodule}.{func}',
                                  f'mmcv.ops.{submodule}')
                for func in funcs
            })

    original = ext_loader.load_ext
    ext_loader.load_ext = load_ext
    try:
        yield
    finally:
        ext_loader.load_ext = original


def compiled_ops_available() -> bool:
    """Whether the installed mmcv has its compiled extension.

    Returns:
        bool: True when ``mmcv._ext`` can be imported.

    Raises:
        ImportError: When no mmcv is installed at all.
    """
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except ModuleNotFoundError as error:
        raise ImportError(
            'mmseg-ccnet needs mmcv: pip install "mmseg-ccnet[openmmlab]" '
            '(OpenMMLab) or "mmseg-ccnet[onedl]" (OneDL)') from error


def install() -> bool:
    """Register the stand-in ``mmcv.ops`` where the compiled one is missing.

    Must run before anything imports ``mmcv.ops`` (e.g. ``mmseg.models``).
    Idempotent.

    Returns:
        bool: True if the stand-in is in use, False if mmcv's own ``mmcv.ops``
        (compiled) is used.
    """
    current = sys.modules.get('mmcv.ops')
    if isinstance(current, StandInOps):
        return True
    if current is not None or compiled_ops_available():
        return False
    import mmcv
    catalogue = OpsCatalogue(
        os.path.join(os.path.dirname(mmcv.__file__), 'ops'))
    ops = StandInOps(catalogue)
    sys.modules['mmcv.ops'] = ops
    for submodule in catalogue.submodules:
        sys.modules[f'mmcv.ops.{submodule}'] = StandInOpsSubmodule(
            submodule, ops)
    mmcv.ops = ops
    from mmengine.registry import MODELS
    for layer_type, op in REGISTERED.items():
        if layer_type not in MODELS.module_dict:
            MODELS.register_module(layer_type, module=getattr(ops, op))
    # as importing mmcv.ops registers them with the compiled mmcv
    for submodule in sorted(catalogue.registering):
        ops.own_module(submodule)
    return True
