"""Answer parsers and metrics with the reference evaluators' semantics."""
