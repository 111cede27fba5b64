"""LLM providers: one adapter per wire format, all streaming through the same `ChatProvider` interface."""
