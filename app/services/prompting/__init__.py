"""Prompt building: turns a chat, its character, persona, lorebooks, author's note and the active prompt-manager
preset into the exact message list sent for the next reply (and the prompt preview shows)."""
