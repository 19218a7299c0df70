"""The official SDK's `openai.lib.streaming`: the chat and responses stream helpers are in
its `chat` and `responses` subpackages. (The Assistants event handlers the official
exports here are not part of this package yet.)"""
