# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The examples of docs/core.md and README.md, run as they are written."""
import importlib.util
import re
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def python_blocks(document: str) -> list:
    """The ```python code blocks of a markdown file of the repository."""
    text = (REPO / document).read_text(encoding='utf-8')
    return re.findall(r'```python\n(.*?)```', text, flags=re.S)


def run(code: str, namespace: dict) -> dict:
    exec(compile(code, '<example>', 'exec'), namespace)
    return namespace


@pytest.fixture
def trained(capsys) -> dict:
    """The training example: a segmenter of torch layers, 5 steps."""
    train, _export, _volume = python_blocks('docs/core.md')
    namespace = run(train, {})
    losses = [
        float(line.split()[-1])
        for line in capsys.readouterr().out.splitlines()
    ]
    assert len(losses) == 5 and losses[-1] < losses[0]
    return namespace


def test_rcca_between_an_encoder_and_a_classifier_trains(trained):
    model = trained['model']
    assert model.rcca.cca.impl == 'efficient'
    assert model.rcca.cca.gamma.scale.item() != 0  # the attention learned
    assert model(trained['images']).shape == (4, 4, 64, 48)


@pytest.mark.slow
@pytest.mark.skipif(
    not all(
        importlib.util.find_spec(name) for name in ('onnx', 'onnxscript')),
    reason='exporting to ONNX needs onnx and onnxscript')
def test_rcca_example_exports_to_onnx(trained, tmp_path, monkeypatch):
    _train, export, _volume = python_blocks('docs/core.md')
    model, images = trained['model'], trained['images']
    model.eval()
    with torch.no_grad():
        expected = model(images[:1])
    monkeypatch.chdir(tmp_path)
    run(export, trained)
    assert (tmp_path / 'segmenter.onnx').is_file()
    if importlib.util.find_spec('onnxruntime') is None:
        return
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(tmp_path / 'segmenter.onnx'),
        providers=['CPUExecutionProvider'])
    logits, = session.run(None, {
        session.get_inputs()[0].name: images[:1].numpy()})
    torch.testing.assert_close(
        torch.from_numpy(logits), expected, rtol=1e-4, atol=1e-4)


def test_3d_attention_on_a_volume():
    _train, _export, volume = python_blocks('docs/core.md')
    namespace = run(volume, {'torch': torch})
    assert namespace['out'].shape == (2, 16, 8, 24, 20)
    assert namespace['weights'].shape == (2, 8, 24, 20, 24 + 20 + 8)
    assert namespace['context'].shape == (2, 8, 8, 24, 20)


def test_readme_example():
    code, = [
        block for block in python_blocks('README.md')
        if 'ccnet_core' in block
    ]
    namespace = run(code, {})
    assert namespace['features'].shape == (2, 32, 33, 41)
    assert namespace['volume'].shape == (1, 16, 8, 24, 24)
