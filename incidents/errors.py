class DomainError(Exception):
    """A business rule refused the request; `message` is safe to show to the user."""

    def __init__(self, message, *, code="refused"):
        super().__init__(str(message))
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)
