"""Alembic migrations of the one EcoSentinel database (registry and measurement tables).

Run them with ``ecosentinel db upgrade`` or :func:`ecosentinel.database.upgrade`; the configuration is
``alembic.ini`` next to this file, so no file is needed in the working directory.
"""
