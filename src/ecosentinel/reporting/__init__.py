"""Public reporting (举报, seed 002 加强社会监督): reports of suspected falsification or illegal discharge
from the public pages and the 12369/12345 hotlines, their triage into tasks, and the published reply."""
