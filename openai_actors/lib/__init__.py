"""The official SDK's `openai.lib` paths that user code imports from (`openai.lib.azure`)."""
