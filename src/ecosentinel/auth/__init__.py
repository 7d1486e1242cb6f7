"""Accounts, roles, sessions and data scoping."""
