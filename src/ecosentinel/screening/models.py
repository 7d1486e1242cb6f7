"""ORM models of this area (filled in by its work); imported by ``ecosentinel.schema``."""
