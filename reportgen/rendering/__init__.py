"""Rendering: the review as HTML and PDF. The one Jinja environment, the page's context, the charts, the
locked-down PDF renderer, the work done beside it, and the attached activity table."""
