# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export of CCNet segmentors and running them on inference backends.

Needs the ``export`` extra; not imported by ``import mmseg_ccnet``.
"""
