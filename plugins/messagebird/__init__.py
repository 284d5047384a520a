"""messagebird plugin (being built)."""
