# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .prediction_panels_hook import PredictionPanelsHook

__all__ = ['PredictionPanelsHook']
