"""Response types, laid out as the official SDK's `openai.types`."""

from .chat import ChatCompletion as ChatCompletion
from .completion_usage import CompletionUsage as CompletionUsage
from .embedding import CreateEmbeddingResponse as CreateEmbeddingResponse
from .embedding import Embedding as Embedding
from .model import Model as Model
from .model import ModelDeleted as ModelDeleted
