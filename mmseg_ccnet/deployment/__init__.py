# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export of CCNet segmentors and running them on inference backends.

Needs the ``deploy`` extra; not imported by ``import mmseg_ccnet``.
"""
