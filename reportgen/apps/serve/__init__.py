"""`reportgen serve`: the local page for people who never open a terminal.

app (the Starlette app, its life, listening) → routes (the handlers) → sending, pages (the page and its
errors) → history (the team's panel from the archive), state (what the routes share, the archive among it)
→ guards (Host, Origin, tokens), retention, uploads, forms (request bodies, the drained answer to one too
large) → builds (the pool's work), errors. Nothing is imported here: a pool worker loads builds alone.
"""
