"""smsbridge's built-in plugins, installed as ``smsbridge_plugins``.

Each sub-package is one plugin, found through the ``smsbridge`` entry-point group
exactly like a third-party plugin would be (see docs/plugins.md).
"""
