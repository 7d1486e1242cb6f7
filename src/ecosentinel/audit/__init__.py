"""The append-only, hash-chained audit trail (痕迹管理) and the interference register (干预留痕)."""
