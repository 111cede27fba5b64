"""Encrypts secrets at rest (provider API keys) with a Fernet key derived from the server secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import TavernError


class SecretBox:
    def __init__(self, server_secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'tavernai-plus', info=b'secret-box').derive(
            server_secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TavernError('error.secret_unreadable',
                              'A stored secret cannot be decrypted: the server secret key has changed. '
                              'Enter the API key again.') from None


def mask_secret(plaintext: str) -> str:
    """What the browser may see of a key: enough to recognise it, never enough to use it."""
    return '••••' + plaintext[-4:] if len(plaintext) > 8 else '••••'
