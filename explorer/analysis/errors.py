class AnalysisError(ValueError):
    """A question the store cannot answer as asked (bad window, empty scope, no data); says why."""
