"""sinch plugin (being built)."""
