"""Exchange tests reuse the sharing fixtures: 民政局 (b) provides, 公安局 (a) consumes."""

from tests.sharing.conftest import _cheap_password_hashing, sw  # noqa: F401 - fixtures
