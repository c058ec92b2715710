"""authcloud: register a phone as an authenticator with the Nevis Authentication Cloud.

The classes come from the Rust core through UniFFI: ``Client`` (blocking),
``AsyncClient`` (asyncio), ``ClientConfig``, ``Secret``, ``EnrollmentObserver``,
``LogSink``, ``WatchHandle``, ``AuthCloudError`` and, for tests, ``Emulator``.
"""

from ._native.authcloud import *  # noqa: F401,F403
from ._native.authcloud import __all__  # noqa: F401
