from .chat_completion import (
    ChatCompletion as ChatCompletion,
)
from .chat_completion import (
    ChatCompletionAudio as ChatCompletionAudio,
)
from .chat_completion import (
    ChatCompletionMessage as ChatCompletionMessage,
)
from .chat_completion import (
    ChatCompletionMessageCustomToolCall as ChatCompletionMessageCustomToolCall,
)
from .chat_completion import (
    ChatCompletionMessageFunctionToolCall as ChatCompletionMessageFunctionToolCall,
)
from .chat_completion import (
    ChatCompletionMessageToolCall as ChatCompletionMessageToolCall,
)
from .chat_completion import (
    ChatCompletionMessageToolCallUnion as ChatCompletionMessageToolCallUnion,
)
from .chat_completion import (
    ChatCompletionTokenLogprob as ChatCompletionTokenLogprob,
)
from .chat_completion_chunk import ChatCompletionChunk as ChatCompletionChunk
