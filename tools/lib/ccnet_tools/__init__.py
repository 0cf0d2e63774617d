# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""What the benchmark and analysis tools share; not part of the installed
package.

:mod:`.benchmarks` measures the criss-cross attention, context blocks and
whole CCNet models (``tools/benchmarks/``); :mod:`.analysis` studies trained
models and their decode heads (``tools/analysis/``). The tools put
``tools/lib`` on ``sys.path``; the tests get it from pytest's ``pythonpath``.
"""
