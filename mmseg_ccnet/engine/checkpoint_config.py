# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Config texts inside checkpoints, read as data and never run.

mmengine stores the run's config as Python text in every checkpoint
(``meta['cfg']``; older runs: ``meta['config']``, and the message hub's
``runtime_info['cfg']``) and parses it with ``Config.fromstring``, which
executes it: ``Runner.resume`` reads ``meta['config']`` for the GPU ids,
the inferencers read ``meta['cfg']`` to build the model. Those strings pass
``torch.load(weights_only=True)``, so a checkpoint that loads "safely"
could still run code. :func:`data_only_config` keeps of such a text only
what is plain data; :func:`strip_config_code` applies it to a checkpoint.
"""
import ast
import logging
from typing import List, Optional, Set, Tuple

from mmengine.logging import print_log

__all__ = ['CONFIG_KEYS', 'data_only_config', 'strip_config_code']

#: Where checkpoints hold config texts: (section, key).
CONFIG_KEYS = (('meta', 'config'), ('meta', 'cfg'), ('message_hub', 'cfg'))
#: Assignments that make ``Config.fromfile`` import modules or read files.
LOADING_NAMES = frozenset({'custom_imports', '_base_'})
#: Numeric signs allowed before a constant (``-1``).
SIGNS = (ast.USub, ast.UAdd)


def _is_data(node: ast.AST, names: Set[str]) -> bool:
    """Whether an expression is plain data.

    Plain data: constants, signed numbers, lists, tuples, sets and dicts of
    plain data, ``dict(key=...)`` calls with plain-data keywords (the form
    of mmengine's ``pretty_text``) and names assigned plain data before.
    """
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, SIGNS) and isinstance(
            node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_data(item, names) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _is_data(key, names)
                   for key in node.keys) and all(
                       _is_data(value, names) for value in node.values)
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Name) and node.func.id == 'dict'
                and 'dict' not in names and not node.args
                and all(keyword.arg is not None and _is_data(
                    keyword.value, names) for keyword in node.keywords))
    if isinstance(node, ast.Name):
        return node.id in names
    return False


def data_only_config(text: str) -> Tuple[str, List[str]]:
    """Keep the plain-data assignments of a Python config text.

    The text is parsed (:mod:`ast`), never executed. Kept are statements
    ``name = <plain data>`` (see :func:`_is_data`); ``_base_`` and
    ``custom_imports`` (which make ``Config.fromfile`` read files and
    import modules) and everything else (calls, imports, attribute access,
    ...) are left out.

    Args:
        text (str): A config as Python text.

    Returns:
        tuple[str, list[str]]: The text of the kept assignments (``text``
        itself if all is kept), and a description of each statement left
        out other than ``_base_``, ``custom_imports`` and docstrings
        (``'line 3: Expr'``); a text that does not parse is left out whole.
    """
    try:
        module = ast.parse(text)
    except SyntaxError as error:
        return '', [f'the whole text (not Python: {error.msg})']
    kept, dropped = [], []
    names: Set[str] = set()
    for statement in module.body:
        targets = statement.targets if isinstance(statement,
                                                  ast.Assign) else []
        if targets and all(isinstance(target, ast.Name) for target in targets):
            if any(target.id in LOADING_NAMES for target in targets):
                continue  # the plugin is imported, bases are resolved
            if _is_data(statement.value, names):
                kept.append(statement)
                names.update(target.id for target in targets)
                continue
        if not (isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)):
            dropped.append(
                f'line {statement.lineno}: {type(statement).__name__}')
    if len(kept) == len(module.body):
        return text, []
    return ast.unparse(ast.Module(body=kept, type_ignores=[])), dropped


def _config_owner(checkpoint: dict, section: str) -> Optional[dict]:
    """The dict of a checkpoint's section that holds config texts."""
    owner = checkpoint.get(section)
    if section == 'message_hub' and isinstance(owner, dict):
        owner = owner.get('runtime_info')
    return owner if isinstance(owner, dict) else None


def strip_config_code(checkpoint: object, filename: str) -> object:
    """Reduce every config text of a checkpoint to its plain data, in place.

    Args:
        checkpoint (object): A loaded checkpoint (anything but a dict is
            returned unchanged).
        filename (str): Its file or URL, for the warning.

    Returns:
        object: ``checkpoint``. A text that held more than plain data is
        replaced by :func:`data_only_config`'s text, with a warning naming
        the file, the key and the statements left out.
    """
    if not isinstance(checkpoint, dict):
        return checkpoint
    for section, key in CONFIG_KEYS:
        owner = _config_owner(checkpoint, section)
        if owner is None or not isinstance(owner.get(key), str):
            continue
        owner[key], dropped = data_only_config(owner[key])
        if dropped:
            print_log(
                f'{filename}: the config text in {section}[{key!r}] holds '
                f'more than plain data ({", ".join(dropped[:5])}'
                f'{", ..." if len(dropped) > 5 else ""}); it is read as '
                'data without those statements, never run.',
                logger='current',
                level=logging.WARNING)
    return checkpoint
