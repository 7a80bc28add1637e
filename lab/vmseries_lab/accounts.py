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


def password_hash(password: str, salt: str) -> str:
    return "$5$" + salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()


class Accounts:
    def __init__(self, store: ConfigStore, hardware_id: str) -> None:
        self.store = store
        # What API keys and password salts derive from; unlike the serial, it never changes (a
        # licence does not invalidate API keys).
        self.hardware_id = hardware_id

    def set_password(self, password: str, username: str = "admin") -> None:
        """In the candidate configuration, as `set mgt-config users <u> password` does."""
        salt = base64.b32encode(hashlib.sha256(f"{self.hardware_id}{time.time()}".encode()).digest())[:8].decode().lower()
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

