# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Generated sections of markdown documents.

A tool that writes part of a document (a benchmark's tables in
``docs/performance.md``, a model-zoo table in a config folder's README)
owns the text between two markers, ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->``; the rest of the document is written by hand.
"""
import os
import re
from typing import Optional

__all__ = ['read_section', 'write_section']


def _markers(name: str):
    """The begin and end markers of a section."""
    return f'<!-- {name}:begin -->', f'<!-- {name}:end -->'


def _pattern(name: str) -> re.Pattern:
    """The section with its markers; group 1 is its content."""
    begin, end = _markers(name)
    return re.compile(
        re.escape(begin) + r'\n(.*?)\n?' + re.escape(end), re.S)


def read_section(path: str, name: str) -> Optional[str]:
    """The content of section ``name`` of a document.

    Args:
        path (str): The markdown document.
        name (str): The section.

    Returns:
        str | None: Its text between the markers, None if the document or
        the section does not exist.
    """
    if not os.path.exists(path):
        return None
    with open(path) as file:
        match = _pattern(name).search(file.read())
    return match.group(1) if match else None


def write_section(path: str, name: str, markdown: str) -> None:
    """Put ``markdown`` between the markers of section ``name`` in a file.

    The markers are ``<!-- <name>:begin -->`` and ``<!-- <name>:end -->``;
    a file without them gets the section appended, a missing file is
    created.

    Args:
        path (str): The markdown document, e.g. ``docs/performance.md``.
        name (str): The section, e.g. ``'criss-cross-attention'``.
        markdown (str): Its new content.
    """
    begin, end = _markers(name)
    block = f'{begin}\n{markdown.strip()}\n{end}'
    text = ''
    if os.path.exists(path):
        with open(path) as file:
            text = file.read()
    pattern = _pattern(name)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = f'{text.rstrip()}\n\n{block}\n'.lstrip()
    with open(path, 'w') as file:
        file.write(text if text.endswith('\n') else text + '\n')
