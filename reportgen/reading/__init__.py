"""Reading: a workbook in, typed and mapped rows out. The zip and extent guard, the reader, the parsers for
values as people type them, normalisation into activities with per-cell findings, and the goal/principle
mapping."""
