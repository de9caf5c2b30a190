"""An example Thyra plugin. The nodes live in :mod:`thyra_example_plugin.nodes`.

Installed with pip, Thyra finds them through the ``thyra.nodes`` entry point. The names
below make the package work as a plugin folder too (``THYRA_PLUGIN_PATH`` naming the folder
that holds this package), where Thyra reads the package itself.
"""

from .nodes import THYRA_PARAM_KINDS, THYRA_PREVIEWS, THYRA_TYPES, brightness, histogram, invert

THYRA_NODES = [invert, brightness, histogram]

__version__ = "0.1.0"
__all__ = ["THYRA_NODES", "THYRA_TYPES", "THYRA_PARAM_KINDS", "THYRA_PREVIEWS"]
