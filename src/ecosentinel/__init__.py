"""EcoSentinel (自动监控哨兵): screening of pollution-source automatic monitoring data."""

__version__ = "0.1.0"
