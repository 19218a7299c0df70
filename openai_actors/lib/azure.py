"""`openai.lib.azure`'s names, where code written for the official SDK imports them from."""

from .._azure import AsyncAzureADTokenProvider, AsyncAzureOpenAI, AzureADTokenProvider, AzureOpenAI

__all__ = ["AsyncAzureADTokenProvider", "AsyncAzureOpenAI", "AzureADTokenProvider", "AzureOpenAI"]
