"""Working with the field (issue 13): upstream forwarding, remote commands (反控), back-fill of missing
history, and validity / completeness statistics. See docs/interop.md."""
