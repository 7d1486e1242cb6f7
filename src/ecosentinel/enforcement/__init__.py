"""Enforcement workflow: warnings, tasks, inspections, problem ledger, cases, plans and draws, reports."""
