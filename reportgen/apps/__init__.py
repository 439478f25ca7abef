"""Front ends: the command line, and what it starts (serve, batch, watch, init). They parse input, call the
pipeline and print; each catches the user-error family once."""
