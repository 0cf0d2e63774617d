# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Wrapping a method of the OpenMMLab stack once."""
from typing import Any, Callable

__all__ = ['is_wrapped', 'wrap_attribute']

#: Attribute of this package's wrappers that holds the wrapped callable.
MARK = '_mmseg_ccnet_wraps'


def is_wrapped(value: Any) -> bool:
    """Whether ``value`` is a wrapper made by :func:`wrap_attribute`."""
    return getattr(value, MARK, None) is not None


def wrap_attribute(owner: Any, name: str,
                   make_wrapper: Callable[[Callable], Callable]) -> None:
    """Replace ``owner.name`` by ``make_wrapper(owner.name)``, once.

    Args:
        owner (Any): A class or module.
        name (str): The attribute, a callable.
        make_wrapper (Callable): Takes the original callable and returns its
            replacement.
    """
    original = getattr(owner, name)
    if not is_wrapped(original):
        wrapper = make_wrapper(original)
        setattr(wrapper, MARK, original)
        setattr(owner, name, wrapper)
