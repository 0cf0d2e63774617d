# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mim`` with this package imported first: ``python -m mmseg_ccnet.mim``.

Takes the arguments of ``mim`` (openmim or onedl-mim). ``mim download``
loads the downloaded model's config in mim's own process; on the OneDL
stack, mmengine resolves the config's ``mmseg::`` bases only once
:mod:`mmseg_ccnet.compat.config_scopes` is in place, so there ``mim
download mmseg_ccnet --config NAME`` fails after the download and this does
not::

    python -m mmseg_ccnet.mim download mmseg_ccnet --config NAME --dest DIR
"""
import sys

import mmseg_ccnet  # noqa: F401  (before mim parses any config)


def main() -> None:
    """Run mim's command line."""
    from mim.cli import cli
    sys.argv[0] = 'mim'
    cli()


if __name__ == '__main__':
    main()
