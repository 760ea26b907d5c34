"""Every table of every domain, imported once so Alembic and tests see the whole schema."""

from govshare.audit import models as _audit  # noqa: F401
from govshare.catalog import models as _catalog  # noqa: F401
from govshare.db import Base
from govshare.exchange import models as _exchange  # noqa: F401
from govshare.identity import models as _identity  # noqa: F401
from govshare.library import models as _library  # noqa: F401
from govshare.sharing import models as _sharing  # noqa: F401
from govshare.web import models as _web  # noqa: F401

metadata = Base.metadata
