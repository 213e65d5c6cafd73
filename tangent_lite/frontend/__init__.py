"""Frontend: from a live Python function to a small, normalized core language."""
