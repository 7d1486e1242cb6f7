"""Chinese messages of running screening (the rules' own texts are in ``detection.messages``)."""

RUN_PROGRESS = "已筛查 {done}/{total} 个点位"
