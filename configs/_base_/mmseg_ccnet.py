# Every config of this package inherits this file: it registers the plugin
# (also when the config is used by MMSegmentation's own tools) and saves
# checkpoints that load with torch.load(weights_only=True).
custom_imports = dict(imports=['mmseg_ccnet'], allow_failed_imports=False)
custom_hooks = [dict(type='PlainCheckpointHook')]
