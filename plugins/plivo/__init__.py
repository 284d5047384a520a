"""plivo plugin (being built)."""
