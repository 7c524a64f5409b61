"""framing: narrative-framing classifier for news."""
