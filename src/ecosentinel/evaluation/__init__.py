"""Enterprise evaluation (环保脸谱): a documented score per enterprise with its history."""
