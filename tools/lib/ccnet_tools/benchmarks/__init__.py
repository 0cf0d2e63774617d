# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmarks of the criss-cross attention and of whole CCNet models.

Used by the scripts in ``tools/benchmarks/``; not imported by
``import mmseg_ccnet``. :mod:`.measure` holds what every benchmark needs
(interleaved timing, ratios within rounds, peak memory of a fresh process,
the report's section in a markdown file).
"""
