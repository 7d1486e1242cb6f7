"""Joint punishment (联合惩戒, seed 001 推进联合惩戒): credit records of penalties for falsification,
published for their publicity period and exported for the national credit information sharing platform and
the enterprise credit publicity system."""
