"""The project's own exception types; edges (HTTP, HJ 212 replies, CLI) map them to their formats."""

from __future__ import annotations


class EcoSentinelError(Exception):
    """Base of every error EcoSentinel raises on purpose. The message is for users (Chinese or English)."""


class ValidationError(EcoSentinelError):
    """Input (a file, a form, a packet) is malformed. ``location`` says where, e.g. ``file.csv:12:value``."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}" if location else message)


class NotFoundError(EcoSentinelError):
    """A record that was asked for does not exist."""


class AuthError(EcoSentinelError):
    """Authentication failed (HJ 212 MN+PW, or a web login)."""


class PermissionDeniedError(EcoSentinelError):
    """The caller is authenticated but its role may not do this."""


class ConfigError(EcoSentinelError):
    """Settings are unusable (e.g. a default secret outside local use)."""


class DatabaseError(EcoSentinelError):
    """The database cannot be used as it is: unreachable, or its schema is not the code's version."""
