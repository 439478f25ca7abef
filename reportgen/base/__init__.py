"""Base: what every layer speaks. The errors, the message catalogues, the configuration, the domain's types
(model) and the words people type for them (vocab), and atomic file writing. Imports nothing above it."""
