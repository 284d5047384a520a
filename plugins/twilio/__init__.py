"""twilio plugin (being built)."""
