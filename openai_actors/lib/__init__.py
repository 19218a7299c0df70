"""Where the official SDK keeps its hand-written helpers (`openai.lib`): the same import paths here."""
