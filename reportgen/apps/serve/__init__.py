"""`reportgen serve`: the local page for people who never open a terminal."""
