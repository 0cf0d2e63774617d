# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""One training per work dir: the second run is refused, naming the
first; the lock goes with the process that held it."""
import subprocess
import sys

import pytest

from mmseg_ccnet.engine.work_dir_lock import WorkDirBusyError, work_dir_lock
from runner_utils import script_env

HOLDER = '''
import sys, time
from mmseg_ccnet.engine.work_dir_lock import work_dir_lock
with work_dir_lock(sys.argv[1]):
    print('locked', flush=True)
    time.sleep(120)
'''

pytest.importorskip('fcntl', reason='work dirs are locked with fcntl.flock')


def test_second_run_is_refused_until_the_first_ends(tmp_path):
    holder = subprocess.Popen([sys.executable, '-c', HOLDER,
                               str(tmp_path)],
                              stdout=subprocess.PIPE,
                              text=True,
                              env=script_env())
    try:
        # the stack's import may print first (OneDL's does)
        assert 'locked' in iter(lambda: holder.stdout.readline().strip(),
                                '')
        with pytest.raises(WorkDirBusyError,
                           match=f'{tmp_path} is in use by another training '
                           f'run \\(process {holder.pid} on '):
            with work_dir_lock(str(tmp_path)):
                pass
    finally:
        holder.kill()  # as a killed run: the lock must not outlive it
        holder.wait()
    with work_dir_lock(str(tmp_path)):
        pass


def test_lock_is_reentrant_after_release(tmp_path):
    for _ in range(2):
        with work_dir_lock(str(tmp_path / 'new')):
            pass
