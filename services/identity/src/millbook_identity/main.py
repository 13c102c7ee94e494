"""The identity process for uvicorn: `millbook_identity.main:app`."""

import sys

from millbook_identity.auth.keys import SigningKeyUnavailable
from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings
from millbook_platform.sealing import SealingKeyError

try:
    app = build_app(Settings())  # database_url comes from the environment
except (SigningKeyUnavailable, SealingKeyError) as exc:
    sys.exit(str(exc))
