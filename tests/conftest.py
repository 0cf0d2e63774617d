# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import importlib.util

# The tests of ccnet_core run where only torch is installed; the others
# import the plugin before anything of mmseg.
if importlib.util.find_spec('mmseg') is not None:
    import mmseg_ccnet  # noqa: F401

    # isort: split
    from mmseg.utils import register_all_modules

    register_all_modules(init_default_scope=True)
