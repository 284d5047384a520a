"""infobip plugin (being built)."""
