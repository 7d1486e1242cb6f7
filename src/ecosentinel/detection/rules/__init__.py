"""Screening rules, one module each; registered in ``ecosentinel.detection.catalogue``."""
