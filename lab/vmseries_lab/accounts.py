"""A firewall twin's administrators: passwords (as salted hashes in the configuration, accepted
once committed, as PAN-OS does) and the API keys derived from them."""

from __future__ import annotations

import base64
import hashlib
import time
import xml.etree.ElementTree as ET
from typing import Optional

from .configstore import ConfigStore
from .errors import ApiError

USERS = "/config/mgt-config/users/entry"


_CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The order in which SHA-crypt writes the digest's bytes, three at a time (the last group two).
_SHA256_ORDER = ((0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5), (6, 16, 26),
                 (27, 7, 17), (18, 28, 8), (9, 19, 29))
ROUNDS = 5000


def _repeated(digest: bytes, length: int) -> bytes:
    return (digest * (length // len(digest) + 1))[:length]


def password_hash(password: str, salt: str) -> str:
    """SHA-256 crypt (`$5$salt$hash`, the default 5000 rounds): PAN-OS's `request password-hash`
    "uses the SHA256 algorithm" and stores the result as the user's phash. The algorithm is the
    published one (U. Drepper, "Unix crypt using SHA-256 and SHA-512"); a 16-character salt makes
    the 63 characters PAN-OS takes at most."""
    key, salt_bytes = password.encode(), salt.encode()[:16]
    alternate = hashlib.sha256(key + salt_bytes + key).digest()
    context = hashlib.sha256(key + salt_bytes)
    context.update(_repeated(alternate, len(key)))
    length = len(key)
    while length:
        context.update(alternate if length & 1 else key)
        length >>= 1
    digest = context.digest()
    key_sequence = _repeated(hashlib.sha256(key * len(key)).digest(), len(key))
    salt_sequence = _repeated(hashlib.sha256(salt_bytes * (16 + digest[0])).digest(), len(salt_bytes))
    for round_number in range(ROUNDS):
        step = hashlib.sha256(key_sequence if round_number & 1 else digest)
        if round_number % 3:
            step.update(salt_sequence)
        if round_number % 7:
            step.update(key_sequence)
        step.update(digest if round_number & 1 else key_sequence)
        digest = step.digest()
    encoded = []
    for first, second, third in (*_SHA256_ORDER, (None, 31, 30)):
        value = ((digest[first] if first is not None else 0) << 16) | (digest[second] << 8) | digest[third]
        for _ in range(4 if first is not None else 3):
            encoded.append(_CRYPT64[value & 0x3F])
            value >>= 6
    return f"$5${salt_bytes.decode()}${''.join(encoded)}"


class Accounts:
    def __init__(self, store: ConfigStore, hardware_id: str) -> None:
        self.store = store
        # What API keys and password salts derive from; unlike the serial, it never changes (a
        # licence does not invalidate API keys).
        self.hardware_id = hardware_id

    def set_password(self, password: str, username: str = "admin") -> None:
        """In the candidate configuration, as `set mgt-config users <u> password` does."""
        salt = base64.b32encode(hashlib.sha256(f"{self.hardware_id}{time.time()}".encode()).digest())[:16].decode().lower()
        with self.store.locked():
            user = self.store.ensure_candidate(f"{USERS}[@name='{username}']")
            phash = user.find("phash")
            if phash is None:
                phash = ET.SubElement(user, "phash")
            phash.text = password_hash(password, salt)

    def _running_phash(self, username: str) -> Optional[str]:
        users = self.store.running_nodes(f"{USERS}[@name='{username}']/phash")
        return users[0].text if users and users[0].text else None

    def check_password(self, username: str, password: str) -> bool:
        phash = self._running_phash(username)
        if not phash or not phash.startswith("$5$"):
            return False
        return password_hash(password, phash.split("$")[2]) == phash

    def keygen(self, username: str, password: str) -> str:
        if not self.check_password(username, password):
            raise ApiError(403, "Invalid Credential", http_status=403)
        return self._api_key(username, self._running_phash(username) or "")

    def _api_key(self, username: str, phash: str) -> str:
        # Shaped like a PAN-OS key, and free of '+' and '/': pan-python sends keys unencoded.
        return "LUFRPT" + hashlib.sha256(f"{self.hardware_id}:{username}:{phash}".encode()).hexdigest() + "="

    def user_for_key(self, key: str) -> Optional[str]:
        for user in (u.get("name") for u in self.store.running_nodes(USERS)):
            phash = self._running_phash(user)
            if phash and self._api_key(user, phash) == key:
                return user
        return None

