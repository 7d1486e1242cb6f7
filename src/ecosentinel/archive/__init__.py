"""Columnar archive: readings and raw packets in Parquet by day and point group, with a hash chain."""
