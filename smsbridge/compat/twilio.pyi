# Type stub for smsbridge.compat.twilio, so mypy and IDEs see the shim's types. At run time the
# module is the plugin's own (served by the finder in smsbridge/compat/__init__.py); this stub
# only re-exports that module's public names (its __all__).
from smsbridge_plugins.twilio.sdk import *  # noqa: F401,F403
