# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest

from mmseg_ccnet.utils.markdown import read_section, write_section


@pytest.mark.parametrize('existing', [None, 'intro\n', 'intro\n\n'
                                      '<!-- s:begin -->\nold\n<!-- s:end -->'
                                      '\n\nrest\n'])
def test_write_section_replaces_only_its_section(tmp_path, existing):
    path = tmp_path / 'doc.md'
    if existing is not None:
        path.write_text(existing)
    write_section(str(path), 's', 'new table')
    write_section(str(path), 's', 'newer table')
    text = path.read_text()
    assert text.count('<!-- s:begin -->\nnewer table\n<!-- s:end -->') == 1
    assert 'old' not in text and 'new table' not in text
    if existing:
        assert text.startswith('intro\n')
    if existing and 'rest' in existing:
        assert text.endswith('\n\nrest\n')
    assert read_section(str(path), 's') == 'newer table'
    assert read_section(str(path), 'other') is None
    assert read_section(str(tmp_path / 'missing.md'), 's') is None


def test_an_empty_section_is_filled_in_place(tmp_path):
    path = tmp_path / 'doc.md'
    path.write_text('a\n\n<!-- s:begin -->\n<!-- s:end -->\n\nb\n')
    assert read_section(str(path), 's') == ''
    write_section(str(path), 's', 'table')
    assert path.read_text() == \
        'a\n\n<!-- s:begin -->\ntable\n<!-- s:end -->\n\nb\n'
