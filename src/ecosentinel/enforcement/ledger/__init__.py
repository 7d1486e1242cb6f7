"""The problem ledger (问题台账, seed 001 附表2): problems, their sources and categories, measures and
rectification; plans, double-random draws, report forms and public disclosure build on it."""
