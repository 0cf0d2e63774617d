# Every config of this package inherits this file: it registers the plugin,
# also when the config is used by MMSegmentation's own tools.
custom_imports = dict(imports=['mmseg_ccnet'], allow_failed_imports=False)
