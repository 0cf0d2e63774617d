# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A hook for tests: the loss of the whole global batch at every iteration.

mmengine logs each rank's own loss; this hook averages it over the ranks
(each rank's loss is the mean over its equally sized share of the batch)
and rank 0 appends it to a JSON-lines file.
"""
import json

from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class GlobalLossRecorder(Hook):
    """Record the global-batch loss of every training iteration.

    Args:
        out_file (str): JSON-lines file, one ``{"iter", "loss"}`` a line.
    """

    def __init__(self, out_file: str) -> None:
        self.out_file = out_file

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Average the loss over the ranks and let rank 0 write it."""
        loss = outputs['loss'].detach().clone()
        all_reduce(loss, op='mean')
        if is_main_process():
            with open(self.out_file, 'a') as file:
                file.write(
                    json.dumps(dict(iter=runner.iter, loss=loss.item())) +
                    '\n')
