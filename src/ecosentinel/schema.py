"""Imports every ORM model module so ``Base.metadata`` describes the whole database.

Alembic's environment and the schema-consistency test import this; a new area adds its models module here.
"""

from __future__ import annotations

import ecosentinel.audit.models
import ecosentinel.auth.models
import ecosentinel.enforcement.credit.models
import ecosentinel.enforcement.ledger.models
import ecosentinel.enforcement.models
import ecosentinel.evaluation.models
import ecosentinel.interop.models
import ecosentinel.om.models
import ecosentinel.registry.models
import ecosentinel.reporting.models
import ecosentinel.screening.adjustments
import ecosentinel.screening.models
import ecosentinel.store.tables  # noqa: F401
from ecosentinel.database import Base

metadata = Base.metadata
