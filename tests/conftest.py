# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmseg.utils import register_all_modules

register_all_modules(init_default_scope=True)
