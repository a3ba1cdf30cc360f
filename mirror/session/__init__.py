"""Once per person: the session that composes them, the page channel, commands, presence, stats."""
