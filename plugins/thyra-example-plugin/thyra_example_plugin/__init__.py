"""An example Thyra plugin. The nodes live in :mod:`thyra_example_plugin.nodes`."""

__version__ = "0.1.0"
