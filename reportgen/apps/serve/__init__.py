"""`reportgen serve`: the local page for people who never open a terminal.

app (the Starlette app, its life, listening) → routes (the handlers) → sending, pages (the page and its
errors) → state (what the routes share) → guards (Host, Origin, tokens), retention, uploads, forms (request
bodies) → builds (the pool's work), errors. Nothing is imported here: a pool worker loads builds alone.
"""
