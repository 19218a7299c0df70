"""The project's code generator: the API surface from the OpenAPI description and the official SDK's table."""
