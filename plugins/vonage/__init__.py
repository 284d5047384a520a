"""vonage plugin (being built)."""
