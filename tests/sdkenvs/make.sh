#!/usr/bin/env bash
# Create the separate SDK venvs some provider tests need (see README.md beside this file).
#   bash tests/sdkenvs/make.sh            -> .sdkenvs/infobip5 at the repo root
#   SMSBRIDGE_SDKENVS=/some/dir bash ...  -> /some/dir/infobip5
# Tests find it at <repo>/.sdkenvs/infobip5, or wherever SMSBRIDGE_SDKENV_INFOBIP5 points.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${SMSBRIDGE_SDKENVS:-$root/.sdkenvs}"
python="${PYTHON:-python3}"
mkdir -p "$dest"
if [ ! -x "$dest/infobip5/bin/python" ]; then
  "$python" -m venv "$dest/infobip5"
fi
"$dest/infobip5/bin/pip" install -q -r "$here/infobip5.txt"
"$dest/infobip5/bin/python" -c "import infobip_channels.sms.channel" && echo "infobip5 venv ready: $dest/infobip5"
