# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Analyses of trained CCNet models and of their decode heads.

Used by the scripts in ``tools/analysis/``; not imported by
``import mmseg_ccnet``. :mod:`.context_ablation` compares decode heads on
the same data and schedule, :mod:`.feature_stats` measures how RCCA
features separate the classes, :mod:`.attention_maps` follows a pixel's
attention back through the criss-cross passes.
"""
