"""Screening rules, one module each; registered in ``ecosentinel.screening.registry``."""
